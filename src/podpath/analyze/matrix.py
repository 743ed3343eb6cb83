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
from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, Assumptions
from podpath.errors import InputError
from podpath.model.core import Protocol

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
) -> Matrix:
    """The matrix over ``--port`` values (default: every declared container port)."""
    keys = [parse_port(p) for p in ports] if ports else None
    if keys is not None:
        keys = list(dict.fromkeys(keys))
    unknown = [n for n in namespaces if n not in cluster.namespace_by_name]
    if unknown:
        raise InputError(f"no such namespace: {', '.join(unknown)}", field="--namespace")
    return reachability(cluster, keys, list(namespaces) or None, assumptions)


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
    """Replicas folded into their workload (see the module docstring)."""
    names, groups = workload_groups(matrix)
    allowed: dict[str, list[list[bool]]] = {}
    partial: list[dict[str, str]] = []
    for port in matrix.ports:
        grid = matrix.allowed(port)
        rows = []
        for a, src in enumerate(groups):
            row = []
            for b, dst in enumerate(groups):
                block = grid[np.ix_(src, dst)]
                some, every = bool(block.any()), bool(block.all())
                row.append(some)
                if some and not every:
                    partial.append({"from": names[a], "to": names[b], "port": port_label(port)})
            rows.append(row)
        allowed[port_label(port)] = rows
    return {
        "by": "workload",
        "pods": names,
        "ports": [port_label(p) for p in matrix.ports],
        "allowed": allowed,
        "partial": partial,
    }


def _suffixes(matrix: Matrix, cls: int, names: list[str]) -> list[str]:
    """``,TO,PORTS\\n`` for every pod a pod of class ``cls`` may reach, in pod order."""
    idx: list[np.ndarray[Any, Any]] = []
    texts: list[str] = []
    for _, dst_classes, ports in matrix.class_pairs(only=cls):
        text = " ".join(port_label(p) for p in ports)
        pods = np.concatenate([np.asarray(matrix.classes.members[b]) for b in dst_classes])
        idx.append(pods)
        texts.extend([text] * len(pods))
    if not idx:
        return []
    order = np.argsort(np.concatenate(idx), kind="stable")
    flat = np.concatenate(idx)
    return [f",{names[int(flat[k])]},{texts[int(k)]}\n" for k in order]


def csv_lines(matrix: Matrix, chunk: int = 1 << 20) -> Iterator[str]:
    """The sparse pair list, header first, in chunks of about ``chunk`` characters."""
    names = [p.key for p in matrix.pods]
    yield "from,to,ports\n"
    buf: list[str] = []
    size = 0
    all_ports = " ".join(port_label(p) for p in matrix.ports)
    for cls, members in enumerate(matrix.classes.members):
        suffixes = _suffixes(matrix, cls, names)
        for i in members:
            if i in matrix.overrides:
                text = _override_row(matrix, i, names, all_ports)
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


def _override_row(matrix: Matrix, i: int, names: list[str], all_ports: str) -> str:
    """A source pod with assumption overrides, row computed pod by pod."""
    out = []
    forced = matrix.overrides[i]
    for j in range(len(matrix.pods)):
        if j in forced:
            text = all_ports
        else:
            text = " ".join(port_label(p) for p in matrix.ports if matrix.is_allowed(i, j, p))
        if text:
            out.append(f"{names[i]},{names[j]},{text}\n")
    return "".join(out)


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
