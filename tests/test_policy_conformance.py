"""Table-driven NetworkPolicy / admin tier semantics from tests/data/netpol_conformance.yaml.

Each row is checked with the per-pair evaluator (verdict, tier, reasons) and, for pod pairs,
with the fast matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from podpath.cluster import Cluster, resolve
from podpath.engine.matrix import reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import Peer, PodPeer
from podpath.model.core import Protocol, SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

DATA = yaml.safe_load((Path(__file__).parent / "data" / "netpol_conformance.yaml").read_text())
CASES = DATA["cases"]


def _cluster(objects: list[dict[str, Any]]) -> Cluster:
    docs = [RawDoc(d, SourceRef("conformance.yaml", i)) for i, d in enumerate(objects)]
    return resolve(normalize(docs))


def _peer(cluster: Cluster, text: str) -> Peer:
    if text.startswith("ip:"):
        return peer_for_ip(cluster, text[3:])
    return PodPeer(cluster.pod_by_key[text])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_conformance_case(case: dict[str, Any]) -> None:
    cluster = _cluster(DATA["base"] + case.get("objects", []))
    matrix = reachability(cluster, ports=None)
    index = {p.key: i for i, p in enumerate(matrix.pods)}
    for row in case["traffic"]:
        src, dst = _peer(cluster, row["from"]), _peer(cluster, row["to"])
        protocol = Protocol(row.get("protocol", "TCP"))
        verdict = evaluate(cluster, src, dst, row["port"], protocol)
        where = f"{row['from']} -> {row['to']}:{row['port']}/{protocol}: {verdict.reasons}"
        assert verdict.allowed == row["allowed"], where
        if "tier" in row:
            assert str(verdict.tier) == row["tier"], where
        if "reason" in row:
            assert any(row["reason"] in r for r in verdict.reasons), where
        if isinstance(src, PodPeer) and isinstance(dst, PodPeer):
            port = (row["port"], protocol)
            m = reachability(cluster, ports=[port])
            assert m.is_allowed(index[src.pod.key], index[dst.pod.key], port) == row["allowed"]
