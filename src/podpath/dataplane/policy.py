"""NetworkPolicy for the data plane: the allowed flows to each pod, from the policy engine.

No second reading of the policies: every flow the data plane can carry to a pod -- from each
pod, from each node address (source NAT of external traffic) and from the ``internet`` client
-- on each port the pod serves is decided by :func:`podpath.engine.policy.evaluate` (egress
of the source AND ingress of the destination, admin tiers included). A (port, protocol) open to
every such source becomes one ``0.0.0.0/0`` element. Host-network pods are not policed (their
traffic is their node's).
"""

from __future__ import annotations

from collections.abc import Callable

from podpath.cluster import Cluster
from podpath.dataplane.nft import Allow
from podpath.dataplane.plan import INTERNET_IP, Plan, PodNet
from podpath.engine.policy import IPPeer, Peer, PodPeer, evaluate, peer_for_ip
from podpath.model.core import Protocol

ALL = "0.0.0.0/0"
Progress = Callable[[str], None]


def _sources(cluster: Cluster, plan: Plan) -> list[tuple[str, Peer]]:
    out: list[tuple[str, Peer]] = []
    for pod in plan.pods:
        if not pod.host_network:
            model = cluster.pod_by_key[pod.key]
            out.append((pod.ip, PodPeer(model)))
    out += [(n.ip, peer_for_ip(cluster, n.ip)) for n in plan.nodes]
    out.append((INTERNET_IP, IPPeer(INTERNET_IP)))
    return out


def _no_policies(cluster: Cluster) -> bool:
    kinds = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")
    return not cluster.network_policies and not any(cluster.of_kind(k) for k in kinds)


def _pod_allows(
    cluster: Cluster, pod: PodNet, sources: list[tuple[str, Peer]], ports: set[tuple[int, str]]
) -> list[Allow]:
    dst = PodPeer(cluster.pod_by_key[pod.key])
    out = []
    for port, protocol in sorted(ports):
        proto = Protocol(protocol)
        allowed = [
            ip
            for ip, src in sources
            if ip == pod.ip or evaluate(cluster, src, dst, port, proto).allowed
        ]
        if len(allowed) == len(sources):
            out.append(Allow(ALL, protocol, port, pod.ip))
        else:
            out += [Allow(ip, protocol, port, pod.ip) for ip in allowed]
    return out


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


def allows_for(cluster: Cluster, plan: Plan, progress: Progress | None = None) -> list[Allow]:
    """Every allowed (source, protocol, port, destination pod) flow (module docstring). A pod
    reaching its own IP never leaves its namespace, so it is not filtered here either."""
    out: list[Allow] = []
    everything = _no_policies(cluster)
    sources = [] if everything else _sources(cluster, plan)
    targets = [p for p in plan.pods if not p.host_network]
    targeted = _target_ports(cluster)
    for i, pod in enumerate(targets):
        if everything:
            out += [Allow(ALL, proto, 0, pod.ip) for proto in ("TCP", "UDP")]
            continue
        if progress is not None and i % 20 == 0:
            progress(f"policies: pod {i + 1}/{len(targets)}")
        ports = {(lst.port, lst.protocol) for lst in pod.listeners}
        ports |= {p for p in targeted.get(pod.key, set()) if p[1] in ("TCP", "UDP")}
        out += _pod_allows(cluster, pod, sources, ports)
    return out
