"""``podpath matrix``: the reachability matrix as the command contract's data, and its
sparse pair list.

JSON (DESIGN.md)::

    {"pods": ["x/a", "x/b"], "ports": ["80/TCP"],
     "allowed": {"80/TCP": [[true, false], [true, true]]}}

``allowed[port][i][j]``: may ``pods[i]`` open a connection to ``pods[j]`` on that port, by
policy. With ``by="workload"`` the rows are workloads (``NS/KIND/NAME``, ``"by": "workload"``
is added) and a cell is true when SOME replica pair is allowed (``partial`` lists the cells
where not every replica pair is). The sparse form yields ``from,to,ports`` lines, ports
space-separated, grouped by source class (deterministic), without ever building the pod x
pod matrix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from podpath.cluster import Cluster
from podpath.engine.matrix import Matrix, PortKey, port_label, reachability
from podpath.engine.matrix_classes import IntArray
from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, Assumptions
from podpath.errors import InputError
from podpath.model.core import Protocol

ObjArray = np.ndarray[Any, np.dtype[np.object_]]

MSG_BAD_PORT = "invalid --port {got!r}: expected PORT or PORT/PROTO (TCP, UDP, SCTP)"


def parse_port(text: str) -> PortKey:
    """``80``, ``80/TCP``, ``53/udp`` -> (port, Protocol)."""
    number, _, proto = text.partition("/")
    try:
        port = int(number)
        protocol = Protocol((proto or "TCP").upper())
    except ValueError:
        raise InputError(MSG_BAD_PORT.format(got=text), field="--port") from None
    if not 1 <= port <= 65535:
        raise InputError(MSG_BAD_PORT.format(got=text), field="--port")
    return port, protocol


def compute_matrix(
    cluster: Cluster,
    ports: Sequence[str] = (),
    namespaces: Sequence[str] = (),
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
    family: int | None = None,
) -> Matrix:
    """The matrix over ``--port`` values (default: every declared container port); with
    ``family`` (``--family``) of the connections of that IP family."""
    keys = [parse_port(p) for p in ports] if ports else None
    if keys is not None:
        keys = list(dict.fromkeys(keys))
    unknown = [n for n in namespaces if n not in cluster.namespace_by_name]
    if unknown:
        raise InputError(f"no such namespace: {', '.join(unknown)}", field="--namespace")
    return reachability(cluster, keys, list(namespaces) or None, assumptions, family)


def matrix_json(matrix: Matrix) -> dict[str, Any]:
    """The contract's JSON, pod level."""
    return {
        "pods": [p.key for p in matrix.pods],
        "ports": [port_label(p) for p in matrix.ports],
        "allowed": {port_label(p): matrix.allowed(p).tolist() for p in matrix.ports},
    }


def workload_groups(matrix: Matrix) -> tuple[list[str], list[list[int]]]:
    """Workload keys (sorted) and the pod indices of each."""
    groups: dict[str, list[int]] = {}
    for i, pod in enumerate(matrix.pods):
        groups.setdefault(pod.workload_key, []).append(i)
    names = sorted(groups)
    return names, [groups[n] for n in names]


def workload_json(matrix: Matrix) -> dict[str, Any]:
    """Replicas folded into their workload (see the module docstring), by
    :meth:`Matrix.fold` over classes."""
    names, groups = workload_groups(matrix)
    allowed: dict[str, list[list[bool]]] = {}
    partial: list[dict[str, str]] = []
    for port in matrix.ports:
        fold = matrix.fold(groups, port)
        allowed[port_label(port)] = fold.some.tolist()
        label = port_label(port)
        for a, b in zip(*np.nonzero(fold.some & ~fold.every), strict=True):
            partial.append({"from": names[int(a)], "to": names[int(b)], "port": label})
    return {
        "by": "workload",
        "pods": names,
        "ports": [port_label(p) for p in matrix.ports],
        "allowed": allowed,
        "partial": partial,
    }


class ClassMembers:
    """The pods of every class as one flat array (pods ascending within a class), to gather
    the pods of many classes with one numpy call."""

    def __init__(self, matrix: Matrix) -> None:
        class_of = matrix.classes.class_of
        self.flat: IntArray = np.argsort(class_of, kind="stable")
        self.sizes: IntArray = np.bincount(class_of, minlength=matrix.class_count)
        self.start: IntArray = np.cumsum(self.sizes) - self.sizes

    def pods(self, classes: IntArray) -> IntArray:
        """The pods of ``classes``, class after class."""
        lens = self.sizes[classes]
        shift = np.repeat(self.start[classes] - (np.cumsum(lens) - lens), lens)
        return self.flat[shift + np.arange(len(shift))]


def _class_row(matrix: Matrix, cls: int, members: ClassMembers) -> tuple[IntArray, ObjArray]:
    """Destination pods (ascending) a pod of class ``cls`` may reach, with the
    ``,TO,PORTS\n`` suffix of each, at class level (no override pairs)."""
    idx: list[IntArray] = []
    codes: list[IntArray] = []
    texts: list[str] = []
    for _, dst_classes, ports in matrix.class_pairs(only=cls):
        pods = members.pods(dst_classes)
        idx.append(pods)
        codes.append(np.full(len(pods), len(texts), dtype=np.int64))
        texts.append(" ".join(port_label(p) for p in ports))
    if not idx:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    flat = np.concatenate(idx)
    order = np.argsort(flat, kind="stable")
    return flat[order], np.asarray(texts, dtype=object)[np.concatenate(codes)[order]]


def _suffixes(dst: IntArray, texts: ObjArray, names: ObjArray) -> list[str]:
    return (("," + names[dst]) + ("," + texts + "\n")).tolist()  # type: ignore[no-any-return]


def _with_overrides(
    dst: IntArray, texts: ObjArray, extra: IntArray, all_ports: str
) -> tuple[IntArray, ObjArray]:
    """A class row with one pod's override pairs (allowed on every port) merged in."""
    keep = ~np.isin(dst, extra)
    merged = np.concatenate([dst[keep], extra])
    words = np.concatenate([texts[keep], np.full(len(extra), all_ports, dtype=object)])
    order = np.argsort(merged, kind="stable")
    return merged[order], words[order]


def _with_self(
    dst: IntArray, texts: ObjArray, i: int, own: tuple[PortKey, ...]
) -> tuple[IntArray, ObjArray]:
    """A pod's row with its entry to its own IP replaced by ``own`` (Matrix.self_ports)."""
    keep = dst != i
    if not own:
        return dst[keep], texts[keep]
    merged = np.concatenate([dst[keep], [i]])
    label = " ".join(port_label(p) for p in own)
    words = np.concatenate([texts[keep], np.asarray([label], dtype=object)])
    order = np.argsort(merged, kind="stable")
    return merged[order], words[order]


def csv_lines(matrix: Matrix, chunk: int = 1 << 20) -> Iterator[str]:
    """The sparse pair list, header first, in chunks of about ``chunk`` characters. Rows
    come from the class relation; a pod's override pairs are merged into its class row."""
    names = np.asarray([p.key for p in matrix.pods], dtype=object)
    yield "from,to,ports\n"
    buf: list[str] = []
    size = 0
    all_ports = " ".join(port_label(p) for p in matrix.ports)
    src = matrix.override_src
    gather = ClassMembers(matrix)
    for cls, members in enumerate(matrix.classes.members):
        dst, texts = _class_row(matrix, cls, gather)
        suffixes = _suffixes(dst, texts, names) if len(dst) else []
        for i in members:
            lo, hi = np.searchsorted(src, (i, i + 1))
            own = matrix.self_ports(i)
            if (hi > lo or own is not None) and matrix.ports:
                row_dst, row_texts = _with_overrides(
                    dst, texts, matrix.override_dst[lo:hi], all_ports
                )
                if own is not None:
                    row_dst, row_texts = _with_self(row_dst, row_texts, i, own)
                if not len(row_dst):
                    continue
                text = names[i] + names[i].join(_suffixes(row_dst, row_texts, names))
            elif suffixes:
                text = names[i] + names[i].join(suffixes)
            else:
                continue
            buf.append(text)
            size += len(text)
            if size >= chunk:
                yield "".join(buf)
                buf, size = [], 0
    if buf:
        yield "".join(buf)


def matrix_stats(matrix: Matrix) -> dict[str, int]:
    """Sizes: pods, classes, ports, allowed pod pairs per port summed."""
    sizes = np.array([len(m) for m in matrix.classes.members], dtype=np.int64)
    total = 0
    for port in matrix.ports:
        grid = matrix.allowed_classes(port).astype(np.int64)
        total += int(sizes @ grid @ sizes)
    return {
        "pods": len(matrix.pods),
        "classes": matrix.class_count,
        "ports": len(matrix.ports),
        "allowed_pod_pairs_by_port": total,
    }
