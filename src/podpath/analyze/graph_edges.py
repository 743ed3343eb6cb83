"""Connectivity facts for the graph and the diff, asked of the engines. Pure: no I/O.

The policy engine decides who may connect to whom (with reasons); the routing engine decides
which Ingress / Gateway routes lead to which pods. This module only reshapes their answers
into blocks the graph and the diff fold.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podpath.cluster import Cluster


@dataclass(frozen=True, slots=True)
class EdgeFacts:
    """Every source in ``sources`` may open a connection to every target in ``targets`` on
    ``port`` (``"80/TCP"``), allowed by ``reasons``. Sources and targets are pod keys,
    ``internet`` or a CIDR."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    port: str
    reasons: tuple[str, ...] = ()


class EngineUnavailable(ImportError):
    """The engine a layer needs is not part of this build: its answers are unknown (not
    "nothing allowed")."""


def engine(module: str, attr: str) -> Callable[..., Any] | None:
    """A function of another layer's engine, or None when this build does not have it."""
    try:
        found: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None
    return found


def policy_refs(verdict: Any) -> tuple[str, ...]:
    """The policies that allow a connection (``NetworkPolicy/NS/NAME``), from the engine's
    verdict; where no policy applies, the engine's sentence saying why it is allowed."""
    refs: list[str] = []
    for side in (verdict.egress, verdict.ingress):
        rules = (side.decided_by,) if side.decided_by is not None else side.allowing
        refs.extend(str(r.policy) for r in rules)
    if refs:
        return tuple(dict.fromkeys(refs))
    return tuple(dict.fromkeys(verdict.reasons))


def declared_ports(pod: Any) -> list[tuple[int, Any]]:
    """The (port, protocol) pairs a pod's containers declare: the listeners drawn."""
    return sorted(
        {(p.container_port, p.protocol) for p in pod.ports}, key=lambda x: (x[0], str(x[1]))
    )


def external_peers(cluster: Cluster, direction: str) -> dict[str, str]:
    """``internet`` and every ipBlock CIDR that ``direction`` (``ingress``/``egress``) rules
    name, each with one address that stands for it (outside every ``except``). The catch-all
    blocks ``0.0.0.0/0`` and ``::/0`` are the internet itself."""
    import ipaddress

    from podpath.engine.policy_verdict import INTERNET_IP

    out = {"internet": INTERNET_IP}
    for pol in cluster.network_policies:
        for rule in pol.ingress if direction == "ingress" else pol.egress:
            for peer in rule.peers:
                block = peer.ip_block
                if block is None or block.cidr in out:
                    continue
                net = ipaddress.ip_network(block.cidr, strict=False)
                if net.prefixlen == 0:
                    continue
                excluded = [ipaddress.ip_network(e, strict=False) for e in block.except_]
                for i, ip in enumerate(net.hosts() if net.num_addresses > 2 else iter(net)):
                    if i > 64:
                        break
                    if not any(ip in e for e in excluded):
                        out[block.cidr] = str(ip)
                        break
    return out


def _egress_ports(cluster: Cluster) -> list[tuple[int, Any]]:
    """Ports that egress rules towards addresses (ipBlock, or any peer) name, tried for
    connections to addresses outside; 443/TCP when none does."""
    from podpath.model.core import Protocol

    ports = {
        (p.port, p.protocol)
        for pol in cluster.network_policies
        for rule in pol.egress
        if not rule.peers or any(peer.ip_block is not None for peer in rule.peers)
        for p in rule.ports
        if isinstance(p.port, int)
    }
    return sorted(ports or {(443, Protocol.TCP)}, key=lambda x: (x[0], str(x[1])))


def allowed_connections(cluster: Cluster) -> list[EdgeFacts]:
    """Allowed connections on the ports the destinations declare (pods), and between pods and
    the addresses outside (``internet``, policy CIDRs), from the policy engine's verdicts.

    Raises :class:`EngineUnavailable` when the policy engine is not present."""
    evaluate = engine("podpath.engine.policy", "evaluate")
    if evaluate is None:
        raise EngineUnavailable("the policy engine is not available")
    from podpath.engine.policy_verdict import IPPeer, PodPeer

    pods = [p for p in cluster.pods if p.has_ip]
    out: list[EdgeFacts] = []
    peers = {p.key: PodPeer(p) for p in pods}
    sources = {name: IPPeer(ip) for name, ip in external_peers(cluster, "ingress").items()}
    targets = {name: IPPeer(ip) for name, ip in external_peers(cluster, "egress").items()}
    egress_ports = _egress_ports(cluster)
    out.extend(_pod_pairs(cluster, evaluate, peers))
    for dst in pods:
        for port, proto in declared_ports(dst):
            label = f"{port}/{proto}"
            for name, src_peer in sources.items():
                v = evaluate(cluster, src_peer, peers[dst.key], port, proto)
                if v.allowed:
                    out.append(EdgeFacts((name,), (dst.key,), label, policy_refs(v)))
    for src in pods:
        for name, dst_peer in targets.items():
            for port, proto in egress_ports:
                v = evaluate(cluster, peers[src.key], dst_peer, port, proto)
                if v.allowed:
                    out.append(EdgeFacts((src.key,), (name,), f"{port}/{proto}", policy_refs(v)))
    return out


def _pod_pairs(
    cluster: Cluster, evaluate: Callable[..., Any], peers: dict[str, Any]
) -> list[EdgeFacts]:
    """Pod -> pod blocks from the fast matrix (equivalence classes); the reasons of a block
    are the engine's verdict for one pair of it (pods of a class share their verdicts)."""
    from podpath.engine.matrix import port_label, reachability

    matrix = reachability(cluster)
    members: dict[int, list[Any]] = {}
    for i, pod in enumerate(matrix.pods):
        if pod.key in peers:
            members.setdefault(int(matrix.classes.class_of[i]), []).append(pod)
    out: list[EdgeFacts] = []
    for a, dst_classes, ports in matrix.class_pairs():
        srcs = members.get(a, [])
        if not srcs:
            continue
        for port in ports:
            dsts = [
                d
                for b in dst_classes
                for d in members.get(int(b), [])
                if port in {(cp.container_port, cp.protocol) for cp in d.ports}
            ]
            pairs = [(s0, d0) for s0 in srcs[:2] for d0 in dsts[:2] if s0.key != d0.key]
            if not dsts or not pairs:
                continue
            s0, d0 = pairs[0]
            why = policy_refs(evaluate(cluster, peers[s0.key], peers[d0.key], port[0], port[1]))
            out.append(
                EdgeFacts(
                    tuple(p.key for p in srcs), tuple(d.key for d in dsts), port_label(port), why
                )
            )
    return out


def route_entry_points(cluster: Cluster) -> dict[str, list[str]]:
    """Per pod key, the Ingress / Gateway routes (``Ingress NS/NAME host/path``) leading to
    it, from the routing engine's table (backend endpoints)."""
    routing_table = engine("podpath.analyze.routes", "routing_table")
    if routing_table is None:
        return {}
    out: dict[str, list[str]] = {}
    for row in routing_table(cluster)["routes"]:
        kind = "Gateway" if row["entry_point"].startswith("Gateway/") else "Ingress"
        mark = f"{kind} {row['object']} {row['host']} {row['match']}"
        for b in row["backends"]:
            for pod in b.get("endpoints") or ():
                marks = out.setdefault(str(pod), [])
                if mark not in marks:
                    marks.append(mark)
    return out
