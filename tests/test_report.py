"""``podpath report``: the terminal page on the bundled example (golden) and its sections
agree with the engines they summarise."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

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


def _page_data(page: str, element_id: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page)
    assert found, f"the page has no {element_id}"
    return json.loads(found.group(1))


def _section(text: str, title: str) -> list[str]:
    body = text.split(f"== {title}", 1)[1].split("\n== ", 1)[0]
    return [line for line in body.splitlines()[1:] if line.strip()]


def test_page_and_terminal_are_one_analysis(tmp_path: Path) -> None:
    """examples/shop: the page shows what the terminal shows (issue 14.6: the page ran the
    doctor without podpath.yaml, 6 warnings for the terminal's 1, and lost file:line)."""
    runner = CliRunner(env={"COLUMNS": "250"})  # wide: one table row a line
    terminal = runner.invoke(cli, ["report", "-f", SHOP])
    as_json = runner.invoke(cli, ["report", "-f", SHOP, "--format", "json"])
    out = tmp_path / "report.html"
    written = runner.invoke(cli, ["report", "-f", SHOP, "--html", str(out)])
    assert terminal.exit_code == as_json.exit_code == written.exit_code == 0, written.output
    page = out.read_text(encoding="utf-8")
    text = terminal.stdout
    # the summary line, word for word
    first = text.splitlines()[0].removeprefix("podpath report: ")
    assert f"<header><h1>podpath report</h1><p>{html.escape(first)}</p>" in page
    assert "1 warning" in first
    # the findings: the same, in the same order, each with its file:line
    data = json.loads(as_json.stdout)
    rows = _page_data(page, "podpath-table-findings")["rows"]
    expected = [
        [
            f["severity"],
            f["code"],
            f["object"],
            f"{f['file']}:{f['line']}" if f["file"] else "",
            f["message"],
            f["hint"],
        ]
        for f in data["findings"]
    ]
    assert rows == expected
    assert len(rows) == sum(data["summary"]["findings"].values())
    assert sum(1 for r in rows if r[3]) >= 6  # the locations are on the page
    at = 0
    for severity, code, obj, where, *_ in rows:
        for needle in (severity.upper(), code, obj, where):
            at = text.index(needle, at) if needle else at
    # the namespaces table: the same cells
    ns_rows = _page_data(page, "podpath-table-namespaces")["rows"]
    assert [r.split() for r in _section(text, "Namespaces")[2:]] == ns_rows
    # the reachability grid: the same numbers
    heat = _page_data(page, "podpath-heatmap")
    got = {(heat["labels"][i], heat["labels"][j]): f"{a}/{p}" for i, j, a, p in heat["cells"]}
    grid = _section(text, "Reachability")
    columns = grid[0].split()[3:]
    for line in grid[2:]:
        source, *cells = line.split()
        for destination, cell in zip(columns, cells, strict=True):
            assert got.get((source, destination), "-") == cell
    # services and routes: one row per row
    assert len(_page_data(page, "podpath-table-services")["rows"]) == data["summary"]["services"]
    assert len(_page_data(page, "podpath-table-routes")["rows"]) == data["summary"]["routes"]
