"""Which groups of pods reach which on one port: the "some pair" fold of the matrix
engine's class relation (:mod:`podpath.engine.matrix`), for the graph's and the diff's
pod -> pod edges. Pure: no I/O.

Group ``a`` reaches group ``b`` when some pod ``i`` of ``a`` may open a connection to some
pod ``j != i`` of ``b``, by the class relation alone (the assumption pod pairs -- a pod to
itself, node traffic -- are not connections drawn). Pods of one class share their row, so
the answer is folded over classes, never pair by pair:

- the packed class rows of each source group's classes are OR-ed (bytewise) into one row per
  group; the bits of the destination groups' classes are read from it, and OR-ed per group;
- between two different groups ``i != j`` always holds; within a group, a class allowed only
  to itself counts only with a second pod: the diagonal is counted exactly,
  ``sum n_s(a) * n_d(b) - [a == b] * n_d(b)`` over the group's allowed class pairs (the
  destination pods of a group are among its source pods).

This equals ``Matrix.fold_counts(..., exclude_self=True, with_overrides=False) > 0`` (tested),
with bytes instead of counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
CELLS = 1 << 23  # bytes of one chunk's destination bits (bounds the memory)


def entries(group_of: IntArray, class_of: IntArray, c: int) -> tuple[IntArray, IntArray, IntArray]:
    """The (group, class, pod count) entries of the pods with ``group_of >= 0``, sorted by
    group then class."""
    inside = group_of >= 0
    keys, counts = np.unique(group_of[inside] * c + class_of[inside], return_counts=True)
    return keys // c, keys % c, counts.astype(np.int64)


def _bits(packed: npt.NDArray[np.uint8], a: IntArray, b: IntArray) -> npt.NDArray[np.bool_]:
    """``A[a[k], b[k]]`` of the packed class relation (MSB first)."""
    shift = (7 - (b & 7)).astype(np.uint8)
    return np.asarray((packed[a, b >> 3] >> shift) & 1, dtype=bool)


def _diagonal(
    packed: npt.NDArray[np.uint8],
    src: tuple[IntArray, IntArray, IntArray],
    dst: tuple[IntArray, IntArray, IntArray],
) -> set[int]:
    """The groups some pod of which reaches another pod of the same group (module doc)."""
    s_g, s_c, s_n = src
    d_g, d_c, d_n = dst
    lo = np.searchsorted(d_g, s_g, side="left")
    hi = np.searchsorted(d_g, s_g, side="right")
    per = hi - lo
    total = int(per.sum())
    if total == 0:
        return set()
    e = np.repeat(np.arange(len(s_g)), per)
    starts = np.repeat(np.cumsum(per) - per, per)
    f = np.repeat(lo, per) + (np.arange(total) - starts)
    ca, cb = s_c[e], d_c[f]
    weight = s_n[e] * d_n[f] - np.where(ca == cb, d_n[f], 0)
    weight = np.where(_bits(packed, ca, cb), weight, 0)
    groups, at = np.unique(s_g[e], return_inverse=True)
    sums = np.bincount(at, weights=weight.astype(np.float64), minlength=len(groups))
    return set(groups[sums > 0].tolist())


def group_pairs(
    packed: npt.NDArray[np.uint8],
    class_of: IntArray,
    src_of: IntArray,
    dst_of: IntArray,
    c: int,
) -> tuple[IntArray, IntArray]:
    """The (source group, destination group) pairs, sorted, where some pod pair ``i != j``
    is allowed by the class relation ``packed`` (``c`` classes); ``src_of[i]`` /
    ``dst_of[i]``: pod ``i``'s group on each side, or -1. A destination pod is also a
    source pod of the same group (module docstring)."""
    src = entries(src_of, class_of, c)
    dst = entries(dst_of, class_of, c)
    s_g, s_c, _ = src
    d_g, d_c, _ = dst
    none = np.zeros(0, dtype=np.int64)
    if not len(s_g) or not len(d_g):
        return none, none
    s_starts = np.flatnonzero(np.r_[True, s_g[1:] != s_g[:-1]])
    d_starts = np.flatnonzero(np.r_[True, d_g[1:] != d_g[:-1]])
    s_present, d_present = s_g[s_starts], d_g[d_starts]
    one_each = len(d_starts) == len(d_g)
    byte, shift = d_c >> 3, (7 - (d_c & 7)).astype(np.uint8)
    bounds = np.r_[s_starts, len(s_g)]
    step = max(1, CELLS // max(len(d_g), 1))  # source groups per chunk
    out_a: list[IntArray] = []
    out_b: list[IntArray] = []
    for k0 in range(0, len(s_starts), step):
        k1 = min(k0 + step, len(s_starts))
        lo, hi = int(bounds[k0]), int(bounds[k1])
        rows: npt.NDArray[Any] = packed[s_c[lo:hi]]
        if k1 - k0 != hi - lo:
            rows = np.bitwise_or.reduceat(rows, s_starts[k0:k1] - lo, axis=0)
        bits: npt.NDArray[Any] = (rows[:, byte] >> shift) & 1
        del rows
        if not one_each:
            bits = np.maximum.reduceat(bits, d_starts, axis=1)
        r, col = np.nonzero(bits)
        out_a.append(s_present[k0 + r])
        out_b.append(d_present[col])
    a, b = np.concatenate(out_a), np.concatenate(out_b)
    same = a == b
    if same.any():
        inside = _diagonal(packed, src, dst)
        keep = ~same | np.isin(a, np.fromiter(inside, dtype=np.int64, count=len(inside)))
        a, b = a[keep], b[keep]
    return a.astype(np.int64), b.astype(np.int64)
