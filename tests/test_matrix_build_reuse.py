"""The class relation computes each distinct ingress relation's transpose once and lets
ports with the same relation share one read-only array; answers equal a build that
transposes every port anew (budget 0) and the bit-by-bit transpose."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from podpath.api import load_cluster
from podpath.engine import matrix_build
from podpath.engine.matrix import reachability
from podpath.engine.matrix_build import _transpose, class_relation
from podpath.engine.policy_verdict import Assumptions

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"


def test_transpose_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 7, 8, 9, 63, 130):
        bits = rng.random((n, n)) < 0.3
        packed = np.packbits(bits, axis=1)
        back = np.unpackbits(_transpose(packed, n), axis=1, count=n).astype(bool)
        assert (back == bits.T).all()


@pytest.mark.parametrize("budget", [0, 1 << 30])
def test_reuse_gives_the_same_relation(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    cluster = load_cluster([str(SHOP)])
    matrix = reachability(cluster)
    columns = tuple(matrix.packed)
    monkeypatch.setattr(matrix_build, "TRANSPOSE_BUDGET", budget)
    _, packed, _ = class_relation(cluster, matrix.pods, columns, Assumptions())
    assert set(packed) == set(matrix.packed)
    for port, rel in packed.items():
        assert (rel == matrix.packed[port]).all()
        assert not rel.flags.writeable
    shared = {id(a) for a in packed.values()}
    distinct = {a.tobytes() for a in packed.values()}
    # ports whose rules give the same ingress and egress share one array
    assert len(distinct) <= len(shared) < len(packed)
