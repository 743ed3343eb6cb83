"""``podpath matrix --by workload`` in the sparse form (version 2, docs/contract.md), folded
from the class result by :meth:`podpath.engine.matrix.Matrix.fold_counts` (group x group counts
over classes), never through the dense workload grid.

A workload cell ``[from, to, ports]`` lists the ports on which SOME replica pair is allowed;
``partial`` lists, in the same form, the ports on which some but not every replica pair is.
The answer is that of the dense form (:func:`podpath.analyze.matrix.workload_json`) restricted
to the selected workloads and narrowed as :func:`podpath.analyze.matrix_sparse.sparse_from_dense`
narrows it; the property tests compare both with the per-pair evaluator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from podpath.analyze.matrix import workload_groups
from podpath.analyze.matrix_sparse import VERSION, listed_indices
from podpath.engine.matrix import Matrix, port_label
from podpath.engine.matrix_classes import IntArray

WorkloadCell = tuple[int, int, tuple[int, ...]]


def sparse_workloads(
    matrix: Matrix,
    chosen: set[int] | None = None,
    rows: set[int] | None = None,
    cols: set[int] | None = None,
) -> dict[str, Any]:
    """Version 2 workload JSON. ``chosen``: the pods ``-l`` selects (the workloads with one are
    listed; default all); ``rows``/``cols``: the pods of ``--from``/``--to`` (their workloads
    are the sources and the destinations; the workloads listed are those of either)."""
    names, groups = workload_groups(matrix)
    owner = np.full(len(matrix.pods), -1, dtype=np.int64)
    for g, members in enumerate(groups):
        owner[members] = g
    present = list(range(len(names)))
    if chosen is not None:
        present = sorted({int(owner[i]) for i in chosen})
    position = {g: k for k, g in enumerate(present)}

    def picked(pods: set[int] | None) -> set[int] | None:
        if pods is None:
            return None
        return {position[g] for g in {int(owner[i]) for i in pods} if g in position}

    src_pick, dst_pick = picked(rows), picked(cols)
    keep = listed_indices(len(present), src_pick, dst_pick)
    new = np.full(len(present), -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    src = [k for k in keep if src_pick is None or k in src_pick]
    dst = [k for k in keep if dst_pick is None or k in dst_pick]
    src_groups = [groups[present[k]] for k in src]
    dst_groups = [groups[present[k]] for k in dst]
    some: list[tuple[IntArray, int]] = []
    partly: list[tuple[IntArray, int]] = []
    src_sizes = np.asarray([len(g) for g in src_groups], dtype=np.int64)
    dst_sizes = np.asarray([len(g) for g in dst_groups], dtype=np.int64)
    for k, port in enumerate(matrix.ports):
        if not src_groups or not dst_groups:
            break
        counts = matrix.fold_counts(src_groups, port, dst_groups).ravel()
        hit = np.flatnonzero(counts)  # some replica pair allowed
        pairs = src_sizes[hit // len(dst_groups)] * dst_sizes[hit % len(dst_groups)]
        some.append((hit, k))
        partly.append((hit[counts[hit] != pairs], k))  # ... but not every one
    src_new, dst_new = new[np.asarray(src, dtype=np.int64)], new[np.asarray(dst, dtype=np.int64)]
    return {
        "version": VERSION,
        "by": "workload",
        "pods": [names[present[k]] for k in keep],
        "ports": [port_label(p) for p in matrix.ports],
        "allowed": _cells(some, len(dst), src_new, dst_new),
        "partial": _cells(partly, len(dst), src_new, dst_new),
    }


def _cells(
    hits: list[tuple[IntArray, int]], width: int, src_new: IntArray, dst_new: IntArray
) -> list[WorkloadCell]:
    """``(from, to, ports)`` cells, sorted, from per-port flat indices into a source x
    destination grid ``width`` wide (both sides in listed order, so flat order is cell order)."""
    if not hits or not sum(len(flat) for flat, _ in hits):
        return []
    flat = np.concatenate([f for f, _ in hits])
    port = np.concatenate([np.full(len(f), k, dtype=np.int64) for f, k in hits])
    order = np.argsort(flat, kind="stable")  # ports stay ascending within a cell
    flat, port = flat[order], port[order]
    starts = np.flatnonzero(np.r_[True, flat[1:] != flat[:-1]])
    at = flat[starts]
    a = src_new[at // width].tolist()
    b = dst_new[at % width].tolist()
    ends = np.r_[starts[1:], len(flat)].tolist()
    ports = port.tolist()
    seen: dict[tuple[int, ...], tuple[int, ...]] = {}
    out: list[WorkloadCell] = []
    for x, y, lo, hi in zip(a, b, starts.tolist(), ends, strict=True):
        key = tuple(ports[lo:hi])
        out.append((x, y, seen.setdefault(key, key)))
    return out
