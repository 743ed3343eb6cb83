"""The report's namespace reachability: allowed pod pairs per (source namespace, destination
namespace), read from the set bits of the matrix engine's class relations.

A destination pod counts on the ports it declares (``containerPort``), so destination pods are
grouped by the *relations* of those ports (the engine shares one array between ports whose
relation is equal): pods whose ports have the relations ``T`` are reached from class ``a``
exactly where the OR of those relations, ``U_T``, has a bit. A class is one namespace's
(:mod:`podpath.engine.matrix_classes`), so with ``w_T[b]`` the pods of class ``b`` in ``T`` and
``size[a]`` the pods of class ``a``::

    pairs[ns(a), ns(b)] += size[a] * w_T[b]    for every set bit (a, b) of U_T

Each row of ``U_T`` is read by its set bits, or by its clear bits when most are set (the row's
total less the clear bits), or dense when both are many: the work follows
``min(set, clear)``, never the classes squared. Then the pod-level facts the class relation
does not hold: a pod to itself is not counted, and the sparse pod-pair corrections
(:attr:`podpath.engine.matrix.Matrix.override_src`) are added where the class relation does
not already allow them. Nothing is computed pod pair by pod pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from podpath.cluster import Cluster
from podpath.engine.matrix import Matrix, reachability

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Packed = npt.NDArray[np.uint8]

CHUNK = 2048  # source classes of one block
SPARSE_PAIRS = 1 << 22  # (class, class) bits expanded at once
DENSE_SHARE = 8  # a row with more than 1/8 of its columns both set and clear is read dense


@dataclass(frozen=True)
class _Targets:
    """The destination pods whose declared ports have exactly the relations ``relations``:
    ``weight[b]``, the pods of class ``b`` among them; ``mask``, the packed classes with any
    (padded to whole 64-bit words)."""

    relations: tuple[int, ...]
    weight: FloatArray
    mask: Packed
    columns: IntArray  # classes with weight, ordered by namespace
    starts: IntArray  # where each namespace's run of ``columns`` starts
    namespaces: IntArray  # the namespace of each run
    totals: FloatArray  # the weight of each run


def _packed_mask(chosen: npt.NDArray[np.bool_], width: int) -> Packed:
    out = np.zeros(width, dtype=np.uint8)
    bits = np.packbits(chosen)
    out[: len(bits)] = bits
    return out


def _targets(
    m: Matrix, relation_of_port: list[int], ns_of_class: IntArray
) -> tuple[list[_Targets], IntArray]:
    """One :class:`_Targets` per distinct set of relations some destination pod declares, and
    per pod the index of its set (-1: it declares none of the matrix's ports)."""
    c = m.classes.size
    port_pos = {port: k for k, port in enumerate(m.ports)}
    width = -(-c // 64) * 8
    set_of = []
    for pod in m.pods:
        found = {
            relation_of_port[port_pos[key]]
            for cp in pod.ports
            if (key := (cp.container_port, cp.protocol)) in port_pos
        }
        set_of.append(tuple(sorted(found)))
    sets = sorted({s for s in set_of if s})
    index = {s: k for k, s in enumerate(sets)}
    target_of = np.array([index.get(s, -1) for s in set_of], dtype=np.int64)
    out = []
    for k, relations in enumerate(sets):
        classes = m.classes.class_of[target_of == k]
        weight = np.bincount(classes, minlength=c).astype(np.float64)
        chosen = np.flatnonzero(weight)
        columns = chosen[np.argsort(ns_of_class[chosen], kind="stable")]
        run_ns = ns_of_class[columns]
        starts = np.flatnonzero(np.r_[True, run_ns[1:] != run_ns[:-1]])
        totals = np.add.reduceat(weight[columns], starts)
        out.append(
            _Targets(
                relations, weight, _packed_mask(weight > 0, width), columns, starts,
                run_ns[starts], totals,
            )
        )  # fmt: skip
    return out, target_of


class _Pairs:
    """Weighted (source namespace, destination namespace) pairs, summed per block."""

    def __init__(self, names: int) -> None:
        self.names = names
        self.keys: list[IntArray] = []
        self.sums: list[FloatArray] = []

    def add(self, src_ns: IntArray, dst_ns: IntArray, weights: FloatArray) -> None:
        if not len(weights):
            return
        keys, inverse = np.unique(src_ns * self.names + dst_ns, return_inverse=True)
        self.keys.append(keys)
        sums = np.bincount(inverse.ravel(), weights=weights, minlength=len(keys))
        self.sums.append(sums.astype(np.float64, copy=False))

    def counts(self) -> dict[tuple[int, int], int]:
        if not self.keys:
            return {}
        keys, inverse = np.unique(np.concatenate(self.keys), return_inverse=True)
        sums = np.rint(np.bincount(inverse.ravel(), weights=np.concatenate(self.sums)))
        n = self.names
        return {(int(k) // n, int(k) % n): int(s) for k, s in zip(keys, sums, strict=True) if s}


def _set_bits(words: npt.NDArray[np.uint64]) -> tuple[IntArray, IntArray]:
    """(row, column) of every set bit of packed rows (MSB first within a byte), found from
    the non-zero 64-bit words."""
    rows, cols = np.nonzero(words)
    if not len(rows):
        return rows.astype(np.int64), cols.astype(np.int64)
    bits = np.unpackbits(words[rows, cols].view(np.uint8).reshape(-1, 8), axis=1)
    which, bit = np.nonzero(bits)
    return rows[which].astype(np.int64), cols[which].astype(np.int64) * 64 + bit


def _fold_block(
    m: Matrix,
    relations: list[Packed],
    target: _Targets,
    r0: int,
    r1: int,
    size: FloatArray,
    ns_of_class: IntArray,
    out: _Pairs,
) -> None:
    """Add the pairs from source classes ``r0:r1`` to ``target``'s pods."""
    c = m.classes.size
    width = len(target.mask)
    block = np.zeros((r1 - r0, width), dtype=np.uint8)
    used = relations[target.relations[0]].shape[1]
    for r in target.relations:
        block[:, :used] |= relations[r][r0:r1]
    block &= target.mask
    words = block.view(np.uint64)
    ones = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    columns = len(target.columns)
    zeros = columns - ones
    src_ns, src_size = ns_of_class[r0:r1], size[r0:r1]
    dense = np.minimum(ones, zeros) * DENSE_SHARE > columns
    if dense.any():  # unpacked: each namespace's run of target columns summed
        at = np.flatnonzero(dense)
        bits = np.unpackbits(block[at], axis=1, count=c)[:, target.columns]
        sums = np.add.reduceat(bits * target.weight[target.columns], target.starts, axis=1)
        reps = np.repeat(at, len(target.starts))
        out.add(
            src_ns[reps], np.tile(target.namespaces, len(at)), (sums * src_size[at, None]).ravel()
        )
        words[at] = 0
    flip = ~dense & (ones > zeros)
    if flip.any():  # read by the clear bits: the row's total less them
        words[flip] ^= target.mask.view(np.uint64)
        by_ns = np.bincount(src_ns[flip], weights=src_size[flip])
        present = np.flatnonzero(by_ns)
        out.add(
            np.repeat(present, len(target.namespaces)),
            np.tile(target.namespaces, len(present)),
            np.outer(by_ns[present], target.totals).ravel(),
        )
    sign = np.where(flip, -1.0, 1.0) * src_size
    cost = np.cumsum(np.minimum(ones, zeros) * ~dense)
    start = 0
    while start < len(words):  # row ranges of at most SPARSE_PAIRS bits
        stop = max(start + 1, int(np.searchsorted(cost, cost[start] + SPARSE_PAIRS, "right")))
        stop = min(stop, len(words))
        rows, cols = _set_bits(words[start:stop])
        rows += start
        out.add(src_ns[rows], ns_of_class[cols], sign[rows] * target.weight[cols])
        start = stop


def _reached(
    relations: list[Packed], sets: list[tuple[int, ...]], a: IntArray, b: IntArray, t: IntArray
) -> npt.NDArray[np.bool_]:
    """Per entry, whether class ``a[k]`` reaches class ``b[k]`` in some relation of the set
    ``sets[t[k]]`` (``t[k] < 0``: no relation), read bit by bit."""
    out = np.zeros(len(a), dtype=bool)
    for r, rel in enumerate(relations):
        has = np.array([r in s for s in sets] + [False], dtype=bool)
        on = has[t]
        x, y = a[on], b[on]
        out[on] |= ((rel[x, y >> 3] >> (7 - (y & 7)).astype(np.uint8)) & 1).astype(bool)
    return out


def namespace_reachability(cluster: Cluster, matrix: Matrix | None = None) -> list[dict[str, Any]]:
    """Per (source namespace, destination namespace) with any allowed pair: the allowed pod
    pairs on some port the destination declares, and all pairs (a pod to itself not
    counted), sorted by namespace (``matrix``: the cluster's, when already built)."""
    if not cluster.pods:
        return []
    m = matrix if matrix is not None else reachability(cluster)
    pods, classes = m.pods, m.classes
    names = sorted({p.namespace for p in pods})
    ns_pos = {ns: i for i, ns in enumerate(names)}
    ns_of_class = np.array([ns_pos.get(ns, -1) for ns in classes.namespaces], dtype=np.int64)[
        classes.ns_id
    ]
    shared: dict[int, int] = {}
    relations: list[Packed] = []
    relation_of_port = []
    for port in m.ports:
        rel = m.packed[port]
        if id(rel) not in shared:
            shared[id(rel)] = len(relations)
            relations.append(rel)
        relation_of_port.append(shared[id(rel)])
    targets, target_of = _targets(m, relation_of_port, ns_of_class)
    c = classes.size
    size = np.bincount(classes.class_of, minlength=c).astype(np.float64)
    out = _Pairs(len(names))
    step = max(1, min(CHUNK, (1 << 22) // max(1, len(names))))
    for target in targets:
        for r0 in range(0, c, step):
            _fold_block(m, relations, target, r0, min(c, r0 + step), size, ns_of_class, out)
    counts = out.counts()
    sets = [t.relations for t in targets]
    _correct(m, relations, sets, target_of, ns_of_class, counts)
    sizes = np.bincount(ns_of_class[classes.class_of], minlength=len(names))
    return [
        {
            "from": names[a],
            "to": names[b],
            "allowed_pairs": n,
            "pairs": int(sizes[a] * sizes[b] - (sizes[a] if a == b else 0)),
        }
        for (a, b), n in sorted(counts.items())
        if n
    ]


def _correct(
    m: Matrix,
    relations: list[Packed],
    sets: list[tuple[int, ...]],
    target_of: IntArray,
    ns_of_class: IntArray,
    counts: dict[tuple[int, int], int],
) -> None:
    """Take off each pod to itself where its class reaches its own; add each override pair
    (not a pod to itself, to a pod that declares a port) the class relation does not."""
    class_of = m.classes.class_of
    selfs = class_of[_reached(relations, sets, class_of, class_of, target_of)]
    for ns, k in zip(*np.unique(ns_of_class[selfs], return_counts=True), strict=True):
        counts[int(ns), int(ns)] -= int(k)
    src, dst = m.override_src, m.override_dst
    keep = (src != dst) & (target_of[dst] >= 0)
    src, dst = src[keep], dst[keep]
    missed = ~_reached(relations, sets, class_of[src], class_of[dst], target_of[dst])
    n = len(m.pods)
    pairs = ns_of_class[class_of[src[missed]]] * n + ns_of_class[class_of[dst[missed]]]
    for key, k in zip(*np.unique(pairs, return_counts=True), strict=True):
        pair = (int(key) // n, int(key) % n)
        counts[pair] = counts.get(pair, 0) + int(k)
