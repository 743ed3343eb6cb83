"""Raw documents -> :class:`~podpath.model.Inventory`, every API default applied once.

One normalizer per kind; kinds of later layers (routing, admin policies, secrets) register
theirs in :mod:`podpath.normalize.registry`. Unknown kinds are skipped with an ``info`` note;
duplicates (same kind, namespace and name) are reported and the last one wins, as
``kubectl apply`` of the stream would leave it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from podpath.errors import MSG_DUPLICATE, MSG_MISSING, InputError
from podpath.gcpause import gc_paused
from podpath.model.core import (
    EMPTY_LABELS,
    Labels,
    Namespace,
    Node,
    Note,
    Pod,
    SourceRef,
    WorkloadRef,
)
from podpath.model.inventory import Inventory
from podpath.model.objects import SKIPPED_KIND, SkippedObject
from podpath.model.policy import NetworkPolicy
from podpath.model.services import EndpointSlice, Service
from podpath.normalize.core import (
    namespace_labels,
    node_labels,
    normalize_namespace,
    normalize_node,
    pod_and_owner,
)
from podpath.normalize.fields import object_fields
from podpath.normalize.names import check_object_names
from podpath.normalize.policy import normalize_network_policy
from podpath.normalize.registry import LAYER_NORMALIZERS, skip_hint
from podpath.normalize.services import (
    SERVICE_NAME_LABEL,
    normalize_endpoint_slice,
    normalize_endpoints,
    normalize_service,
)
from podpath.normalize.workloads import (
    MAX_PODS,
    WORKLOAD_KINDS,
    Workload,
    check_expansion,
    fold_unknown_owner,
    node_hint,
    read_hpa,
    read_workload,
    top_owner,
    workload_pods,
)
from podpath.sources.manifests import RawDoc

MAX_PODS_PER_NODE = 110  # the kubelet's default maxPods
DEFAULT_NODE_COUNT = 3
MAX_NODES = 100_000  # --nodes
ALWAYS_PRESENT_NAMESPACES = ("default", "kube-system")
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "IngressClass",
        "GatewayClass",
        "AdminNetworkPolicy",
        "BaselineAdminNetworkPolicy",
        "ClusterNetworkPolicy",
    }
)


def default_nodes(count: int) -> tuple[Node, ...]:
    """Nodes of a cluster whose manifests declare none (kind-like addresses 172.18.0.2...)."""
    return tuple(
        Node(
            name=f"node-{i + 1}",
            internal_ips=(f"172.18.0.{i + 2}",),
            labels=node_labels(f"node-{i + 1}", EMPTY_LABELS),
            declared=False,
        )
        for i in range(count)
    )


def _identity(raw: dict[str, Any], source: SourceRef) -> tuple[str, str, str]:
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InputError(MSG_MISSING, path=source.path, doc_index=source.doc_index, field="kind")
    meta = raw.get("metadata")
    name = meta.get("name") if type(meta) is dict else None
    if type(name) is str and name:  # the usual case: what object_fields gives
        ns = meta.get("namespace")  # type: ignore[union-attr]
        ns = ns if isinstance(ns, str) else ""
    else:
        _, _, ns, name = object_fields(raw, source)
    if kind not in CLUSTER_SCOPED:
        ns = ns or "default"
    return kind, ns, name


def with_default_namespace(docs: Iterable[RawDoc], namespace: str) -> Iterator[RawDoc]:
    """The documents with ``namespace`` as the namespace of each namespaced object that names
    none, as ``kubectl apply -f FILE -n NAMESPACE`` sets it (cli-runtime's
    ``resource.RequireNamespace``: "set a namespace if none is provided on the Info object",
    https://github.com/kubernetes/cli-runtime/blob/master/pkg/resource/visitor.go). Objects
    that name another namespace keep it (kubectl refuses them; podpath's ``-n`` also filters
    the output, so they are kept and not shown); cluster-scoped kinds are left alone."""
    for doc in docs:
        data = doc.data
        meta = data.get("metadata")
        kind = data.get("kind")
        if (
            type(meta) is dict
            and isinstance(kind, str)
            and kind not in CLUSTER_SCOPED
            and not meta.get("namespace")
        ):
            doc = RawDoc({**data, "metadata": {**meta, "namespace": namespace}}, doc.source)
        yield doc


CORE_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "Pod",
        "Service",
        "EndpointSlice",
        "Endpoints",
        "NetworkPolicy",
        "HorizontalPodAutoscaler",
    }
)


def is_modelled(kind: str) -> bool:
    """Whether podpath models ``kind`` (documents of other kinds are skipped with a note;
    the loader reads only their apiVersion, kind and metadata)."""
    return kind in CORE_KINDS or kind in WORKLOAD_KINDS or kind in LAYER_NORMALIZERS


class _Collector:
    """Accumulates normalized objects by kind with duplicate detection."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, str], SourceRef] = {}
        self.notes: list[Note] = []
        self.namespaces: dict[str, Namespace] = {}
        self.nodes: dict[str, Node] = {}
        self.pods: dict[tuple[str, str], Pod] = {}
        self.pod_owners: list[tuple[tuple[str, str], tuple[str, str] | None]] = []
        self.services: dict[tuple[str, str], Service] = {}
        self.slices: list[EndpointSlice] = []
        self.legacy_slices: list[EndpointSlice] = []  # from core/v1 Endpoints
        self.policies: dict[tuple[str, str], NetworkPolicy] = {}
        self.workloads: dict[tuple[str, str, str], Workload] = {}
        self.min_replicas: dict[tuple[str, str, str], int] = {}  # HPA target -> minReplicas
        self.layer: dict[str, dict[tuple[str, str], Any]] = {}

    def add(self, doc: RawDoc) -> None:
        raw, source = doc.data, doc.source
        kind = raw.get("kind")
        if all(raw.get(key) is None for key in ("kind", "apiVersion", "metadata")):
            # A YAML file of another tool (Helm values, CI config, podpath's own expectations)
            # read from a folder: not a Kubernetes object at all (one with metadata but no
            # kind is an error below).
            self.notes.append(
                Note(
                    "info",
                    "not-a-kubernetes-object",
                    "skipped a document without apiVersion, kind and metadata",
                    "",
                    source,
                )
            )
            return
        if isinstance(kind, str) and kind and not is_modelled(kind):
            # skipped before validation: kinds like Kustomization carry no metadata.name
            self._skip(kind, raw, source)
            return
        kind, ns, name = _identity(raw, source)
        check_object_names(kind, "" if kind in CLUSTER_SCOPED else ns, name, source)
        key = (kind, ns, name)
        if key in self.seen:
            first = self.seen[key]
            obj = f"{kind}/{ns + '/' if ns else ''}{name}"
            self.notes.append(
                Note(
                    "warning",
                    "duplicate-object",
                    MSG_DUPLICATE.format(obj=obj, first=first),
                    obj,
                    source,
                )
            )
        self.seen[key] = source
        if kind == "Pod" or kind in WORKLOAD_KINDS:
            self._note_helm_hook(kind, ns, name, raw, source)
        self._dispatch(kind, ns, name, raw, source)

    def _note_helm_hook(
        self, kind: str, ns: str, name: str, raw: dict[str, Any], source: SourceRef
    ) -> None:
        """``helm template`` renders hooks too; Helm runs them only at install/upgrade or
        ``helm test`` (https://helm.sh/docs/topics/charts_hooks/): say so, model them anyway."""
        meta = raw.get("metadata")
        notes = meta.get("annotations") if isinstance(meta, dict) else None
        hook = notes.get("helm.sh/hook") if isinstance(notes, dict) else None
        if isinstance(hook, str) and hook:
            self.notes.append(
                Note(
                    "info",
                    "helm-hook",
                    f"a Helm hook ({hook}): its pods exist only while Helm runs the hook; "
                    "modelled as running",
                    f"{kind}/{ns or 'default'}/{name}",
                    source,
                )
            )

    def _dispatch(
        self, kind: str, ns: str, name: str, raw: dict[str, Any], source: SourceRef
    ) -> None:
        if kind == "Namespace":
            self.namespaces[name] = normalize_namespace(raw, source)
        elif kind == "Node":
            self.nodes[name] = normalize_node(raw, source)
        elif kind == "Pod":
            pod, ref = pod_and_owner(raw, source)
            self.pods[(ns, name)] = pod
            self.pod_owners.append(((ns, name), ref))
        elif kind == "Service":
            self.services[(ns, name)] = normalize_service(raw, source)
        elif kind == "EndpointSlice":
            eslice = normalize_endpoint_slice(raw, source)
            if eslice is None:
                self._note_serviceless_slice(ns, name, source)
            else:
                self.slices.append(eslice)
        elif kind == "Endpoints":
            self.legacy_slices.extend(normalize_endpoints(raw, source))
        elif kind == "NetworkPolicy":
            self.policies[(ns, name)] = normalize_network_policy(raw, source)
        elif kind in WORKLOAD_KINDS:
            self.workloads[(kind, ns, name)] = read_workload(raw, source)
        elif kind == "HorizontalPodAutoscaler":
            target, minimum = read_hpa(raw, source)
            self.min_replicas[target] = max(minimum, self.min_replicas.get(target, 0))
        elif kind in LAYER_NORMALIZERS:
            self.layer.setdefault(kind, {})[(ns, name)] = LAYER_NORMALIZERS[kind](raw, source)
        else:
            self._skip(kind, raw, source)

    def _note_serviceless_slice(self, ns: str, name: str, source: SourceRef) -> None:
        self.notes.append(
            Note(
                "info",
                "endpointslice-without-service",
                f"ignored: no {SERVICE_NAME_LABEL} label, so it belongs to no Service",
                f"EndpointSlice/{ns}/{name}",
                source,
            )
        )

    def _skip(self, kind: str, raw: dict[str, Any], source: SourceRef) -> None:
        meta = raw.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        name, ns, labels = meta.get("name"), meta.get("namespace"), meta.get("labels")
        name = name if isinstance(name, str) and name else "(unnamed)"
        api = raw.get("apiVersion", "?")
        self.notes.append(
            Note(
                "info",
                "skipped-kind",
                f"skipped {api} {kind} (not modelled{skip_hint(str(api), kind)})",
                f"{kind}/{name}",
                source,
            )
        )
        if isinstance(labels, dict) and all(type(v) is str for v in labels.values()):
            kept = Labels({str(k): v for k, v in labels.items()})
        else:
            kept = EMPTY_LABELS
        skipped = SkippedObject(
            str(api), kind, ns if isinstance(ns, str) else "", name, kept, source
        )
        self.layer.setdefault(SKIPPED_KIND, {})[(skipped.namespace, f"{kind}/{name}")] = skipped


@gc_paused
def normalize(
    docs: Iterable[RawDoc], *, node_count: int | None = None, max_pods: int | None = None
) -> Inventory:
    """Normalize raw documents into an Inventory (deterministic in any input order); an input
    that expands to more than ``max_pods`` pods (default ``MAX_PODS``) is refused."""
    limit = MAX_PODS if max_pods is None else max_pods
    if node_count is not None and not 1 <= node_count <= MAX_NODES:
        raise InputError(f"--nodes {node_count} is not in 1-{MAX_NODES}", field="--nodes")
    c = _Collector()
    for doc in docs:
        c.add(doc)
    pods = _owned_pods(c)
    generated = _workloads_without_pods(c, pods)
    check_expansion(generated, len(pods), 0, limit, c.min_replicas)
    nodes = tuple(sorted(c.nodes.values(), key=lambda n: n.name))
    if not nodes:
        count = node_count or max(
            DEFAULT_NODE_COUNT,
            math.ceil(
                (len(pods) + sum(node_hint(w, c.min_replicas.get(w.key)) for w in generated))
                / MAX_PODS_PER_NODE
            ),
        )
        nodes = default_nodes(count)
    check_expansion(generated, len(pods), len(nodes), limit, c.min_replicas)
    for w in generated:
        owner = top_owner(w.kind, w.namespace, w.name, c.workloads)
        for pod in workload_pods(w, nodes, owner, c.min_replicas.get(w.key)):
            if (pod.namespace, pod.name) not in c.pods:
                pods[(pod.namespace, pod.name)] = pod
    namespaces = _namespaces(c, pods)
    return Inventory(
        namespaces=tuple(namespaces[n] for n in sorted(namespaces)),
        nodes=nodes,
        pods=tuple(pods[k] for k in sorted(pods)),
        services=tuple(c.services[k] for k in sorted(c.services)),
        endpoint_slices=tuple(
            sorted(slices_preferred(c.slices, c.legacy_slices), key=lambda s: (s.namespace, s.name))
        ),
        network_policies=tuple(c.policies[k] for k in sorted(c.policies)),
        objects={
            kind: tuple(objs[k] for k in sorted(objs)) for kind, objs in sorted(c.layer.items())
        },
        notes=tuple(c.notes),
    )


def _owned_pods(c: _Collector) -> dict[tuple[str, str], Pod]:
    """Pods of the input with their owner folded to the top workload."""
    pods = dict(c.pods)
    for (ns, name), ref in c.pod_owners:
        if ref is None:
            continue
        kind, owner_name = ref
        if (kind, ns, owner_name) in c.workloads:
            owner = top_owner(kind, ns, owner_name, c.workloads)
        else:
            folded = fold_unknown_owner(kind, owner_name, pods[(ns, name)].labels)
            owner = WorkloadRef(folded[0], ns, folded[1])
        pods[(ns, name)] = replace(pods[(ns, name)], owner=owner)
    return pods


def _workloads_without_pods(c: _Collector, pods: dict[tuple[str, str], Pod]) -> list[Workload]:
    """Workloads whose controller's pods are absent from the input (see workloads.py).

    A pod covers its direct owner and the workload its owner folds to: a pod of ReplicaSet
    ``web-<hash>`` covers Deployment ``web`` even when that ReplicaSet is not in the input.
    """
    covered = {(ref[0], ns, ref[1]) for (ns, _), ref in c.pod_owners if ref is not None}
    covered.update(
        (p.owner.kind, p.owner.namespace, p.owner.name) for p in pods.values() if p.owner
    )
    with_children = {
        (w.owner[0], w.namespace, w.owner[1])
        for w in c.workloads.values()
        if w.owner is not None and w.owner[0] in WORKLOAD_KINDS
    }
    return [
        w
        for key, w in sorted(c.workloads.items())
        if key not in covered and key not in with_children
    ]


def _namespaces(c: _Collector, pods: dict[tuple[str, str], Pod]) -> dict[str, Namespace]:
    """Declared namespaces, plus every namespace an object names (created as the API would)."""
    names: set[str] = set(ALWAYS_PRESENT_NAMESPACES)
    names.update(ns for ns, _ in pods)
    names.update(ns for ns, _ in c.services)
    names.update(ns for ns, _ in c.policies)
    names.update(s.namespace for s in c.slices)
    for kind, objs in c.layer.items():
        if kind != SKIPPED_KIND:  # a skipped object creates no namespace in the model
            names.update(ns for ns, _ in objs if ns)
    out = dict(c.namespaces)
    for name in names - out.keys():
        out[name] = Namespace(
            name=name, labels=namespace_labels(name, EMPTY_LABELS), declared=False
        )
    return out


def slices_preferred(
    slices: list[EndpointSlice], legacy: list[EndpointSlice]
) -> list[EndpointSlice]:
    """EndpointSlices, and a Service's core/v1 Endpoints only when it has no EndpointSlice.

    The Endpoints API is deprecated (Kubernetes 1.33) and the EndpointSlice mirroring
    controller copies every Endpoints object into slices, so a cluster read live has both for
    the same endpoints; kube-proxy reads only EndpointSlices. An Endpoints object is therefore
    used only where its Service has no slice (input written by hand, an old dump).
    https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoints-v1/
    https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#endpointslice-mirroring
    """
    have = {(s.namespace, s.service_name) for s in slices}
    return slices + [s for s in legacy if (s.namespace, s.service_name) not in have]
