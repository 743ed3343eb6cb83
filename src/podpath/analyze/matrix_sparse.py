"""The sparse matrix (``podpath matrix -o json``, version 2) and the ``--from``/``--to``
narrowing, computed from the class result without the pod x pod grid.

JSON (docs/contract.md)::

    {"version": 2, "pods": ["x/a", "x/b"], "ports": ["80/TCP", "443/TCP"],
     "allowed": [[0, 1, [0, 1]], [1, 1, [0]]]}

Each ``allowed`` cell is ``[from, to, ports]``: indices into ``pods`` and ``ports``; a pair
absent from the list is denied on every port. Cells are sorted by ``from`` then ``to``.
With ``--by workload`` the rows are workloads (``"by": "workload"``) and ``partial`` lists,
in the same form, the cells where not every replica pair is allowed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from podpath.analyze.matrix import ClassMembers
from podpath.engine.matrix import Matrix, port_label
from podpath.errors import InputError
from podpath.model.core import Pod

VERSION = 2
Cell = tuple[int, int, tuple[int, ...]]


def select_pods(pods: Sequence[Pod], specs: Sequence[str], flag: str) -> set[int] | None:
    """Indices of the pods ``specs`` name: ``NS/POD``, ``NS/WORKLOAD`` (a workload's name,
    every replica) or ``NS`` (every pod of the namespace). ``None`` when ``specs`` is empty;
    a spec that names nothing is an error (exit 2)."""
    if not specs:
        return None
    chosen: set[int] = set()
    for spec in specs:
        got = {i for i, pod in enumerate(pods) if _names(pod, spec)}
        if not got:
            raise InputError(f"{flag} {spec!r} names no pod, workload or namespace", field=flag)
        chosen |= got
    return chosen


def _names(pod: Pod, spec: str) -> bool:
    ns, _, name = spec.partition("/")
    if pod.namespace != ns:
        return False
    if not name:
        return True
    return name == pod.name or pod.workload_key.split("/")[-1] == name


def pod_cells(
    matrix: Matrix, rows: set[int] | None = None, cols: set[int] | None = None
) -> Iterator[Cell]:
    """Every allowed ``(from, to, port indices)`` pod pair, sorted, restricted to ``rows`` x
    ``cols``: the class result expanded one source row at a time, plus the overrides (pairs
    an assumption allows on every port)."""
    n_ports = len(matrix.ports)
    if not n_ports:
        return
    index = {p: k for k, p in enumerate(matrix.ports)}
    every = tuple(range(n_ports))
    keep = None if cols is None else np.zeros(len(matrix.pods), dtype=bool)
    if keep is not None and cols:
        keep[list(cols)] = True
    cache: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    gather = ClassMembers(matrix)
    for i in range(len(matrix.pods)):
        if rows is not None and i not in rows:
            continue
        cls = int(matrix.classes.class_of[i])
        row = cache.get(cls)
        if row is None:
            if len(cache) > 512:
                cache.clear()
            row = cache[cls] = _class_row(matrix, cls, index, keep, gather)
        forced = matrix.extra_from(i)
        own = matrix.self_ports(i)
        if len(forced) or own is not None:
            merged = _merged(row, forced.tolist(), every, keep)
            if own is not None and (keep is None or keep[i]):
                merged[i] = tuple(index[p] for p in own)
                if not own:
                    del merged[i]
            for j in sorted(merged):
                yield i, j, merged[j]
        else:
            for j, ports in row:
                yield i, j, ports


def _merged(
    row: list[tuple[int, tuple[int, ...]]],
    forced: list[int],
    every: tuple[int, ...],
    keep: np.ndarray[Any, Any] | None,
) -> dict[int, tuple[int, ...]]:
    """A class row with one pod's override pairs (allowed on every port) merged in."""
    merged = dict(row)
    for j in forced:
        if keep is None or keep[j]:
            merged[j] = every
    return merged


def _class_row(
    matrix: Matrix,
    cls: int,
    index: dict[Any, int],
    keep: np.ndarray[Any, Any] | None,
    gather: ClassMembers,
) -> list[tuple[int, tuple[int, ...]]]:
    """``(to, ports)`` of a source class, in pod order."""
    idx: list[np.ndarray[Any, Any]] = []
    codes: list[np.ndarray[Any, Any]] = []
    sets: list[tuple[int, ...]] = []
    for _, dst_classes, ports in matrix.class_pairs(only=cls):
        members = gather.pods(dst_classes)
        if keep is not None:
            members = members[keep[members]]
        if len(members):
            idx.append(members)
            codes.append(np.full(len(members), len(sets), dtype=np.int64))
            sets.append(tuple(index[p] for p in ports))
    if not idx:
        return []
    flat = np.concatenate(idx)
    order = np.argsort(flat, kind="stable")
    code = np.concatenate(codes)[order].tolist()
    return [(j, sets[k]) for j, k in zip(flat[order].tolist(), code, strict=True)]


def sparse_json(
    matrix: Matrix, rows: set[int] | None = None, cols: set[int] | None = None
) -> dict[str, Any]:
    """Version 2 pod-level JSON (module docstring); with ``rows``/``cols`` only the pods in
    either are listed, and only cells from ``rows`` to ``cols``."""
    listed = listed_indices(len(matrix.pods), rows, cols)
    if rows is None and cols is None:  # every pod listed: the indices stay
        cells = list(pod_cells(matrix))
    else:
        new = {old: k for k, old in enumerate(listed)}
        cells = [(new[i], new[j], p) for i, j, p in pod_cells(matrix, rows, cols)]
    return {
        "version": VERSION,
        "pods": [matrix.pods[i].key for i in listed],
        "ports": [port_label(p) for p in matrix.ports],
        "allowed": cells,
    }


def listed_indices(n: int, rows: set[int] | None, cols: set[int] | None) -> list[int]:
    """The rows listed: those of ``rows`` or ``cols`` (all when both are ``None``), sorted."""
    if rows is None and cols is None:
        return list(range(n))
    return sorted((rows if rows is not None else set(range(n))) | (cols or set(range(n))))


def sparse_from_dense(
    dense: dict[str, Any], rows: set[str] | None = None, cols: set[str] | None = None
) -> dict[str, Any]:
    """Version 2 JSON from the dense form (``--by workload``), narrowed to names in
    ``rows`` x ``cols``."""
    names: list[str] = dense["pods"]
    ports: list[str] = dense["ports"]
    index = {name: k for k, name in enumerate(names)}
    keep = listed_indices(
        len(names),
        None if rows is None else {index[n] for n in rows if n in index},
        None if cols is None else {index[n] for n in cols if n in index},
    )
    new = {old: k for k, old in enumerate(keep)}
    grids = [
        np.asarray(dense["allowed"][p], dtype=bool).reshape(len(names), len(names)) for p in ports
    ]
    cells = []
    for i in keep:
        if rows is not None and names[i] not in rows:
            continue
        for j in keep:
            if cols is not None and names[j] not in cols:
                continue
            got = [k for k, g in enumerate(grids) if g[i, j]]
            if got:
                cells.append([new[i], new[j], got])
    out: dict[str, Any] = {"version": VERSION}
    if "by" in dense:
        out["by"] = dense["by"]
    out |= {"pods": [names[k] for k in keep], "ports": ports, "allowed": cells}
    if "partial" in dense:
        where: dict[tuple[str, str], list[int]] = {
            (p["from"], p["to"]): [] for p in dense["partial"]
        }
        for p in dense["partial"]:
            where[(p["from"], p["to"])].append(ports.index(p["port"]))
        names_kept = {names[k]: new[k] for k in keep}
        out["partial"] = sorted(
            [names_kept[a], names_kept[b], sorted(ks)]
            for (a, b), ks in where.items()
            if a in names_kept
            and b in names_kept
            and (rows is None or a in rows)
            and (cols is None or b in cols)
        )
    return out
