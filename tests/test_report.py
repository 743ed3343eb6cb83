"""``podpath report``: the terminal page on the bundled example (golden) and its sections
agree with the engines they summarise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from podpath.analyze.doctor import diagnose
from podpath.analyze.report import namespace_reachability, overview
from podpath.api import load_cluster
from podpath.cli import cli
from podpath.engine.matrix import reachability

SHOP = str(Path(__file__).resolve().parents[1] / "examples" / "shop")


@pytest.fixture(scope="module")
def shop():  # type: ignore[no-untyped-def]
    return load_cluster([SHOP])


def test_report_on_the_example_matches_golden(golden) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["report", "-f", "examples/shop"])
    assert result.exit_code == 0, result.output
    for section in ("Namespaces", "Services", "Routes", "Reachability", "DNS", "Doctor"):
        assert f"== {section}" in result.stdout
    golden("report/shop.txt", result.stdout)


def test_report_findings_are_the_doctors(shop) -> None:  # type: ignore[no-untyped-def]
    data = overview(shop)
    assert [(f.code, f.object) for f in data["findings"]] == [
        (f.code, f.object) for f in diagnose(shop)
    ]
    assert data["summary"]["pods"] == len(shop.pods)


def test_reachability_counts_agree_with_the_matrix(shop) -> None:  # type: ignore[no-untyped-def]
    matrix = reachability(shop)
    index = {p.key: i for i, p in enumerate(matrix.pods)}
    expected: dict[tuple[str, str], int] = {}
    for src in shop.pods:
        for dst in shop.pods:
            if src.key == dst.key:
                continue
            ok = any(
                matrix.is_allowed(index[src.key], index[dst.key], (p.container_port, p.protocol))
                for p in dst.ports
            )
            if ok:
                key = (src.namespace, dst.namespace)
                expected[key] = expected.get(key, 0) + 1
    got = {(r["from"], r["to"]): r["allowed_pairs"] for r in namespace_reachability(shop)}
    assert got == expected
    # the example's baseline: nothing outside shop's approved namespaces reaches payments
    assert ("reviews", "payments") not in got
