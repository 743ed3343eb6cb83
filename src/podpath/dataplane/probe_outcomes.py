"""What a probe can observe, and what one connection to an endpoint is expected to do (no I/O).

The vocabulary shared by the checks (:mod:`podpath.dataplane.probe_checks`,
:mod:`podpath.dataplane.probe_routes`) and the prober that runs them
(:mod:`podpath.dataplane.prober`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from podpath.cluster import Cluster
from podpath.dataplane.families import family_of
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import Peer, PodPeer
from podpath.model.core import Protocol
from podpath.model.services import Endpoint

ANSWERED = "answered"
TIMEOUT = "timeout"
REFUSED = "refused"
UNREACHABLE = "unreachable"
DNS_TIMEOUT = "dns-timeout"


@dataclass(frozen=True, slots=True)
class Check:
    source: str  # pod key or "internet"
    netns: str
    target: str  # pod key, "svc:NS/NAME" or an address
    address: str  # IP, or a DNS name to resolve first
    port: int
    protocol: str
    expected: frozenset[str]  # allowed outcomes ("answered NS/NAME", "timeout", ...)
    model: str
    dns: bool = False  # the target serves DNS (no identity: any answer counts as its)
    send: bytes = b""  # sent after connecting (an HTTP request to a proxy)
    http: bool = False  # the answer is HTTP: identity in the body (``route``: "http STATUS")
    route: bool = False
    seen: bool = False  # the source the server saw is compared too ("answered NS/NAME from IP")
    bind: str = ""  # the source address to connect from (a load balancer's health check)
    family: int | None = None  # 4 or 6 on a dual-stack model (a name resolves to A or AAAA)


IDENTITY_REQUEST = (
    b"GET / HTTP/1.1\r\nHost: podpath-probe\r\nx-podpath-identity: 1\r\nConnection: close\r\n\r\n"
)
SEEN_FROM = " from "


def without_source(outcome: str) -> str:
    """An outcome without the source the server reported (``answered NS/NAME from IP`` ->
    ``answered NS/NAME``; ``http 200 NS/NAME from IP`` -> ``http 200 NS/NAME``)."""
    return outcome.partition(SEEN_FROM)[0]


def served_ports(state: dict[str, Any]) -> dict[str, set[tuple[int, str]]]:
    return {p["key"]: {(port, proto) for port, proto, _ in p["listeners"]} for p in state["pods"]}


def endpoint_outcome(
    cluster: Cluster,
    src: Peer,
    ep: Endpoint,
    protocol: str,
    served: dict[str, set[tuple[int, str]]],
    family: int | None = None,
) -> str:
    """What one connection landing on ``ep`` does. A pod reaching itself through a Service is
    source-NATed to its node's IP (kube-proxy's hairpin masquerade), so its node is the source
    policy sees. An endpoint that is no pod's answers when a host-network pod serves it on that
    node, is refused by a node without a listener, and is unreachable elsewhere."""
    dst = cluster.pod_by_key.get(ep.pod or "") or cluster.pod_by_ip.get(ep.ip)
    if dst is None or dst.host_network:
        # an address that is no (policed) pod's: only the source pod's egress applies
        if not evaluate(
            cluster, src, peer_for_ip(cluster, ep.ip), ep.port, Protocol(protocol)
        ).allowed:
            return TIMEOUT
        owner = next(
            (
                k
                for k, ports in served.items()
                if (ep.port, protocol) in ports
                and cluster.pod_by_key[k].host_network
                and ep.ip in cluster.pod_by_key[k].ips
            ),
            None,
        )
        if owner is not None:
            return f"{ANSWERED} {owner}"
        return REFUSED if cluster.node_at(ep.ip) is not None else UNREACHABLE
    if isinstance(src, PodPeer) and src.pod.key == dst.key and dst.node_name:
        node = cluster.node_by_name.get(dst.node_name)
        if node is not None and node.internal_ips:
            src = peer_for_ip(cluster, node.internal_ips[0])
    if not evaluate(cluster, src, PodPeer(dst, family=family), ep.port, Protocol(protocol)).allowed:
        return TIMEOUT
    if (ep.port, protocol) not in served.get(dst.key, set()):
        return REFUSED
    return f"{ANSWERED} {dst.key}"


def no_endpoint(ready: Iterable[Endpoint], family: int = 4) -> set[str]:
    """No endpoint to use: a traffic policy of Local without a local endpoint drops; no ready
    endpoint (of the connection's family) at all rejects (kube-proxy: ICMP unreachable, or no
    listener on the node)."""
    some = any(family_of(e.ip) == family for e in ready)
    return {TIMEOUT} if some else {UNREACHABLE, REFUSED}
