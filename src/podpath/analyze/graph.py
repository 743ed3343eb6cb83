"""The allowed connectivity of a cluster as a graph. Pure: no I/O.

Nodes are workloads (``--by workload``, the default), pods, or namespaces, grouped by
namespace; ``internet`` and the external CIDRs that policies name (ipBlock) are nodes too.
An edge ``a -> b`` labelled ``80/TCP`` means the policy engine allows some member of ``a`` to
open a connection to some member of ``b`` on that port *and* the destination declares that
container port (a port no container declares has no listener to draw). Each edge carries the
engine's reasons (the policies and rules that allow it).

Entry points are marked on the workloads they lead to: a Service of type LoadBalancer or
NodePort (https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types)
selecting the workload's pods, and the Ingress / Gateway API routes whose backends do.

Connectivity comes from :mod:`podpath.analyze.graph_edges` (the policy engine's matrix) and
routes from the routing engine; nothing here decides a verdict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from podpath.analyze.graph_edges import (
    EdgeFacts,
    Edges,
    EngineUnavailable,
    allowed_edges,
    route_entry_points,
)
from podpath.cluster import Cluster
from podpath.model.core import Pod
from podpath.model.services import ServiceType

BY_CHOICES = ("workload", "pod", "namespace")
INTERNET = "internet"


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A node: ``kind`` is workload, pod, namespace, internet or cidr; ``group`` the namespace
    it is drawn in (None outside the cluster); ``entry`` how it is reachable from outside."""

    id: str
    label: str
    kind: str
    group: str | None = None
    members: tuple[str, ...] = ()
    entry: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """Allowed connections from ``source`` to ``target`` on ``ports``; ``reasons`` per port."""

    source: str
    target: str
    ports: tuple[str, ...]
    reasons: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Graph:
    by: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    groups: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def node(self, node_id: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def incoming(self, node_id: str) -> tuple[GraphEdge, ...]:
        return tuple(e for e in self.edges if e.target == node_id)


def node_of(by: str) -> Callable[[Pod], str]:
    """The graph node a pod belongs to: itself, its workload (``NS/KIND/NAME``), its namespace."""
    if by == "pod":
        return lambda p: p.key
    if by == "namespace":
        return lambda p: p.namespace
    return lambda p: p.workload_key


def _label(node_id: str, by: str) -> str:
    if by == "workload":
        _, kind, name = node_id.split("/", 2)
        return name if kind == "Pod" else f"{name} ({kind})"
    return node_id.split("/", 1)[-1]


def service_entry_points(cluster: Cluster) -> dict[str, list[str]]:
    """Per pod key, the LoadBalancer / NodePort Services (and external IPs) that lead to it."""
    out: dict[str, list[str]] = defaultdict(list)
    for svc in cluster.services:
        marks = []
        if svc.type is ServiceType.LOAD_BALANCER:
            addrs = ",".join(svc.lb_ingress + svc.lb_hostnames) or "pending"
            marks.append(f"LoadBalancer {svc.key} {addrs}")
        if svc.type in (ServiceType.LOAD_BALANCER, ServiceType.NODE_PORT):
            ports = ",".join(f"{p.node_port}/{p.protocol}" for p in svc.ports if p.node_port)
            marks.append(f"NodePort {svc.key} {ports}")
        if svc.external_ips:
            marks.append(f"externalIPs {svc.key} {','.join(svc.external_ips)}")
        if not marks:
            continue
        for pe in cluster.endpoints.get(svc.key, ()):
            for ep in pe.endpoints:
                if ep.pod:
                    out[ep.pod].extend(m for m in marks if m not in out[ep.pod])
    return out


def build_graph(
    cluster: Cluster,
    *,
    by: str = "workload",
    matrix: Any = None,
    routes: dict[str, Any] | None = None,
) -> Graph:
    """The graph of allowed connectivity (see module docstring); ``matrix``: the run's
    :func:`podpath.engine.matrix.reachability` of the whole input and ``routes`` its
    routing table (:func:`podpath.analyze.routes.routing_table`), if already computed
    (``report --html`` shares the overview's)."""
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}")
    key = node_of(by)
    members: dict[str, list[str]] = defaultdict(list)
    groups: dict[str, str] = {}
    for pod in cluster.pods:
        node_id = key(pod)
        members[node_id].append(pod.key)
        groups[node_id] = pod.namespace
    entries: dict[str, list[str]] = defaultdict(list)
    for source in (service_entry_points(cluster), route_entry_points(cluster, routes)):
        for pod_key, marks in source.items():
            member = cluster.pod_by_key.get(pod_key)
            if member is not None:
                node_id = key(member)
                entries[node_id].extend(m for m in marks if m not in entries[node_id])
    notes: tuple[str, ...] = ()
    pods = cluster.pod_by_key
    try:
        found = allowed_edges(
            cluster, lambda p: key(pods[p]) if p in pods else p, same_group=False, matrix=matrix
        )
    except EngineUnavailable as exc:
        found, notes = {}, (f"no edges: {exc}",)
    nodes = [
        GraphNode(
            id=n,
            label=_label(n, by),
            kind=by,
            group=None if by == "namespace" else groups[n],
            members=tuple(sorted(members[n])),
            entry=tuple(sorted(entries.get(n, ()))),
        )
        for n in sorted(members)
    ]
    external = {p for edge in found for p in edge[:2] if p not in members}
    if entries:
        external.add(INTERNET)  # entry points are reached from outside the cluster
    nodes += [
        GraphNode(id=x, label=x, kind="internet" if x == INTERNET else "cidr")
        for x in sorted(external, key=lambda x: (x != INTERNET, x))
    ]
    edges = edges_of(found)
    group_names = () if by == "namespace" else tuple(sorted(set(groups.values())))
    return Graph(by=by, nodes=tuple(nodes), edges=edges, groups=group_names, notes=notes)


def graph_around(graph: Graph, pods: frozenset[str]) -> Graph:
    """The part of ``graph`` around the pods ``pods`` (``-n``/``-l``, as ``kubectl get``
    filters its output): the nodes holding one of them, every edge to or from such a node,
    and the nodes at the other end of those edges (a Service's clients in another namespace
    are part of the answer). The cluster is still evaluated whole: an edge is there only if
    every policy on its path allows it."""
    inside = {n.id for n in graph.nodes if any(m in pods for m in n.members)}
    edges = tuple(e for e in graph.edges if e.source in inside or e.target in inside)
    shown = inside | {x for e in edges for x in (e.source, e.target)}
    if any(n.entry for n in graph.nodes if n.id in inside):
        shown.add(INTERNET)
    nodes = tuple(n for n in graph.nodes if n.id in shown)
    groups = tuple(g for g in graph.groups if any(n.group == g for n in nodes))
    return Graph(by=graph.by, nodes=nodes, edges=edges, groups=groups, notes=graph.notes)


def fold_edges(facts: Iterable[EdgeFacts], key: Callable[[str], str]) -> tuple[GraphEdge, ...]:
    """Fold blocks of allowed connections into edges between graph nodes (self-loops dropped:
    a workload talking to itself is not what a graph is read for)."""
    ports: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in facts:
        sources = {key(s) for s in f.sources}
        targets = {key(t) for t in f.targets}
        for a in sources:
            for b in targets:
                if a != b:
                    ports[(a, b)][f.port].update(f.reasons)
    out = []
    for (a, b), by_port in sorted(ports.items()):
        names = tuple(sorted(by_port, key=_port_order))
        out.append(GraphEdge(a, b, names, tuple((p, tuple(sorted(by_port[p]))) for p in names)))
    return tuple(out)


def edges_of(found: Edges) -> tuple[GraphEdge, ...]:
    """Graph edges from the engine's (from, to, port) -> reasons, ports in order."""
    ports: dict[tuple[str, str], dict[str, tuple[str, ...]]] = defaultdict(dict)
    for (a, b, port), why in found.items():
        ports[(a, b)][port] = why
    out = []
    for (a, b), by_port in sorted(ports.items()):
        names = tuple(sorted(by_port, key=_port_order))
        out.append(GraphEdge(a, b, names, tuple((p, tuple(sorted(by_port[p]))) for p in names)))
    return tuple(out)


def _port_order(port: str) -> tuple[int, str]:
    number, _, proto = port.partition("/")
    return (int(number) if number.isdigit() else 0, proto)


def graph_json(graph: Graph) -> dict[str, Any]:
    """The graph as JSON-ready data (the ``--format json`` output and the HTML page's data)."""
    return {
        "by": graph.by,
        "groups": list(graph.groups),
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "group": n.group,
                "members": list(n.members),
                "entry": list(n.entry),
            }
            for n in graph.nodes
        ],
        "edges": [
            {
                "from": e.source,
                "to": e.target,
                "ports": list(e.ports),
                "reasons": {p: list(r) for p, r in e.reasons},
            }
            for e in graph.edges
        ],
        "notes": list(graph.notes),
    }
