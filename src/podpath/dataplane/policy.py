"""NetworkPolicy for the data plane: the allowed flows, from the policy engines. No I/O.

No second reading of the policies; every element comes from an engine verdict:

- **pod -> pod** (checked where the packet is delivered, egress of the source AND ingress of
  the destination): the fast matrix, :func:`podpath.engine.matrix.reachability` over every
  port a pod serves or a Service targets; ``Matrix.allowed(port)[i, j]``.
- **node / internet -> pod** (only the pod's ingress applies): :func:`evaluate`, once per
  (destination pod class, source address, same node?, port) -- pods of one matrix class get
  the same verdicts (:mod:`podpath.engine.matrix_classes`), apart from the node-traffic
  assumption, hence the same-node flag.
- **pod -> node / internet** (only the pod's egress applies): :func:`evaluate` per (source
  class, destination address, same node?, protocol, port interval). To an address that is no
  pod's, the egress verdict only changes at the boundaries of numeric rule ports (``port``,
  ``endPort + 1``, admin ``start``/``end + 1``; named ports never match a non-pod, absent
  ports match all), so one representative port per interval decides the whole interval and
  the compiled set covers every port, not just probed ones.

A (port, protocol) open to every source becomes one ``0.0.0.0/0`` element. Host-network pods
are not policed (their traffic is their node's). A pod reaching itself through a Service
(hairpin) is judged with itself as the source, as the policy engine and ``trace`` do: through
a Service, so the admin tiers apply (``evaluate(..., via_service=True)``; to its own IP they
do not, https://network-policy-api.sigs.k8s.io/api-overview/); its own IP directly never
leaves its namespace.

Dual stack: a connection is of one family and an ipBlock matches only addresses of its own
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#ipblock with
https://kubernetes.io/docs/concepts/services-networking/dual-stack/), so on a dual-stack
model every verdict is taken per family (``PodPeer(pod, family=F)``): pod -> pod by the
matrix of that family (``reachability(..., family=F)``, :mod:`podpath.engine.ip_family`; the
matrix of the cluster itself answers for "any of a pod's addresses"), the others by
:func:`evaluate` with the family; and IPv6 elements for the pods' IPv6 addresses, with the
nodes' modelled IPv6 InternalIPs as the IPv6 addresses that are no pod's (there is no IPv6
internet client).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from podpath.cluster import Cluster
from podpath.dataplane.nft import Allow, PolicyRules
from podpath.dataplane.plan import Plan, PodNet
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix import reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import INTERNET_IP, IPPeer, Peer, PodPeer
from podpath.model.core import Protocol
from podpath.model.policy import Direction

ALL = "0.0.0.0/0"
ALL6 = "::/0"
MAX_PORT = 65535
POLICED = ("TCP", "UDP")
Progress = Callable[[str], None]


def _no_policies(cluster: Cluster) -> bool:
    kinds = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")
    return not cluster.network_policies and not any(cluster.of_kind(k) for k in kinds)


def _target_ports(cluster: Cluster) -> dict[str, set[tuple[int, str]]]:
    """Pod key -> the ports Services send it to (served or not: an allowed connection to a port
    nobody serves is refused, not dropped)."""
    out: dict[str, set[tuple[int, str]]] = {}
    for ports in cluster.endpoints.values():
        for pe in ports:
            for ep in pe.endpoints:
                if ep.pod is not None:
                    out.setdefault(ep.pod, set()).add((ep.port, pe.service_port.protocol.value))
    return out


def pod_ports(cluster: Cluster, plan: Plan) -> dict[str, set[tuple[int, str]]]:
    """Per policed pod, the ports flows to it are compiled for: served or Service-targeted."""
    targeted = _target_ports(cluster)
    out = {}
    for pod in plan.pods:
        if pod.host_network:
            continue
        ports = {(lst.port, lst.protocol) for lst in pod.listeners}
        ports |= {p for p in targeted.get(pod.key, set()) if p[1] in POLICED}
        out[pod.key] = {p for p in ports if p[1] in POLICED}
    return out


def egress_boundaries(cluster: Cluster, protocol: Protocol) -> list[int]:
    """The sorted starts of the port intervals on which every egress rule of ``protocol`` is
    constant for a destination that is no pod (module docstring)."""
    cuts = {0}
    for pol in cluster.network_policies:
        for rule in pol.egress:
            for p in rule.ports:
                if p.protocol is protocol and isinstance(p.port, int):
                    cuts.add(p.port)
                    cuts.add((p.end_port if p.end_port is not None else p.port) + 1)
    for tier in ("Admin", "Baseline"):
        for apol in admin_policies(cluster, tier):
            for arule in apol.rules(Direction.EGRESS):
                for ap in arule.ports or ():
                    if ap.name is None and ap.protocol is protocol:
                        cuts.add(ap.start)
                        cuts.add(ap.end + 1)
    return sorted(c for c in cuts if 0 <= c <= MAX_PORT)


def _intervals(cuts: list[int]) -> list[tuple[int, int]]:
    ends = [*cuts[1:], MAX_PORT + 1]
    return [(lo, hi - 1) for lo, hi in zip(cuts, ends, strict=True)]


class _Compiler:
    def __init__(
        self,
        cluster: Cluster,
        plan: Plan,
        progress: Progress | None,
        extra_sources: tuple[str, ...] = (),
    ) -> None:
        self.cluster = cluster
        self.plan = plan
        self.progress = progress
        self.targets = [p for p in plan.pods if not p.host_network]
        self.ports = pod_ports(cluster, plan)
        columns = sorted(
            {(port, Protocol(proto)) for ps in self.ports.values() for port, proto in ps},
            key=lambda k: (k[0], k[1].value),
        )
        self.matrix = reachability(cluster, ports=columns)
        self.index = {pod.key: i for i, pod in enumerate(self.matrix.pods)}
        self.class_of = self.matrix.classes.class_of
        # addresses that are no pod's: the nodes and the internet
        self.outside: list[tuple[str, Peer, str | None]] = [
            (n.ip, peer_for_ip(cluster, n.ip), n.name) for n in plan.nodes
        ]
        self.outside.append((INTERNET_IP, IPPeer(INTERNET_IP), None))
        self.outside += [(ip, peer_for_ip(cluster, ip), None) for ip in extra_sources]
        self.outside6: list[tuple[str, Peer, str | None]] = [
            (n.ip6, peer_for_ip(cluster, n.ip6), n.name)
            for n in plan.nodes
            if n.ip6 is not None and n.ip6_modelled and plan.ipv6
        ]
        self.cache: dict[tuple[object, ...], bool] = {}
        self.dual = plan.dual_stack
        # dual stack: pod -> pod per family, the matrix of that family's connections (its
        # pods: those with an address of the family) and where each pod is in it
        self.matrices = (
            {f: reachability(cluster, ports=columns, family=f) for f in plan.families}
            if self.dual
            else {}
        )
        self.family_index = {
            f: {pod.key: i for i, pod in enumerate(m.pods)} for f, m in self.matrices.items()
        }

    def _cls(self, pod: PodNet) -> int:
        return int(self.class_of[self.index[pod.key]])

    def _peer(self, pod: PodNet, family: int) -> PodPeer:
        """The pod as one side of a connection of ``family`` (any of its addresses when the
        model is not dual-stack: the single-stack verdicts stay the matrix's)."""
        return PodPeer(self.cluster.pod_by_key[pod.key], family=family if self.dual else None)

    def _pods_allowed(
        self, port: int, proto: str, family: int, srcs: list[PodNet], dsts: list[PodNet]
    ) -> np.ndarray:
        """srcs x dsts: may each source reach each destination on (port, proto) over
        ``family``: that family's matrix when dual-stack (a pod without an address of the
        family takes part in no connection of it)."""
        matrix = self.matrices.get(family, self.matrix)
        index = self.family_index.get(family, self.index)
        src_at = [index.get(p.key, -1) for p in srcs]
        dst_at = [index.get(p.key, -1) for p in dsts]
        src_idx = np.array([max(i, 0) for i in src_at], dtype=np.int64)
        dst_idx = np.array([max(j, 0) for j in dst_at], dtype=np.int64)
        out: np.ndarray = matrix.allowed((port, Protocol(proto)))[np.ix_(src_idx, dst_idx)]
        out[np.array(src_at) < 0, :] = False
        out[:, np.array(dst_at) < 0] = False
        return out

    def _evaluate(
        self, key: tuple[object, ...], src: Peer, dst: Peer, port: int, proto: str
    ) -> bool:
        hit = self.cache.get(key)
        if hit is None:
            hit = evaluate(self.cluster, src, dst, port, Protocol(proto)).allowed
            self.cache[key] = hit
        return hit

    def _hairpin(self, pod: PodPeer, port: int, proto: str) -> bool:
        """A pod to itself through a Service: subject to the admin tiers, unlike to its own IP
        (:data:`podpath.engine.policy.SELF_CNP_DOC`); once per (class, port, protocol)."""
        key = ("hairpin", self._cls_of(pod.pod.key), pod.family, port, proto)
        hit = self.cache.get(key)
        if hit is None:
            verdict = evaluate(self.cluster, pod, pod, port, Protocol(proto), via_service=True)
            hit = self.cache[key] = verdict.allowed
        return hit

    def _cls_of(self, key: str) -> int:
        return int(self.class_of[self.index[key]])

    def ingress(self) -> list[Allow]:
        out: list[Allow] = []
        for family in self.plan.families:
            out += self._ingress(family)
        return out

    def _ingress(self, family: int) -> list[Allow]:
        out: list[Allow] = []
        v6 = family == 6
        targets = [p for p in self.targets if (p.ip6 if v6 else p.ip) is not None]
        outside = self.outside6 if v6 else self.outside
        by_port: dict[tuple[int, str], list[PodNet]] = {}
        for pod in targets:
            for key in self.ports[pod.key]:
                by_port.setdefault(key, []).append(pod)
        total = len(outside) + len(targets)
        position = {p.key: i for i, p in enumerate(targets)}
        for (port, proto), dsts in sorted(by_port.items()):
            allowed = self._pods_allowed(port, proto, family, targets, dsts)
            for j, dst in enumerate(dsts):
                # a pod to itself: only through a Service (hairpin), judged as the model does
                target = self._peer(dst, family)
                allowed[position[dst.key], j] = self._hairpin(target, port, proto)
                sources = [_addr(targets[i], family) for i in np.flatnonzero(allowed[:, j])]
                for ip, peer, node in outside:
                    memo = ("in", self._cls(dst), ip, node == dst.node, port, proto)
                    if self._evaluate(memo, peer, target, port, proto):
                        sources.append(ip)
                dst_ip = _addr(dst, family)
                if len(sources) == total:
                    out.append(Allow(ALL6 if v6 else ALL, proto, port, dst_ip))
                else:
                    out += [Allow(ip, proto, port, dst_ip) for ip in sources]
        return out

    def egress(self) -> list[Allow]:
        out: list[Allow] = []
        for proto in POLICED:
            spans = _intervals(egress_boundaries(self.cluster, Protocol(proto)))
            for i, pod in enumerate(self.targets):
                if self.progress is not None and i % 50 == 0:
                    self.progress(f"egress policies ({proto}): pod {i + 1}/{len(self.targets)}")
                for family, outside in ((4, self.outside), (6, self.outside6)):
                    if family not in self.plan.families or pod.ip6 is None and family == 6:
                        continue
                    src = self._peer(pod, family)
                    for ip, peer, node in outside:
                        allowed = [
                            (lo, hi)
                            for lo, hi in spans
                            if self._evaluate(
                                ("out", self._cls(pod), ip, node == pod.node, lo, proto),
                                src,
                                peer,
                                lo,
                                proto,
                            )
                        ]
                        out += [
                            Allow(_addr(pod, family), proto, lo, ip, end_port=hi)
                            for lo, hi in _merge(allowed)
                        ]
        return out


def _addr(pod: PodNet, family: int) -> str:
    ip = pod.ip6 if family == 6 else pod.ip
    assert ip is not None
    return ip


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        if out and out[-1][1] + 1 == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def compile_policies(
    cluster: Cluster,
    plan: Plan,
    progress: Progress | None = None,
    extra_sources: tuple[str, ...] = (),
) -> PolicyRules:
    """Every allowed flow to pods and from pods to non-pod addresses (module docstring);
    ``extra_sources``: more addresses outside the cluster that pods may see (a provider's
    load balancers and clients: :mod:`podpath.dataplane.provider_plan`)."""
    targets = [p for p in plan.pods if not p.host_network]
    if _no_policies(cluster):
        pairs = [(ALL, pod.ip) for pod in targets]
        if plan.ipv6:
            pairs += [(ALL6, pod.ip6) for pod in targets if pod.ip6 is not None]
        return PolicyRules(
            tuple(Allow(every, proto, 0, ip) for every, ip in pairs for proto in POLICED),
            tuple(Allow(ip, proto, 0, every) for every, ip in pairs for proto in POLICED),
        )
    if progress is not None:
        progress("policies: reachability matrix")
    compiler = _Compiler(cluster, plan, progress, extra_sources)
    ingress = compiler.ingress()
    return PolicyRules(tuple(ingress), tuple(compiler.egress()))


def allows_for(cluster: Cluster, plan: Plan, progress: Progress | None = None) -> list[Allow]:
    """The allowed flows delivered to pods (``compile_policies(...).ingress``)."""
    return list(compile_policies(cluster, plan, progress).ingress)
