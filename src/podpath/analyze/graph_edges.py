"""Connectivity facts for the graph and the diff, asked of the engines. Pure: no I/O.

The policy engine decides who may connect to whom (with reasons); the routing engine decides
which Ingress / Gateway routes lead to which pods. This module only reshapes their answers
into blocks the graph and the diff fold.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from podpath.analyze.graph_pairs import (
    Edges,
    OutsideEdges,
    PodEdges,
    declared_ports,
    external_peers,
    outside_edges,
    policy_refs,
)
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


__all__ = [
    "EdgeFacts",
    "Edges",
    "EngineUnavailable",
    "allowed_connections",
    "allowed_edges",
    "declared_ports",
    "engine",
    "external_peers",
    "lazy_edges",
    "lazy_outside_edges",
    "outside_fingerprint",
    "policy_refs",
    "route_entry_points",
]


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
    """Every allowed connection pod by pod (pod -> pod, pod <-> outside), one
    :class:`EdgeFacts` each: :func:`allowed_edges` grouped by pod."""
    return [
        EdgeFacts((a,), (b,), port, why)
        for (a, b, port), why in sorted(allowed_edges(cluster, lambda k: k).items())
    ]


def allowed_edges(
    cluster: Cluster, group: Callable[[str], str], *, same_group: bool = True, matrix: Any = None
) -> Edges:
    """Every allowed (from, to, port) between groups, with the reasons of ONE pair that is
    allowed (the engine's verdict for that pair): pods and pods, on the ports the
    destinations declare (a pod to itself is not a connection), and pods and the addresses
    outside (``internet``, policy CIDRs). ``group`` maps a pod key (or an outside name) to
    its group; ``same_group=False`` drops edges from a group to itself; ``matrix``: the
    run's reachability of the whole input, if already computed (:class:`PodEdges`).

    Pod -> pod reachability is folded over classes by the matrix engine
    (:meth:`podpath.engine.matrix.Matrix.fold_counts`); the per-pair evaluator only
    explains the representative pair of each edge. Raises :class:`EngineUnavailable` when
    the policy engine is not present."""
    evaluate = engine("podpath.engine.policy", "evaluate")
    if evaluate is None:
        raise EngineUnavailable("the policy engine is not available")
    pods = PodEdges(cluster, evaluate, group, same_group, matrix)
    out = {key: pods.reasons(key) for key in pods.keys}
    out.update(outside_edges(cluster, evaluate, group, _egress_ports(cluster), pods.matrix))
    return out


def lazy_edges(
    cluster: Cluster, group: Callable[[str], str]
) -> tuple[set[tuple[str, str, str]], Callable[[tuple[str, str, str]], tuple[str, ...]]]:
    """The keys of :func:`allowed_edges` (same group kept) and a function giving the
    reasons of one of them: pod -> pod reasons are evaluated only when asked (``diff``
    explains only what changed)."""
    evaluate = engine("podpath.engine.policy", "evaluate")
    if evaluate is None:
        raise EngineUnavailable("the policy engine is not available")
    pods = PodEdges(cluster, evaluate, group, True)
    outside = OutsideEdges(cluster, evaluate, group, _egress_ports(cluster), matrix=pods.matrix)

    def reasons(key: tuple[str, str, str]) -> tuple[str, ...]:
        return outside.reasons(key) if key in outside.keys else pods.reasons(key)

    return set(pods.keys) | set(outside.keys), reasons


def lazy_outside_edges(
    cluster: Cluster, group: Callable[[str], str], only: Sequence[Any] | None = None
) -> tuple[set[tuple[str, str, str]], Callable[[tuple[str, str, str]], tuple[str, ...]]]:
    """The pod <-> outside keys of :func:`lazy_edges`, for the pods ``only`` (default: all),
    and a function giving the reasons of one of them."""
    evaluate = engine("podpath.engine.policy", "evaluate")
    if evaluate is None:
        raise EngineUnavailable("the policy engine is not available")
    outside = OutsideEdges(cluster, evaluate, group, _egress_ports(cluster), only)
    return set(outside.keys), outside.reasons


def outside_fingerprint(cluster: Cluster) -> tuple[object, ...]:
    """What the outside edges depend on beyond each pod's own policies: the outside peers
    (``internet`` and policy CIDRs, each with its stand-in address) and the egress ports."""
    return (
        tuple(external_peers(cluster, "ingress").items()),
        tuple(external_peers(cluster, "egress").items()),
        tuple(_egress_ports(cluster)),
    )


def route_entry_points(
    cluster: Cluster, table: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Per pod key, the Ingress / Gateway routes (``Ingress NS/NAME host/path``) leading to
    it, from the routing engine's table (backend endpoints); ``table``: the run's
    :func:`podpath.analyze.routes.routing_table` of the cluster, if already computed."""
    if table is None:
        routing_table = engine("podpath.analyze.routes", "routing_table")
        if routing_table is None:
            return {}
        table = routing_table(cluster)
    out: dict[str, list[str]] = {}
    for row in table["routes"]:
        kind = "Gateway" if row["entry_point"].startswith("Gateway/") else "Ingress"
        mark = f"{kind} {row['object']} {row['host']} {row['match']}"
        for b in row["backends"]:
            for pod in b.get("endpoints") or ():
                marks = out.setdefault(str(pod), [])
                if mark not in marks:
                    marks.append(mark)
    return out
