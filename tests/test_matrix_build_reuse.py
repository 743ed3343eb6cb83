"""The class relation builds each direction once per signature (the rules that apply on a
port) and lets ports with the same relation share one read-only array; answers equal a build
that keeps nothing (budget 0). Ingress is laid out peer-major ([src][dst]) directly: that
layout is the transpose of the subject-major one, tier by tier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from podpath.api import load_cluster
from podpath.engine import matrix_build
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix import reachability
from podpath.engine.matrix_block import pod_classes
from podpath.engine.matrix_build import _direction, _port_cells, class_relation
from podpath.engine.matrix_rules import collect_rules
from podpath.engine.policy_verdict import Assumptions
from podpath.model.policy import Direction

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "examples" / "shop"


@pytest.mark.parametrize("budget", [0, 1 << 30])
def test_reuse_gives_the_same_relation(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    cluster = load_cluster([str(SHOP)])
    matrix = reachability(cluster)
    columns = tuple(matrix.packed)
    monkeypatch.setattr(matrix_build, "RELATION_BUDGET", budget)
    _, packed, _ = class_relation(cluster, matrix.pods, columns, Assumptions())
    assert set(packed) == set(matrix.packed)
    for port, rel in packed.items():
        assert (rel == matrix.packed[port]).all()
        assert not rel.flags.writeable
    shared = {id(a) for a in packed.values()}
    distinct = {a.tobytes() for a in packed.values()}
    # ports whose rules give the same ingress and egress share one array
    assert len(distinct) <= len(shared) < len(packed)


def _unpacked(m: np.ndarray, n: int) -> np.ndarray:
    return np.unpackbits(m, axis=1, count=n).astype(bool)


CLUSTERS = [
    SHOP,
    ROOT / "tests" / "real" / "network-policy-api-conformance",
    ROOT / "tests" / "scenarios" / "dual-stack-matrix",
]


@pytest.mark.parametrize("path", CLUSTERS, ids=lambda p: p.name)
def test_peer_major_layout_is_the_transpose(path: Path) -> None:
    cluster = load_cluster([str(path)])
    assumptions = Assumptions()
    classes = pod_classes(cluster, assumptions=assumptions)
    admin, baseline = admin_policies(cluster, "Admin"), admin_policies(cluster, "Baseline")
    has_admin = bool(admin or baseline)
    rules = collect_rules(cluster, classes, Direction.INGRESS, admin, baseline, assumptions)
    n = classes.size
    ports = reachability(cluster).ports
    assert ports and n > 1
    for port in ports:
        peer, diag_peer = _direction(
            classes, rules, _port_cells(rules, port, True)[1], has_admin, True
        )
        subject, diag_subject = _direction(
            classes, rules, _port_cells(rules, port, False)[1], has_admin, False
        )
        assert (_unpacked(peer, n) == _unpacked(subject, n).T).all()
        assert (diag_peer == diag_subject).all()
        # padding bits past the last class stay 0 in the peer-major layout
        assert (np.packbits(_unpacked(peer, n), axis=1) == peer).all()
