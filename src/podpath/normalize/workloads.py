"""Workloads -> the pods their controllers would create, with deterministic names.

Real repositories hold Deployments, not Pods, so each workload that no Pod in the input
belongs to becomes ``replicas`` pods (default 1) from its pod template:

- Deployment: ``NAME-<pod-template-hash>-<suffix>``, label ``pod-template-hash``
  (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label);
- ReplicaSet, ReplicationController: ``NAME-<suffix>``;
- StatefulSet: ``NAME-0 .. NAME-(N-1)``, hostname = pod name, subdomain = ``serviceName``,
  labels ``statefulset.kubernetes.io/pod-name`` and ``apps.kubernetes.io/pod-index``
  (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id);
- DaemonSet: one pod per node, ``NAME-<suffix of the node>``, placed on that node;
- Job: ``NAME-<suffix>`` with ``batch.kubernetes.io/job-name``/``job-name`` labels; CronJob: one
  running Job's pod, ``NAME-<hash>-<suffix>``.

Suffixes come from a hash of the object's identity in the alphabet the API server's name
generator uses, so the same input gives the same names in any file order.

Every count that expands (``replicas``, ``parallelism``, a DaemonSet's pod per node) is read
and bounded *before* any pod is made: an input that would expand to more than ``max_pods``
pods in total (:data:`MAX_PODS`, ``--max-pods``) is refused with one line naming the
workload's file, document and field, so that ``replicas: 1000000000000`` costs nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from podpath.engine.scheduling import daemonset_tolerations, pod_fits_node
from podpath.errors import InputError
from podpath.model.core import Labels, Node, Pod, SourceRef, WorkloadRef
from podpath.normalize.core import owner_refs, pod_from_spec
from podpath.normalize.fields import Fields, object_fields

WORKLOAD_KINDS = (
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
)
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand
MAX_PODS = 200_000  # the default --max-pods: pods in total, declared and generated
MSG_TOO_MANY_PODS = (
    "{what} brings the input to {total} pods, more than the limit of {limit} (--max-pods raises it)"
)
MSG_TOO_MANY_DECLARED = (
    "the input declares {total} Pods, more than the limit of {limit} (--max-pods raises it)"
)


def name_suffix(seed: str, length: int = 5) -> str:
    """A deterministic suffix in the API server's random-name alphabet."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def template_hash(seed: str) -> str:
    """A deterministic stand-in for ``pod-template-hash`` (10 characters)."""
    return name_suffix("template:" + seed, 10)


@dataclass(frozen=True, slots=True)
class Workload:
    """A workload object with what pod generation needs, located for errors."""

    kind: str
    namespace: str
    name: str
    raw: dict[str, Any]
    source: SourceRef
    owner: tuple[str, str] | None  # (kind, name) of its own controller (RS -> Deployment)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


def read_workload(raw: dict[str, Any], source: SourceRef) -> Workload:
    _, meta, ns, name = object_fields(raw, source)
    refs = owner_refs(meta)
    return Workload(raw["kind"], ns or "default", name, raw, source, refs[0] if refs else None)


def _template(top: Fields, kind: str) -> tuple[Fields, Fields, Fields]:
    """(spec, template metadata, template spec), through ``jobTemplate`` for CronJobs."""
    spec = top.map("spec")
    if kind == "CronJob":
        spec = spec.map("jobTemplate").map("spec")
    template = spec.map("template")
    return spec, template.map("metadata"), template.map("spec")


HPA_TARGETS = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")


def read_hpa(raw: dict[str, Any], source: SourceRef) -> tuple[tuple[str, str, str], int]:
    """A HorizontalPodAutoscaler's target ``(kind, namespace, name)`` and its
    ``minReplicas`` (default 1)."""
    top, _, ns, _ = object_fields(raw, source)
    spec = top.map("spec")
    target = spec.map("scaleTargetRef")
    kind, name = target.req_str("kind"), target.req_str("name")
    return (kind, ns or "default", name), spec.int("minReplicas", 1) or 1


def autoscaled_replicas(replicas: int, min_replicas: int | None) -> int:
    """The replicas a workload runs under a HorizontalPodAutoscaler: at least ``minReplicas``
    (the controller scales a target below it up: ``normalizeDesiredReplicas``), except that a
    target scaled to 0 has autoscaling disabled
    (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#implicit-maintenance-mode-deactivation;
    pkg/controller/podautoscaler/horizontal.go). Without an HPA: ``replicas``."""
    if min_replicas is None or replicas == 0:
        return replicas
    return max(replicas, min_replicas)


def _count_field(w: Workload) -> tuple[Fields, str]:
    """The spec and the field that counts the workload's pods (DaemonSets: none)."""
    top, _, _, _ = object_fields(w.raw, w.source)
    spec = top.map("spec")
    if w.kind == "CronJob":
        spec = spec.map("jobTemplate").map("spec")
    return spec, "parallelism" if w.kind in ("Job", "CronJob") else "replicas"


def planned_pods(w: Workload, nodes: int, min_replicas: int | None = None) -> int:
    """How many pods ``workload_pods`` will make, read without making them: ``replicas``
    (``parallelism`` for Jobs; default 1; raised to an HPA's ``min_replicas``), at most one
    per node for a DaemonSet."""
    if w.kind == "DaemonSet":
        return nodes
    spec, key = _count_field(w)
    count = max(spec.int(key, 1) or 0, 0)
    return autoscaled_replicas(count, min_replicas) if w.kind in HPA_TARGETS else count


def node_hint(w: Workload, min_replicas: int | None = None) -> int:
    """Pods the workload counts for when podpath chooses a node count (one for a DaemonSet,
    Job or CronJob)."""
    if w.kind in ("DaemonSet", "Job", "CronJob"):
        return 1
    return planned_pods(w, 0, min_replicas)


def check_expansion(
    workloads: Sequence[Workload],
    declared: int,
    nodes: int,
    limit: int,
    floors: Mapping[tuple[str, str, str], int] | None = None,
) -> int:
    """Refuse, before any pod is made, an input that expands to more than ``limit`` pods
    (``declared`` pods plus every workload's; ``floors``: HPA minReplicas by target); the
    total."""
    floors = floors or {}
    if declared > limit:
        raise InputError(MSG_TOO_MANY_DECLARED.format(total=declared, limit=limit))
    total = declared
    for w in workloads:
        total += planned_pods(w, nodes, floors.get(w.key))
        if total > limit:
            spec, key = _count_field(w) if w.kind != "DaemonSet" else (None, "")
            field = spec.child_path(key) if spec is not None else "spec (one pod per node)"
            raise InputError(
                MSG_TOO_MANY_PODS.format(what=f"this {w.kind}", total=total, limit=limit),
                path=w.source.path,
                doc_index=w.source.doc_index,
                obj=f"{w.kind} {w.namespace}/{w.name}",
                field=field,
            )
    return total


def workload_pods(
    w: Workload, nodes: tuple[Node, ...], top_owner: WorkloadRef, min_replicas: int | None = None
) -> Iterator[Pod]:
    """The pods the workload's controller would create (see the module docstring);
    ``min_replicas``: the ``minReplicas`` of a HorizontalPodAutoscaler scaling it.

    The pod template is read once, and only when there is a pod to make (a workload with no
    replicas reports no template error); each pod is that pod with its own name (and node,
    labels, hostname)."""
    top, _, _, _ = object_fields(w.raw, w.source)
    spec, tmeta, tspec = _template(top, w.kind)
    labels = tmeta.labels("labels")
    identity = f"{w.kind}/{w.namespace}/{w.name}"
    if w.kind == "DaemonSet":
        template_pod = pod_from_spec(w.namespace, w.name, tmeta, tspec, w.source, labels=labels)
        for node in nodes:
            if not pod_fits_node(template_pod, node, daemonset_tolerations(template_pod)):
                continue
            yield replace(
                template_pod,
                name=f"{w.name}-{name_suffix(identity + '@' + node.name)}",
                owner=top_owner,
                node_name=node.name,
            )
        return
    default = 1
    replicas = spec.int("replicas", default) if w.kind not in ("Job", "CronJob") else None
    if w.kind in ("Job", "CronJob"):
        replicas = spec.int("parallelism", 1)
    count = max(replicas or 0, 0)
    if w.kind in HPA_TARGETS:
        count = autoscaled_replicas(count, min_replicas)
    if w.kind == "StatefulSet":
        service_name = spec.str("serviceName")
        if count <= 0:
            return
        first = f"{w.name}-0"
        stateful = pod_from_spec(
            w.namespace,
            first,
            tmeta,
            tspec,
            w.source,
            labels=labels,
            owner=top_owner,
            hostname=first,  # given, as for every replica: the template's is not read
            subdomain=service_name,
        )
        for i in range(count):
            name = f"{w.name}-{i}"
            extra = {
                "statefulset.kubernetes.io/pod-name": name,
                "apps.kubernetes.io/pod-index": str(i),
            }
            yield replace(stateful, name=name, labels=Labels({**labels, **extra}), hostname=name)
        return
    prefix, extra_labels = _name_prefix(w, identity)
    if count <= 0:
        return
    template = pod_from_spec(
        w.namespace,
        prefix,
        tmeta,
        tspec,
        w.source,
        labels=Labels({**labels, **extra_labels}),
        owner=top_owner,
    )
    for i in range(count):
        yield replace(template, name=f"{prefix}-{name_suffix(f'{identity}#{i}')}")


def _name_prefix(w: Workload, identity: str) -> tuple[str, dict[str, str]]:
    if w.kind == "Deployment":
        h = template_hash(identity)
        return f"{w.name}-{h}", {"pod-template-hash": h}
    if w.kind == "CronJob":
        job = f"{w.name}-{abs(int(hashlib.sha256(identity.encode()).hexdigest()[:7], 16))}"
        return job, {"batch.kubernetes.io/job-name": job, "job-name": job}
    if w.kind == "Job":
        return w.name, {"batch.kubernetes.io/job-name": w.name, "job-name": w.name}
    return w.name, {}


def top_owner(
    kind: str, namespace: str, name: str, workloads: dict[tuple[str, str, str], Workload]
) -> WorkloadRef:
    """Fold a controller chain to its top workload: ReplicaSet -> Deployment, Job -> CronJob."""
    seen = set()
    while (kind, namespace, name) in workloads and (kind, namespace, name) not in seen:
        seen.add((kind, namespace, name))
        parent = workloads[(kind, namespace, name)].owner
        if parent is None or parent[0] not in WORKLOAD_KINDS:
            break
        kind, name = parent
    return WorkloadRef(kind, namespace, name)


def fold_unknown_owner(kind: str, name: str, pod_labels: Labels) -> tuple[str, str]:
    """A pod's owner when its controller is not in the input: a ReplicaSet named
    ``DEPLOY-<pod-template-hash>`` is a Deployment's."""
    h = pod_labels.get("pod-template-hash")
    if kind == "ReplicaSet" and h and name.endswith("-" + h):
        return "Deployment", name[: -len(h) - 1]
    return kind, name
