"""What every check sees: the resolved cluster and the doctor's configuration (baseline)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import numpy as np

from podpath.cluster import Cluster
from podpath.engine.matrix import Matrix, PortKey, declared_ports, reachability
from podpath.engine.pod_creators import likely_creators, pod_creators
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import namespace_labels_of, peer_matches_pod
from podpath.engine.policy_verdict import PodPeer, Verdict
from podpath.engine.providers.base import Choice
from podpath.engine.selectors import selector_matches
from podpath.model.core import LabelSelector, Pod, Protocol, SourceRef
from podpath.model.objects import SkippedObject
from podpath.model.policy import NetworkPolicy, PolicyPeer

SENSITIVE_KEY = "podpath.io/sensitive"
DEFAULT_MONITORING_NAMESPACES = ("monitoring",)
DEFAULT_METRICS_PORTS: tuple[int | str, ...] = ("metrics", "http-metrics")
# ports the checks ask about besides the declared container ports (DNS, dns_egress)
EXTRA_PORTS: tuple[PortKey, ...] = ((53, Protocol.UDP), (53, Protocol.TCP))


@dataclass(frozen=True, slots=True)
class BaselineConfig:
    """The policy baseline (``podpath.yaml`` ``baseline:`` / ``--sensitive``).

    - ``sensitive_namespaces``: namespaces that must follow the baseline, in addition to
      namespaces labelled or annotated ``podpath.io/sensitive: "true"``;
    - ``monitoring_namespaces``: whose pods must reach ``metrics_ports`` (numbers or
      container port names) of sensitive pods;
    - ``approved_namespaces``: frontend/gateway/job namespaces allowed to send ingress to
      sensitive pods (besides the namespace itself and monitoring).
    """

    sensitive_namespaces: tuple[str, ...] = ()
    monitoring_namespaces: tuple[str, ...] = DEFAULT_MONITORING_NAMESPACES
    metrics_ports: tuple[int | str, ...] = DEFAULT_METRICS_PORTS
    approved_namespaces: tuple[str, ...] = ()
    source: SourceRef | None = None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DoctorContext:
    """``now`` is the time certificates are checked against (the CLI passes the clock; the
    default, the epoch, finds no certificate expired, keeping the core deterministic);
    ``provider`` the provider profile in front of the cluster (``--provider``; None: the
    generic model, and the provider step finds nothing)."""

    cluster: Cluster
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    now: datetime = EPOCH
    provider: Choice | None = None

    @cached_property
    def pods_by_namespace(self) -> dict[str, tuple[Pod, ...]]:
        out: dict[str, list[Pod]] = {}
        for pod in self.cluster.pods:
            out.setdefault(pod.namespace, []).append(pod)
        return {ns: tuple(pods) for ns, pods in out.items()}

    @cached_property
    def matrix(self) -> Matrix:
        """The class-level reachability of the whole input (:mod:`podpath.engine.matrix`),
        computed once per run over the declared container ports and DNS: every check asks it
        whether a pair is allowed; the per-pair evaluator only explains a chosen pair."""
        ports = sorted(
            set(declared_ports(self.cluster.pods)) | set(EXTRA_PORTS),
            key=lambda k: (k[0], k[1].value),
        )
        return reachability(self.cluster, ports)

    @cached_property
    def pod_index(self) -> dict[str, int]:
        return {p.key: i for i, p in enumerate(self.matrix.pods)}

    @cached_property
    def _port_set(self) -> frozenset[PortKey]:
        return frozenset(self.matrix.ports)

    def allowed(self, src: Pod, dst: Pod, port: int, protocol: Protocol = Protocol.TCP) -> bool:
        """Whether ``src`` may open a connection to ``dst`` on ``port``, by policy: the
        matrix's answer (the per-pair evaluator's for a port the matrix does not hold)."""
        key = (port, protocol)
        i, j = self.pod_index.get(src.key), self.pod_index.get(dst.key)
        if i is None or j is None or key not in self._port_set:
            return self.verdict(src, dst, port, protocol).allowed
        if (i, j) in self._overrides:
            return True
        if i == j:
            return self.matrix.is_allowed(i, j, key)
        a, b = self._class_of[i], self._class_of[j]
        return bool((self.matrix.packed[key][a, b >> 3] >> (7 - (b & 7))) & 1)

    def allowed_pairs(
        self, pairs: Sequence[tuple[Pod, Pod]], port: int, protocol: Protocol = Protocol.TCP
    ) -> list[bool]:
        """:meth:`allowed` of each (src, dst) pair, read from the matrix at once."""
        key = (port, protocol)
        index = self.pod_index
        if key not in self._port_set or any(
            s.key not in index or d.key not in index for s, d in pairs
        ):
            return [self.allowed(s, d, port, protocol) for s, d in pairs]
        src = np.array([index[s.key] for s, _ in pairs], dtype=np.int64)
        dst = np.array([index[d.key] for _, d in pairs], dtype=np.int64)
        cls = self.matrix.classes.class_of
        a, b = cls[src], cls[dst]
        bits = (self.matrix.packed[key][a, b >> 3] >> (7 - (b & 7)).astype(np.uint8)) & 1
        extra, m = self._overrides, self.matrix
        return [
            # a pod to its own IP may differ from its class's diagonal: the matrix says
            m.is_allowed(i, j, key) if i == j else bool(bit) or (i, j) in extra
            for bit, i, j in zip(bits.tolist(), src.tolist(), dst.tolist(), strict=True)
        ]

    @cached_property
    def _overrides(self) -> frozenset[tuple[int, int]]:
        """The matrix's sparse pod-pair corrections (allowed on every port)."""
        m = self.matrix
        return frozenset(zip(m.override_src.tolist(), m.override_dst.tolist(), strict=True))

    @cached_property
    def _class_of(self) -> list[int]:
        return [int(c) for c in self.matrix.classes.class_of.tolist()]

    def verdict(self, src: Pod, dst: Pod, port: int, protocol: Protocol = Protocol.TCP) -> Verdict:
        """One pair's verdict with its reasons (the per-pair evaluator): for explaining."""
        return evaluate(self.cluster, PodPeer(src), PodPeer(dst), port, protocol)

    @cached_property
    def _position(self) -> dict[str, int]:
        return {p.key: i for i, p in enumerate(self.cluster.pods)}

    @cached_property
    def _peer_cache(self) -> dict[tuple[str, PolicyPeer], tuple[int, ...]]:
        return {}

    def peer_pods(self, policy: NetworkPolicy, peers: Iterable[PolicyPeer]) -> list[Pod]:
        """The pods any of a rule's ``peers`` selects (:func:`peer_matches_pod`), in the
        input's order. A peer without a namespaceSelector or ipBlock looks only at the
        policy's namespace (NetworkPolicyPeer); answers are shared by the policies whose peer
        means the same pods."""
        found: set[int] = set()
        for peer in peers:
            local = peer.namespace_selector is None and peer.ip_block is None
            key = (policy.namespace if local else "", peer)
            hit = self._peer_cache.get(key)
            if hit is None:
                pool = (
                    self.pods_by_namespace.get(policy.namespace, ()) if local else self.cluster.pods
                )
                hit = tuple(
                    self._position[p.key]
                    for p in pool
                    if peer_matches_pod(self.cluster, policy, peer, p)
                )
                self._peer_cache[key] = hit
            found.update(hit)
        pods = self.cluster.pods
        return [pods[i] for i in sorted(found)]

    @cached_property
    def named_port_pods(self) -> dict[tuple[str, Protocol], tuple[Pod, ...]]:
        """(container port name, protocol) -> the pods declaring it."""
        out: dict[tuple[str, Protocol], list[Pod]] = {}
        for pod in self.cluster.pods:
            for key in {(cp.name, cp.protocol) for cp in pod.ports if cp.name}:
                out.setdefault(key, []).append(pod)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def service_positions_in(self) -> dict[str, tuple[int, ...]]:
        """Namespace -> the positions in ``cluster.services`` of its Services."""
        out: dict[str, list[int]] = {}
        for k, svc in enumerate(self.cluster.services):
            out.setdefault(svc.namespace, []).append(k)
        return {ns: tuple(ks) for ns, ks in out.items()}

    def namespaces_selected(self, selector: LabelSelector) -> list[str]:
        """The input namespaces (in input order) whose labels ``selector`` selects, answered
        once per selector."""
        hit = self._selected_namespaces.get(selector)
        if hit is None:
            labels = self.namespace_labels
            hit = [n for n, lab in labels.items() if selector_matches(selector, lab)]
            self._selected_namespaces[selector] = hit
        return hit

    @cached_property
    def _selected_namespaces(self) -> dict[LabelSelector, list[str]]:
        return {}

    @cached_property
    def named_port_keys(self) -> dict[tuple[str, Protocol], frozenset[str]]:
        """(container port name, protocol) -> the keys of the pods declaring it."""
        return {k: frozenset(p.key for p in v) for k, v in self.named_port_pods.items()}

    @cached_property
    def named_port_pods_in(self) -> dict[tuple[str, str, Protocol], tuple[Pod, ...]]:
        """(namespace, container port name, protocol) -> the pods of the namespace declaring
        it (:attr:`named_port_pods` split by namespace)."""
        out: dict[tuple[str, str, Protocol], list[Pod]] = {}
        for (name, protocol), pods in self.named_port_pods.items():
            for pod in pods:
                out.setdefault((pod.namespace, name, protocol), []).append(pod)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def namespace_labels(self) -> dict[str, Mapping[str, str]]:
        """Each input namespace's labels (:func:`namespace_labels_of`), in input order; read
        only (shared by every check)."""
        cluster = self.cluster
        return {n.name: namespace_labels_of(cluster, n.name) for n in cluster.namespaces}

    @cached_property
    def pod_creators(self) -> dict[str, tuple[SkippedObject, ...]]:
        """:func:`podpath.engine.pod_creators.pod_creators` of this cluster."""
        return pod_creators(self.cluster)

    def likely_creators(
        self,
        namespaces: Iterable[str],
        selector: LabelSelector | None = None,
        pods: Iterable[Pod] = (),
    ) -> tuple[str, ...]:
        """:func:`podpath.engine.pod_creators.likely_creators` over this cluster."""
        return likely_creators(self.pod_creators, namespaces, selector, pods)

    @cached_property
    def sensitive_namespaces(self) -> tuple[str, ...]:
        """Configured sensitive namespaces plus those marked with the label/annotation."""
        marked = {
            ns.name
            for ns in self.cluster.namespaces
            if _truthy(ns.labels.get(SENSITIVE_KEY)) or _truthy(ns.annotations.get(SENSITIVE_KEY))
        }
        return tuple(sorted(marked | set(self.baseline.sensitive_namespaces)))


# Labels that tell versions of one application apart (the canary pattern); labels the
# controllers add to every pod differ between workloads anyway and say nothing.
VERSION_KEYS = frozenset(
    {"version", "track", "app.kubernetes.io/version", "canary", "stable", "variant", "release"}
)
GENERATED_KEYS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "job-name",
        "controller-uid",
        "batch.kubernetes.io/job-name",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-completion-index",
        "pod-template-generation",
    }
)


def canary_keys(label_sets: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    """The keys by which the workloads behind one Service differ, when they are all version
    labels: one Service over workloads that differ by a ``track`` or ``version`` label is the
    canary pattern the Kubernetes docs recommend ("Managing Workloads", Canary deployments:
    https://kubernetes.io/docs/concepts/workloads/management/#canary-deployments; Istio's
    bookinfo ``reviews`` v1/v2/v3). Empty when they differ otherwise (or not at all)."""
    keys = {k for labels in label_sets for k in labels} - GENERATED_KEYS
    differ = {k for k in keys if len({labels.get(k) for labels in label_sets}) > 1}
    return tuple(sorted(differ)) if differ and differ <= VERSION_KEYS else ()


def workload_object(pod: Pod) -> str:
    """The object a finding about a pod names: its workload (``Deployment/NS/NAME``), or the
    pod itself when it has no controller."""
    if pod.owner is not None:
        return f"{pod.owner.kind}/{pod.owner.namespace}/{pod.owner.name}"
    return str(pod.ref)


def group_by_workload(pods: Iterable[Pod]) -> dict[str, list[Pod]]:
    """Pods grouped by :func:`workload_object` (replicas share labels and policies)."""
    out: dict[str, list[Pod]] = {}
    for pod in pods:
        out.setdefault(workload_object(pod), []).append(pod)
    return out


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("true", "yes", "1", "")


CONFIG_KIND = "PodpathConfig"


def _strs(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def _ports(value: object, where: str) -> tuple[int | str, ...]:
    if value is None:
        return DEFAULT_METRICS_PORTS
    if not isinstance(value, list) or not all(
        isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        raise ValueError(f"{where}: expected a list of port numbers or names")
    return tuple(value)


def baseline_from_config(raw: object, source: SourceRef | None = None) -> BaselineConfig:
    """The ``baseline:`` section of a ``podpath.yaml`` (``kind: PodpathConfig`` optional)::

        apiVersion: podpath.io/v1alpha1
        kind: PodpathConfig
        baseline:
          sensitiveNamespaces: [payments]
          monitoringNamespaces: [monitoring]
          metricsPorts: [9090, metrics]
          approvedNamespaces: [ingress-nginx, batch]

    Raises ``ValueError`` naming the field on a malformed value.
    """
    if raw is None:
        return BaselineConfig(source=source)
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping")
    section = raw.get("baseline") or {}
    if not isinstance(section, dict):
        raise ValueError("baseline: expected a mapping")
    return BaselineConfig(
        sensitive_namespaces=_strs(
            section.get("sensitiveNamespaces"), "baseline.sensitiveNamespaces"
        ),
        monitoring_namespaces=_strs(
            section.get("monitoringNamespaces", list(DEFAULT_MONITORING_NAMESPACES)),
            "baseline.monitoringNamespaces",
        ),
        metrics_ports=_ports(section.get("metricsPorts"), "baseline.metricsPorts"),
        approved_namespaces=_strs(section.get("approvedNamespaces"), "baseline.approvedNamespaces"),
        source=source,
    )
