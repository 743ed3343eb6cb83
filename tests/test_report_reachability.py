"""The report's namespace reachability (folded over the matrix engine's classes) against the
dense pod x pod grid it replaces, on the shop example and the real-world corpus (host-network
pods, self traffic, named and undeclared ports)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from podpath.analyze import report_reachability
from podpath.analyze.report import namespace_reachability
from podpath.api import load_cluster
from podpath.cluster import Cluster
from podpath.engine.matrix import reachability

ROOT = Path(__file__).resolve().parent.parent
INPUTS = [ROOT / "examples" / "shop", *sorted((ROOT / "tests" / "real").glob("*/"))]


def dense(cluster: Cluster) -> list[dict[str, Any]]:
    """The reference: the dense grid, OR-ed over the ports each destination declares."""
    matrix = reachability(cluster)
    n = len(matrix.pods)
    allowed = np.zeros((n, n), dtype=bool)
    for port in matrix.ports:
        declares = np.array(
            [any((p.container_port, p.protocol) == port for p in pod.ports) for pod in matrix.pods]
        )
        allowed |= matrix.allowed(port) & declares[None, :]
    np.fill_diagonal(allowed, False)
    index: dict[str, list[int]] = {}
    for i, pod in enumerate(matrix.pods):
        index.setdefault(pod.namespace, []).append(i)
    rows = []
    for src, si in sorted(index.items()):
        for dst, di in sorted(index.items()):
            count = int(allowed[np.ix_(si, di)].sum())
            total = len(si) * len(di) - (len(si) if src == dst else 0)
            if count:
                rows.append({"from": src, "to": dst, "allowed_pairs": count, "pairs": total})
    return rows


# (CHUNK, SPARSE_PAIRS, DENSE_SHARE): the defaults, every row dense, every row sparse in
# one-bit ranges, one source class a block
SETTINGS = [(2048, 1 << 22, 8), (2048, 1 << 22, 1 << 30), (1, 1, 0), (1, 64, 8)]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_folded_equals_dense(
    path: Path, setting: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in zip(("CHUNK", "SPARSE_PAIRS", "DENSE_SHARE"), setting, strict=True):
        monkeypatch.setattr(report_reachability, name, value)
    cluster = load_cluster([str(path)])
    if not cluster.pods:
        pytest.skip("no pods")
    assert namespace_reachability(cluster) == dense(cluster)


def test_shop_has_pod_pair_corrections() -> None:
    """The shop's node-exporter is host-network: the comparison above covers the sparse
    pod-pair corrections (a host-network pod and the pods of its node)."""
    cluster = load_cluster([str(ROOT / "examples" / "shop")])
    assert any(p.host_network for p in cluster.pods)
    assert len(reachability(cluster).override_src) > len(cluster.pods)
