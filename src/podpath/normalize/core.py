"""Raw Namespaces, Nodes, Pods and label selectors -> model, API defaults applied once.

- Pod ``protocol`` defaults to TCP, ``dnsPolicy`` to ClusterFirst
  (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/).
- Readiness is the ``Ready`` condition; a pod without status counts as ready (assumption
  ``pod-ready-assumed``), a pod with ``deletionTimestamp`` is terminating
  (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions).
- Every namespace carries ``kubernetes.io/metadata.name`` as the API server sets it
  (https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name).
"""

from __future__ import annotations

from typing import Any

from podpath.errors import MSG_BAD_OPERATOR, MSG_BAD_SELECTOR_VALUES, MSG_MISSING
from podpath.model.core import (
    Container,
    ContainerPort,
    DNSConfig,
    DNSPolicy,
    Labels,
    LabelSelector,
    Namespace,
    Node,
    Pod,
    Probe,
    SelectorOperator,
    SelectorRequirement,
    SourceRef,
    Taint,
    Toleration,
    WorkloadRef,
)
from podpath.normalize.fields import Fields, object_fields

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DNS_POLICIES: dict[str, DNSPolicy] = {p.value: p for p in DNSPolicy}
SELECTOR_OPERATORS: dict[str, SelectorOperator] = {op.value: op for op in SelectorOperator}


def namespace_labels(name: str, labels: Labels) -> Labels:
    """The namespace's labels with ``kubernetes.io/metadata.name`` set to its name."""
    return Labels({**labels, NAMESPACE_NAME_LABEL: name})


def normalize_namespace(raw: dict[str, Any], source: SourceRef) -> Namespace:
    _, meta, _, name = object_fields(raw, source)
    return Namespace(
        name=name,
        labels=namespace_labels(name, meta.labels("labels")),
        annotations=meta.labels("annotations"),
        source=source,
    )


WELL_KNOWN_NODE_LABELS = (
    ("kubernetes.io/os", "linux"),
    ("kubernetes.io/arch", "amd64"),
    ("beta.kubernetes.io/os", "linux"),
    ("beta.kubernetes.io/arch", "amd64"),
)


def node_labels(name: str, labels: Labels) -> Labels:
    """The labels the kubelet sets on its Node when the input omits them: the kubelet's
    initialNode sets ``kubernetes.io/hostname``, ``kubernetes.io/os`` and
    ``kubernetes.io/arch``, and still the deprecated ``beta.kubernetes.io/os`` and
    ``beta.kubernetes.io/arch`` (pkg/kubelet/kubelet_node_status.go; the labels:
    https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-hostname,
    #beta-kubernetes-io-os-deprecated). Manifests still select on the beta labels (sock-shop's
    ``nodeSelector: {beta.kubernetes.io/os: linux}``). A made-up node is linux/amd64."""
    defaults = {"kubernetes.io/hostname": name, **dict(WELL_KNOWN_NODE_LABELS)}
    return Labels({**defaults, **labels})


def normalize_node(raw: dict[str, Any], source: SourceRef) -> Node:
    top, meta, _, name = object_fields(raw, source)
    spec, status = top.map("spec"), top.map("status")
    internal: list[str] = []
    external: list[str] = []
    for addr in status.maps("addresses"):
        kind = addr.str("type")
        if kind == "InternalIP":
            internal.append(addr.ip("address"))
        elif kind == "ExternalIP":
            external.append(addr.ip("address"))
    cidrs = spec.cidrs("podCIDRs") or ((spec.cidr("podCIDR"),) if spec.has("podCIDR") else ())
    taints = tuple(
        Taint(
            t.req_str("key"),
            t.str("effect", "NoSchedule") or "NoSchedule",
            t.str("value", "") or "",
        )
        for t in spec.maps("taints")
    )
    return Node(
        taints=taints,
        name=name,
        internal_ips=tuple(internal),
        pod_cidrs=cidrs,
        labels=node_labels(name, meta.labels("labels")),
        external_ips=tuple(external),
        source=source,
    )


MSG_SELECTOR_FIELD = (
    "unknown field {got!r} in a label selector (matchLabels, matchExpressions): the API "
    "server's strict field validation (kubectl's default) rejects it; dropped, it would leave "
    "a selector that selects everything"
)
SELECTOR_FIELDS = ("matchLabels", "matchExpressions")


def normalize_selector(f: Fields) -> LabelSelector:
    """A meta/v1 LabelSelector. ``In``/``NotIn`` need values, ``Exists``/``DoesNotExist``
    must have none (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements).
    A field other than ``matchLabels``/``matchExpressions`` (a typo such as ``matchLabel``) is
    an error, as strict field validation makes it
    (https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation): read
    leniently it would become the empty selector, which selects every object."""
    for key in f.raw:
        if key not in SELECTOR_FIELDS:
            raise f.error(str(key), MSG_SELECTOR_FIELD.format(got=key))
    requirements = []
    for expr in f.maps("matchExpressions"):
        key = expr.req_str("key")
        op_text = expr.req_str("operator")
        op = SELECTOR_OPERATORS.get(op_text)
        if op is None:
            raise expr.error("operator", MSG_BAD_OPERATOR.format(got=op_text))
        values = expr.strs("values")
        needs_values = op in (SelectorOperator.IN, SelectorOperator.NOT_IN)
        if needs_values and not values:
            raise expr.error("values", MSG_BAD_SELECTOR_VALUES.format(op=op.value, need="needs"))
        if not needs_values and values:
            raise expr.error("values", MSG_BAD_SELECTOR_VALUES.format(op=op.value, need="takes no"))
        requirements.append(SelectorRequirement(key, op, tuple(sorted(set(values)))))
    requirements.sort(key=lambda r: (r.key, r.operator.value, r.values))
    return LabelSelector(f.labels("matchLabels"), tuple(requirements))


PROBE_FIELDS = tuple((kind, f"{kind}Probe") for kind in ("readiness", "liveness", "startup"))


def _container(f: Fields) -> Container:
    ports = tuple(
        ContainerPort(
            container_port=p.port_number("containerPort") or _missing(p, "containerPort"),
            protocol=p.protocol(),
            name=p.str("name"),
            host_port=p.port_number("hostPort"),
        )
        for p in f.maps("ports")
    )
    probes = []
    for kind, field in PROBE_FIELDS:
        probe = f.maybe_map(field)
        if probe is None:
            continue
        for handler in ("httpGet", "tcpSocket", "grpc"):
            h = probe.maybe_map(handler)
            if h is not None and h.get("port") is not None:
                port = h.int_or_string("port")
                if port is not None:
                    probes.append(Probe(kind, port, handler))
    return Container(
        name=f.str("name", "") or "",
        ports=ports,
        probes=tuple(probes),
        image=f.str("image", "") or "",
    )


def _missing(f: Fields, key: str) -> int:
    raise f.error(key, MSG_MISSING)


def _dns_config(spec: Fields) -> DNSConfig | None:
    cfg = spec.maybe_map("dnsConfig")
    if cfg is None:
        return None
    options = tuple((o.req_str("name"), o.str("value")) for o in cfg.maps("options"))
    return DNSConfig(cfg.ips("nameservers"), cfg.strs("searches"), options)


def _dns_policy(spec: Fields) -> DNSPolicy:
    text = spec.str("dnsPolicy", "ClusterFirst") or "ClusterFirst"
    policy = DNS_POLICIES.get(text)
    if policy is None:
        raise spec.error(
            "dnsPolicy",
            f"unknown dnsPolicy {text!r} (ClusterFirst, ClusterFirstWithHostNet, Default, None)",
        )
    return policy


def pod_from_spec(
    namespace: str,
    name: str,
    meta: Fields,
    spec: Fields,
    source: SourceRef,
    *,
    labels: Labels | None = None,
    owner: WorkloadRef | None = None,
    hostname: str | None = None,
    subdomain: str | None = None,
) -> Pod:
    """A Pod built from a pod spec (a Pod's own, or a workload's template).

    Sidecar containers -- ``initContainers`` with ``restartPolicy: Always`` -- keep running
    beside the app containers, so they are listed after them: ``podutil.FindPort`` looks a
    named targetPort up in ``containers`` first, then in these
    (https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/).
    """
    return Pod(
        **_pod_spec_fields(
            namespace,
            name,
            meta,
            spec,
            source,
            labels=labels,
            owner=owner,
            hostname=hostname,
            subdomain=subdomain,
        )
    )


def _pod_spec_fields(
    namespace: str,
    name: str,
    meta: Fields,
    spec: Fields,
    source: SourceRef,
    *,
    labels: Labels | None = None,
    owner: WorkloadRef | None = None,
    hostname: str | None = None,
    subdomain: str | None = None,
) -> dict[str, Any]:
    """The Pod fields :func:`pod_from_spec` reads, in the order it reads them (so the first
    error of an object with several is always the same one)."""
    containers = tuple(_container(c) for c in spec.maps("containers")) + tuple(
        _container(c) for c in spec.maps("initContainers") if c.str("restartPolicy") == "Always"
    )
    return dict(
        namespace=namespace,
        name=name,
        labels=labels if labels is not None else meta.labels("labels"),
        annotations=meta.labels("annotations"),
        containers=containers,
        node_name=spec.str("nodeName"),
        host_network=spec.bool("hostNetwork"),
        hostname=hostname if hostname is not None else spec.str("hostname"),
        subdomain=subdomain if subdomain is not None else spec.str("subdomain"),
        dns_policy=_dns_policy(spec),
        dns_config=_dns_config(spec),
        owner=owner,
        service_account=spec.str("serviceAccountName", "default") or "default",
        node_selector=spec.labels("nodeSelector"),
        tolerations=tuple(
            Toleration(
                t.str("key", "") or "",
                t.str("operator", "Equal") or "Equal",
                t.str("value", "") or "",
                t.str("effect", "") or "",
            )
            for t in spec.maps("tolerations")
        ),
        ip_origin="ipam",
        source=source,
    )


def normalize_pod(raw: dict[str, Any], source: SourceRef, owner: WorkloadRef | None = None) -> Pod:
    """A Pod object. Its IPs come from ``status.podIPs``/``status.podIP`` where given."""
    top, meta, ns, name = object_fields(raw, source)
    return _pod(top, meta, ns, name, source, owner)


def pod_and_owner(raw: dict[str, Any], source: SourceRef) -> tuple[Pod, tuple[str, str] | None]:
    """A Pod object (:func:`normalize_pod`) and its controller owner reference
    (:func:`owner_refs`), reading the object once."""
    top, meta, ns, name = object_fields(raw, source)
    pod = _pod(top, meta, ns, name, source, None)
    refs = owner_refs(meta)
    return pod, refs[0] if refs else None


def _pod(
    top: Fields, meta: Fields, ns: str, name: str, source: SourceRef, owner: WorkloadRef | None
) -> Pod:
    spec = top.map("spec")
    fields = _pod_spec_fields(ns or "default", name, meta, spec, source, owner=owner)
    status = top.maybe_map("status")
    terminating = meta.has("deletionTimestamp")
    if status is None:
        return Pod(**fields, terminating=terminating)
    ips = tuple(status.ip("podIPs", p.get("ip")) for p in status.maps("podIPs") if p.has("ip"))
    if not ips and status.has("podIP"):
        ips = (status.ip("podIP"),)
    phase = status.str("phase", "Running") or "Running"
    ready, assumed = is_pod_ready(status, phase)
    fields["ip_origin"] = "status" if ips else "ipam"
    return Pod(
        **fields,
        ips=ips,
        phase=phase,
        ready=ready and phase == "Running",
        ready_assumed=assumed,
        terminating=terminating,
    )


def is_pod_ready(status: Fields, phase: str) -> tuple[bool, bool]:
    """(ready, assumed) of a pod with a status, as the EndpointSlice controller's IsPodReady
    reads it: ready only with a ``Ready`` condition whose status is ``True``
    (https://github.com/kubernetes/kubernetes/blob/master/pkg/api/v1/pod/util.go,
    ``IsPodReadyConditionTrue``: a missing condition is not ready).

    - conditions listed, ``Ready`` among them: its status decides;
    - conditions listed, no ``Ready``: not ready (the kubelet has not reported readiness);
    - no conditions at all (a hand-written status, e.g. one that pins ``podIP``): the status
      says nothing about readiness; a running pod is assumed ready, and ``assumed`` says so
      (as for a pod with no status at all). A pending or finished pod is not ready.
    """
    if status.has("conditions"):
        ready = [c for c in status.maps("conditions") if c.str("type") == "Ready"]
        return bool(ready) and ready[0].str("status") == "True", False
    return phase == "Running", phase == "Running"


def owner_refs(meta: Fields) -> list[tuple[str, str]]:
    """(kind, name) of the controller owner references (or all, when none is marked)."""
    refs = meta.maps("ownerReferences")
    controllers = [r for r in refs if r.bool("controller")] or refs
    return [(r.str("kind", "") or "", r.str("name", "") or "") for r in controllers]
