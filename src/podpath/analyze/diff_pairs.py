"""The pod connections a change opens or closes (``podpath diff``, by pod), found at class
level. Pure: no I/O.

A policy verdict between two pods depends only on what the policy engine's classes hold of
them (:mod:`podpath.engine.matrix_classes`: namespace, pod labels, named ports, the host
network and then the node, the IP segment of each address), on the labels and the
NetworkPolicies of their two namespaces, and on the cluster-wide objects (admin tiers,
Nodes, settings). A pod whose facts and namespace are the same in OLD and NEW is *clean*;
when the cluster-wide objects are the same too, a pair of clean pods has the same verdict on
both sides (and a clean pod the same edges to the addresses outside), so only the pairs with
a *dirty* pod can change.

Pods (by key, over both sides) are grouped into joint classes: the same class, address and
declared ports in OLD and in NEW, "absent" being a state of its own. Every pair between two
joint classes has one verdict in OLD and one in NEW. The rows and columns of the dirty joint
classes are read from each side's class relation, block by block
(:class:`podpath.engine.matrix_block.ClassBlocks`), and compared per port with numpy; when
the cluster-wide objects changed, or most pods are dirty, the whole relations are compared
(:func:`podpath.engine.matrix.reachability`). Only the pairs that changed are listed, and the
per-pair evaluator explains each one listed (the verdict of that pair, reused within a class
pair when its reasons are policy references, as :mod:`podpath.analyze.graph_pairs` does).
The answer is the set difference of :func:`podpath.analyze.graph_edges.lazy_edges` on the
two sides (property-tested against it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from podpath.analyze.graph_edges import (
    EngineUnavailable,
    engine,
    lazy_outside_edges,
    outside_fingerprint,
    policy_refs,
)
from podpath.analyze.graph_pairs import VerdictCache
from podpath.cluster import Cluster
from podpath.engine.matrix import PortKey, declared_ports, port_label, reachability
from podpath.engine.matrix_block import ClassBlocks, pod_classes
from podpath.engine.matrix_build import class_cidrs
from podpath.engine.matrix_classes import BoolArray, IntArray, Segments
from podpath.engine.policy_rules import namespace_labels_of
from podpath.model.core import NO_SOURCE, Pod

Key = tuple[str, str, str]
Reasons = Callable[[Key], tuple[str, ...]]
Relation = Callable[[Sequence[PortKey], IntArray, IntArray], dict[PortKey, BoolArray]]
_CHUNK = 1 << 24  # cells of one compared block


def _plain(obj: Any) -> Any:
    return dataclasses.replace(obj, source=NO_SOURCE)


def _cluster_wide(cluster: Cluster) -> tuple[object, ...]:
    tiers = cluster.admin_tiers
    return (
        cluster.settings,
        tuple((t, tuple(_plain(p) for p in tiers.get(t, ()))) for t in ("Admin", "Baseline")),
        tuple(sorted((_plain(n) for n in cluster.nodes), key=lambda n: n.name)),
    )


def _namespaces(cluster: Cluster) -> dict[str, tuple[object, ...]]:
    """Per namespace with pods: its labels and its NetworkPolicies (without sources)."""
    pols: dict[str, list[Any]] = {}
    for pol in cluster.network_policies:
        pols.setdefault(pol.namespace, []).append(_plain(pol))
    names = {p.namespace for p in cluster.pods} | pols.keys()
    return {
        ns: (
            tuple(sorted(namespace_labels_of(cluster, ns).items())),
            tuple(sorted(pols.get(ns, []), key=lambda p: p.name)),
        )
        for ns in names
    }


def _facts(pod: Pod) -> tuple[object, ...]:
    """What a pod's verdicts depend on of the pod itself, but its IPs."""
    return (
        pod.namespace,
        pod.labels,
        tuple((p.name, p.container_port, p.protocol) for p in pod.ports),
        pod.host_network,
        pod.node_name if pod.host_network else None,
    )


def _same_pod(a: Pod, b: Pod, segments: Segments) -> bool:
    """Whether policies see the two the same: same facts, IPs in the same segments."""
    if _facts(a) != _facts(b):
        return False
    if a.ips == b.ips:
        return True
    seg_a = sorted(segments.segment(ip) for ip in a.ips)
    return seg_a == sorted(segments.segment(ip) for ip in b.ips)


class _Side:
    """One cluster over the pod keys of both: per key its pod index (-1: absent)."""

    def __init__(self, cluster: Cluster, index: dict[str, int], sigs: dict[frozenset[Any], int]):
        self.cluster = cluster
        self.classes = pod_classes(cluster)
        self._blocks: ClassBlocks | None = None
        pods = self.pods = cluster.pods
        u = len(index)
        self.pos = np.full(u, -1, dtype=np.int64)
        self.pos[[index[p.key] for p in pods]] = np.arange(len(pods))
        # absent (pos -1) reads the padding at the end
        class_of = np.append(self.classes.class_of, -1)
        self.cls = class_of[self.pos]
        has_ip = np.array([p.has_ip for p in pods] + [False], dtype=bool)
        self.ip = has_ip[self.pos]
        sig = [sigs.setdefault(frozenset(declared_ports((p,))), len(sigs)) for p in pods]
        self.sig = np.asarray(sig + [-1], dtype=np.int64)[self.pos]
        self._matrix: Any = None

    def relation(self, full: bool, focus: IntArray) -> Relation:
        """Blocks of the class relation over joint-class positions (see the module doc)."""
        if not full:
            if self._blocks is None:
                self._blocks = ClassBlocks(self.cluster, classes=self.classes, focus=focus)
            return self._blocks.blocks
        if self._matrix is None:
            self._matrix = reachability(self.cluster)
        packed = self._matrix.packed

        def from_matrix(
            ports: Sequence[PortKey], src: IntArray, dst: IntArray
        ) -> dict[PortKey, BoolArray]:
            out = {}
            for port in ports:
                if port not in packed:  # no pod of this side declares it
                    out[port] = np.zeros((len(src), len(dst)), dtype=bool)
                    continue
                rows = packed[port][src][:, dst >> 3]
                out[port] = ((rows >> (7 - (dst & 7)).astype(np.uint8)) & 1).astype(bool)
            return out

        return from_matrix


class _Joint:
    """Joint classes of the two sides and which of them are dirty."""

    def __init__(self, old: _Side, new: _Side) -> None:
        state = np.stack([old.cls, old.ip, old.sig, new.cls, new.ip, new.sig], axis=1)
        uniq, first, inverse = np.unique(state, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        self.size = len(uniq)
        self.cls = (uniq[:, 0], uniq[:, 3])
        self.src_ok = (uniq[:, 0] >= 0) & (uniq[:, 1] > 0), (uniq[:, 3] >= 0) & (uniq[:, 4] > 0)
        self.sig = (uniq[:, 2], uniq[:, 5])
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(self.size + 1))
        self.members = [order[bounds[j] : bounds[j + 1]] for j in range(self.size)]
        self.of_pod = inverse
        self.dirty = self._dirty(old, new, first)

    def _dirty(self, old: _Side, new: _Side, first: IntArray) -> BoolArray:
        if _cluster_wide(old.cluster) != _cluster_wide(new.cluster):
            return np.ones(self.size, dtype=bool)
        segments = Segments.build(class_cidrs(old.cluster) + class_cidrs(new.cluster))
        ns_old, ns_new = _namespaces(old.cluster), _namespaces(new.cluster)
        same_ns = {ns: ns_new.get(ns) == facts for ns, facts in ns_old.items()}
        out = np.zeros(self.size, dtype=bool)
        for j, u in enumerate(first.tolist()):
            i, k = int(old.pos[u]), int(new.pos[u])
            if i < 0 or k < 0 or old.ip[u] != new.ip[u] or old.sig[u] != new.sig[u]:
                out[j] = True
                continue
            a, b = old.pods[i], new.pods[k]
            out[j] = not (same_ns.get(a.namespace, False) and _same_pod(a, b, segments))
        return out


def _present(cls: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct classes (absent, -1, left out) and each entry's position among them
    (an absent entry: 0, masked by the caller)."""
    found = np.unique(cls[cls >= 0])
    at = np.searchsorted(found, cls)
    return found, np.where(cls >= 0, at, 0).astype(np.int64)


def _allowed(
    joint: _Joint,
    side: int,
    relation: Relation,
    ports: Sequence[PortKey],
    dst_ok: dict[PortKey, BoolArray],
    rows: IntArray,
    cols: IntArray,
) -> dict[PortKey, BoolArray]:
    """Per port, the edges from joint classes ``rows`` to ``cols`` on one side."""
    cls = joint.cls[side]
    src_c, src_at = _present(cls[rows])
    dst_c, dst_at = _present(cls[cols])
    if not len(src_c) or not len(dst_c):
        return {p: np.zeros((len(rows), len(cols)), dtype=bool) for p in ports}
    blocks = relation(ports, src_c, dst_c)
    ok_rows = joint.src_ok[side][rows]
    out = {}
    for port in ports:
        grid = blocks[port][np.ix_(src_at, dst_at)]
        out[port] = grid & ok_rows[:, None] & dst_ok[port][cols][None, :]
    return out


def _compare(
    joint: _Joint,
    relations: tuple[Relation, Relation],
    ports: Sequence[PortKey],
    dst_ok: tuple[dict[PortKey, BoolArray], dict[PortKey, BoolArray]],
    rows: IntArray,
    cols: IntArray,
) -> list[tuple[int, int, PortKey, bool]]:
    """(row joint class, col joint class, port, added?) of every changed block cell."""
    out: list[tuple[int, int, PortKey, bool]] = []
    step = max(1, _CHUNK // max(len(cols), 1))
    for r0 in range(0, len(rows), step):
        part = rows[r0 : r0 + step]
        a = _allowed(joint, 0, relations[0], ports, dst_ok[0], part, cols)
        b = _allowed(joint, 1, relations[1], ports, dst_ok[1], part, cols)
        for port in ports:
            for grid, added in ((b[port] & ~a[port], True), (a[port] & ~b[port], False)):
                ri, ci = np.nonzero(grid)
                for x, y in zip(part[ri].tolist(), cols[ci].tolist(), strict=True):
                    out.append((x, y, port, added))
    return out


def pod_changes(old: Cluster, new: Cluster) -> tuple[set[Key], set[Key], Reasons, Reasons]:
    """(added, removed, reasons in OLD, reasons in NEW) of the allowed (from pod, to pod or
    outside address, port) connections, pods named by key (see the module docstring)."""
    evaluate = engine("podpath.engine.policy", "evaluate")
    if evaluate is None:
        raise EngineUnavailable("the policy engine is not available")
    keys = sorted({p.key for p in old.pods} | {p.key for p in new.pods})
    index = {k: u for u, k in enumerate(keys)}
    sigs: dict[frozenset[Any], int] = {}
    sides = (_Side(old, index, sigs), _Side(new, index, sigs))
    joint = _Joint(*sides)
    dirty = np.flatnonzero(joint.dirty)
    full = 4 * len(dirty) > joint.size
    ports = sorted(
        set(declared_ports(old.pods)) | set(declared_ports(new.pods)),
        key=lambda k: (k[0], k[1].value),
    )
    by_sig = {v: k for k, v in sigs.items()}
    ok_old, ok_new = (
        {
            p: joint.src_ok[s] & np.array([p in by_sig.get(g, ()) for g in joint.sig[s].tolist()])
            for p in ports
        }
        for s in (0, 1)
    )
    dst_ok = (ok_old, ok_new)
    focus = [np.unique(c[joint.dirty & (c >= 0)]) for c in joint.cls]
    relations = (sides[0].relation(full, focus[0]), sides[1].relation(full, focus[1]))
    everyone = np.arange(joint.size)
    if full:
        cells = _compare(joint, relations, ports, dst_ok, everyone, everyone)
    else:
        clean = np.flatnonzero(~joint.dirty)
        cells = _compare(joint, relations, ports, dst_ok, dirty, everyone)
        cells += _compare(joint, relations, ports, dst_ok, clean, dirty)
    added: set[Key] = set()
    removed: set[Key] = set()
    where: dict[Key, tuple[int, int, PortKey]] = {}
    for x, y, port, is_added in cells:
        label = port_label(port)
        for u in joint.members[x].tolist():
            for v in joint.members[y].tolist():
                if u != v:
                    key = (keys[u], keys[v], label)
                    (added if is_added else removed).add(key)
                    where[key] = (u, v, port)
    out_added, out_removed, out_why = _outside_changes(sides, joint, full)
    why_old = _pair_reasons(sides[0], evaluate, where, out_why[0])
    why_new = _pair_reasons(sides[1], evaluate, where, out_why[1])
    return added | out_added, removed | out_removed, why_old, why_new


def _outside_changes(
    sides: tuple[_Side, _Side], joint: _Joint, full: bool
) -> tuple[set[Key], set[Key], tuple[Reasons, Reasons]]:
    """The pod <-> outside edges only one side has: every pod's when the outside peers or
    the cluster-wide objects differ, else the dirty pods'."""
    old, new = sides[0].cluster, sides[1].cluster
    same = not full and outside_fingerprint(old) == outside_fingerprint(new)
    found = []
    for side in sides:
        only = None
        if same:
            dirty_pod = joint.dirty[joint.of_pod]
            only = [side.pods[i] for i in np.sort(side.pos[dirty_pod & (side.pos >= 0)]).tolist()]
        found.append(lazy_outside_edges(side.cluster, lambda k: k, only))
    (a, why_old), (b, why_new) = found
    return b - a, a - b, (why_old, why_new)


def _pair_reasons(
    side: _Side, evaluate: Any, where: dict[Key, tuple[int, int, PortKey]], outside: Reasons
) -> Reasons:
    from podpath.engine.policy_verdict import PodPeer

    class_of = side.classes.class_of.tolist()
    explain = VerdictCache(side.cluster, evaluate, class_of, side.pods)

    def reasons(key: Key) -> tuple[str, ...]:
        if key not in where:
            return outside(key)
        u, v, port = where[key]
        i, j = int(side.pos[u]), int(side.pos[v])
        verdict = explain(PodPeer(side.pods[i]), PodPeer(side.pods[j]), i, j, port)
        return policy_refs(verdict)

    return reasons
