"""Allowed connections between groups of pods (and addresses outside), each with the
reasons of one pair that is allowed. Pure: no I/O.

Pod -> pod reachability comes from the matrix engine (:mod:`podpath.engine.matrix`), folded
over classes into groups (workloads, namespaces, pods); the per-pair evaluator
(:func:`podpath.engine.policy.evaluate`, passed in) is asked only about the one
representative pair of each edge, so an edge's reasons are that pair's own. Pods of one
class share their verdicts (:mod:`podpath.engine.matrix_classes`): a verdict whose reasons
are policy references is reused for other pairs of the same classes; a verdict explained in
words about a pod is asked for the pair itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from podpath.analyze.graph_fold import group_pairs
from podpath.cluster import Cluster

Edges = dict[tuple[str, str, str], tuple[str, ...]]
Evaluate = Callable[..., Any]


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


def _by_refs(verdict: Any) -> bool:
    """Whether the verdict's reasons are policy references (shared by the pod's class)."""
    return any(
        side.decided_by is not None or side.allowing for side in (verdict.egress, verdict.ingress)
    )


class VerdictCache:
    """Verdict reasons of pod pairs, asked once per class pair when they are references."""

    def __init__(
        self, cluster: Cluster, evaluate: Evaluate, class_of: Sequence[int], pods: Sequence[Any]
    ) -> None:
        self.cluster = cluster
        self.evaluate = evaluate
        self.class_of = class_of
        self.pods = pods
        self.by_class: dict[tuple[object, ...], Any] = {}

    def _node(self, i: int | None, j: int | None) -> str | None:
        """Node traffic depends on the node, which a class holds only for host-network
        pods: with one in the pair, the other's node is part of the key."""
        both = [self.pods[k] for k in (i, j) if k is not None]
        if any(p.host_network for p in both):
            return ",".join(p.node_name or "" for p in both)
        return None

    def __call__(self, src: Any, dst: Any, i: int | None, j: int | None, port: Any) -> Any:
        """The verdict for src -> dst (peers; ``i``/``j`` their pod indices or None)."""
        key = (
            None if i is None else self.class_of[i],
            str(src) if i is None else None,
            None if j is None else self.class_of[j],
            str(dst) if j is None else None,
            port,
            self._node(i, j),
        )
        cached = self.by_class.get(key)
        if cached is not None and (cached[0] == (i, j) or _by_refs(cached[1])):
            return cached[1]
        verdict = self.evaluate(self.cluster, src, dst, port[0], port[1])
        if cached is None:
            self.by_class[key] = ((i, j), verdict)
        return verdict


def _members(
    group_of: np.ndarray[Any, Any], class_of: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]
) -> dict[int, list[tuple[int, list[int]]]]:
    """Per group, its classes in order of first member, each with its first two members."""
    out: dict[int, dict[int, list[int]]] = {}
    for i in np.flatnonzero(mask & (group_of >= 0)).tolist():
        slot = out.setdefault(int(group_of[i]), {}).setdefault(int(class_of[i]), [])
        if len(slot) < 2:
            slot.append(i)
    return {g: list(cls.items()) for g, cls in out.items()}


def _pair(
    packed: np.ndarray[Any, Any],
    srcs: list[tuple[int, list[int]]],
    dsts: list[tuple[int, list[int]]],
) -> tuple[int, int] | None:
    """The first pod pair (i != j) whose classes the relation allows."""
    for ca, s_pods in srcs:
        row = packed[ca]
        for cb, d_pods in dsts:
            if not (int(row[cb >> 3]) >> (7 - (cb & 7))) & 1:
                continue
            for i in s_pods:
                for j in d_pods:
                    if i != j:
                        return i, j
    return None


Witness = tuple[int, int, tuple[int, Any]]


class PodEdges:
    """Pod -> pod edges between groups on the ports the destinations declare (see the
    module docstring), as ``keys``: (from, to, port) -> the groups' indices, and their
    reasons on demand (:meth:`reasons`: the evaluator's verdict for one allowed pair of the
    edge). Class relation only: the assumption pod pairs (a pod to itself, node traffic)
    are not connections drawn here. ``matrix``: the run's :func:`reachability` of the whole
    input (e.g. the doctor's, which holds more ports), reused instead of computing it again;
    only the declared container ports are drawn either way."""

    def __init__(
        self,
        cluster: Cluster,
        evaluate: Evaluate,
        group: Callable[[str], str],
        same_group: bool,
        matrix: Any = None,
    ) -> None:
        from podpath.engine.matrix import declared_ports as drawn_ports
        from podpath.engine.matrix import port_label, reachability
        from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS

        columns = drawn_ports(cluster.pods)
        if (
            matrix is None
            or matrix.pods is not cluster.pods
            or matrix.assumptions != DEFAULT_ASSUMPTIONS
            or not set(columns) <= set(matrix.ports)
        ):
            matrix = reachability(cluster, columns)
        self.matrix = matrix
        pods = matrix.pods
        has_ip = np.array([p.has_ip for p in pods], dtype=bool)
        keys = [group(p.key) for p in pods]
        names = sorted({k for k, ok in zip(keys, has_ip.tolist(), strict=True) if ok})
        index = {n: g for g, n in enumerate(names)}
        group_of = np.array([index[k] if ok else -1 for k, ok in zip(keys, has_ip, strict=True)])
        group_of = group_of.astype(np.int64)
        class_of = matrix.classes.class_of
        self.srcs = _members(group_of, class_of, has_ip)
        self.dsts: dict[tuple[int, Any], dict[int, list[tuple[int, list[int]]]]] = {}
        self.explain = VerdictCache(cluster, evaluate, class_of.tolist(), pods)
        self.keys: dict[tuple[str, str, str], tuple[int, int, tuple[int, Any]]] = {}
        declared = [{(c.container_port, c.protocol) for c in p.ports} for p in pods]
        src_of = np.where(has_ip, group_of, -1)
        for port in columns:
            declares = np.array([port in d for d in declared], dtype=bool)
            dst_of = np.where(declares & has_ip, group_of, -1)
            self.dsts[port] = _members(dst_of, class_of, declares & has_ip)
            label = port_label(port)
            found = group_pairs(matrix.packed[port], class_of, src_of, dst_of, matrix.class_count)
            for a, b in zip(*(x.tolist() for x in found), strict=True):
                if same_group or a != b:
                    self.keys[(names[a], names[b], label)] = (a, b, port)

    def reasons(self, key: tuple[str, str, str]) -> tuple[str, ...]:
        from podpath.engine.policy_verdict import PodPeer

        a, b, port = self.keys[key]
        pair = _pair(self.matrix.packed[port], self.srcs[a], self.dsts[port][b])
        assert pair is not None  # counted: some pair i != j is allowed
        i, j = pair
        pods = self.matrix.pods
        return policy_refs(self.explain(PodPeer(pods[i]), PodPeer(pods[j]), i, j, port))


class OutsideEdges:
    """Edges between pods and the addresses outside: ``internet`` and policy CIDRs to the
    ports pods declare, pods to them on ``egress_ports``. Whether one is allowed is asked
    of the evaluator once per pod class (the outside side has no policies; a pod's class
    holds everything its policies see of it); per edge the first allowed pod (in pod order)
    is the representative whose reasons :meth:`reasons` gives on demand. ``only``: the pods
    to draw edges for (default: every pod)."""

    def __init__(
        self,
        cluster: Cluster,
        evaluate: Evaluate,
        group: Callable[[str], str],
        egress_ports: Sequence[tuple[int, Any]],
        only: Sequence[Any] | None = None,
        *,
        matrix: Any = None,
    ) -> None:
        from podpath.engine.matrix_build import class_cidrs
        from podpath.engine.matrix_classes import build_classes
        from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, IPPeer

        pods = self.pods = tuple(p for p in (cluster.pods if only is None else only) if p.has_ip)
        if matrix is not None and matrix.pods is cluster.pods:
            # the run's matrix: its classes (a pod's class does not depend on the other pods)
            every, at = matrix.classes.class_of, {p.key: i for i, p in enumerate(matrix.pods)}
            class_of = [int(every[at[p.key]]) for p in pods]
        else:
            classes = build_classes(cluster, pods, class_cidrs(cluster), DEFAULT_ASSUMPTIONS)
            class_of = classes.class_of.tolist()
        self.sources = {n: IPPeer(ip) for n, ip in external_peers(cluster, "ingress").items()}
        self.targets = {n: IPPeer(ip) for n, ip in external_peers(cluster, "egress").items()}
        self.explain = VerdictCache(cluster, evaluate, class_of, pods)
        self.keys: dict[tuple[str, str, str], tuple[int, str, Any, bool]] = {}
        allowed: dict[tuple[int, str, Any, bool], bool] = {}
        for i, pod in enumerate(pods):
            mine = group(pod.key)
            visits = [(n, port, True) for port in declared_ports(pod) for n in self.sources]
            visits += [(n, port, False) for n in self.targets for port in egress_ports]
            for name, port, inbound in visits:
                label = f"{port[0]}/{port[1]}"
                edge = (name, mine, label) if inbound else (mine, name, label)
                if edge in self.keys:
                    continue
                cls_key = (class_of[i], name, port, inbound)
                ok = allowed.get(cls_key)
                if ok is None:
                    ok = allowed[cls_key] = bool(self._verdict(i, name, port, inbound).allowed)
                if ok:
                    self.keys[edge] = (i, name, port, inbound)

    def _verdict(self, i: int, name: str, port: Any, inbound: bool) -> Any:
        from podpath.engine.policy_verdict import PodPeer

        peer = PodPeer(self.pods[i])
        if inbound:
            return self.explain(self.sources[name], peer, None, i, port)
        return self.explain(peer, self.targets[name], i, None, port)

    def reasons(self, key: tuple[str, str, str]) -> tuple[str, ...]:
        return policy_refs(self._verdict(*self.keys[key]))


def outside_edges(
    cluster: Cluster,
    evaluate: Evaluate,
    group: Callable[[str], str],
    egress_ports: Sequence[tuple[int, Any]],
    matrix: Any = None,
) -> Edges:
    """Every edge between pods and the addresses outside with its reasons (see
    :class:`OutsideEdges`; ``matrix``: the run's reachability, whose classes it reuses)."""
    found = OutsideEdges(cluster, evaluate, group, egress_ports, matrix=matrix)
    return {key: found.reasons(key) for key in found.keys}
