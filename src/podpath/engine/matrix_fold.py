"""Folding the class relation over groups of pods (workloads, namespaces) for
:meth:`podpath.engine.matrix.Matrix.fold_counts`: ``out[g, h]`` = the number of allowed
(pod of group g, pod of group h) pairs = ``Ms . A . Md^T`` over the sparse membership
matrices of the groups in classes, without expanding pods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from podpath.engine.matrix_classes import IntArray

Packed = npt.NDArray[np.uint8]
Entries = tuple[IntArray, IntArray, IntArray]  # (group, class, count), sorted


def group_of(groups: Sequence[Sequence[int]], n: int) -> IntArray:
    out = np.full(n, -1, dtype=np.int64)
    for g, members in enumerate(groups):
        out[np.asarray(members, dtype=np.int64)] = g
    return out


def fold_entries(
    group_of: IntArray, class_of: IntArray, c: int
) -> tuple[IntArray, IntArray, IntArray]:
    """The sparse entries (group, class, count) of ``M``, sorted by group then class."""
    inside = group_of >= 0
    keys, counts = np.unique(group_of[inside] * c + class_of[inside], return_counts=True)
    return keys // c, keys % c, counts.astype(np.int64)


def fold_classes(packed: Packed, c: int, src: Entries, dst: Entries, out: IntArray) -> None:
    """``out[g, h] = sum Ms[g, a] * A[a, b] * Md[h, b]`` over the sparse entries of the two
    membership matrices (sorted by group), in chunks of source entries so the intermediates
    stay small: the class rows of the source entries, weighted and summed per source group,
    then (transposed, so both sums run along rows) weighted and summed per target group. A
    side whose groups have one class each needs no sum."""
    s_g, s_c, s_n = src
    d_g, d_c, d_n = dst
    s_starts = np.flatnonzero(np.r_[True, s_g[1:] != s_g[:-1]])
    d_starts = np.flatnonzero(np.r_[True, d_g[1:] != d_g[:-1]])
    s_present, d_present = s_g[s_starts], d_g[d_starts]
    wide = int(s_n.sum()) * int(d_n.sum()) >= 1 << 31  # bounds every cell and partial sum
    kind = np.int64 if wide else np.int32
    d_weight: npt.NDArray[Any] = d_n.astype(kind)[:, None]
    all_columns = len(d_c) == c and bool((d_c == np.arange(c)).all())
    bounds = np.r_[s_starts, len(s_g)]
    every_target = len(d_present) == out.shape[1]  # then d_present is 0, 1, ... (sorted)
    budget = max(1, (1 << 22) // max(c, len(d_g), 1))  # source entry rows per chunk
    k0 = 0
    while k0 < len(s_starts):
        k1 = max(k0 + 1, int(np.searchsorted(bounds, bounds[k0] + budget, side="right")) - 1)
        k1 = min(k1, len(s_starts))
        lo, hi = int(bounds[k0]), int(bounds[k1])
        bits = np.unpackbits(packed[s_c[lo:hi]], axis=1, count=c)
        if not all_columns:
            bits = bits[:, d_c]
        rows: npt.NDArray[Any] = np.multiply(bits, s_n[lo:hi, None].astype(kind), dtype=kind)
        del bits
        if k1 - k0 != hi - lo:
            rows = sum_segments(rows, s_starts[k0:k1] - lo)
        cols: npt.NDArray[Any] = np.ascontiguousarray(rows.T)
        del rows
        cols *= d_weight
        if len(d_starts) != len(d_g):
            cols = sum_segments(cols, d_starts)
        if every_target and s_present[k1 - 1] - s_present[k0] == k1 - k0 - 1:
            out[s_present[k0] : s_present[k1 - 1] + 1] = cols.T  # a slice: no fancy indexing
        else:
            out[np.ix_(s_present[k0:k1], d_present)] = cols.T
        k0 = k1


def sum_segments(rows: npt.NDArray[Any], starts: IntArray) -> npt.NDArray[Any]:
    """``np.add.reduceat(rows, starts, axis=0)`` for ascending ``starts`` from 0: the first
    row of every segment, then the k-th rows of the segments longer than k added on. Most
    segments (a workload's classes) are one row long, and this is several times faster than
    ``reduceat`` on them."""
    lengths = np.diff(np.r_[starts, len(rows)])
    out = rows[starts]
    for k in range(1, int(lengths.max(initial=1))):
        longer = np.flatnonzero(lengths > k)
        out[longer] += rows[starts[longer] + k]
    return out
