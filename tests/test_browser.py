"""The HTML pages in a real headless Chromium: they load without errors, draw the expected
nodes, explain a node on click, and render a screenshot. Skipped where no browser is present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import chromium, dump_dom, screenshot
from podpath.cli import main

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium() is None,
        reason="headless chromium is not installed "
        "(apt-get install chromium); the HTML pages are not browser-checked",
    ),
]
SCENARIO = str(Path(__file__).parent / "data" / "graph")


def _write(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "page.html"
    with pytest.raises(SystemExit) as exc:
        main([*args, "-f", SCENARIO, "--output-file", str(out)])
    assert exc.value.code in (0, None)
    return out


@pytest.fixture(scope="module")
def graph_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("graph"), "graph", "--format", "html")


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("report"), "report")


def _errors(dom: str) -> str:
    found = re.search(r'<pre id="podpath-errors">(.*?)</pre>', dom, re.S)
    assert found, "the page lost its error box"
    return found.group(1)


def test_graph_page_draws_nodes_without_errors(graph_page: Path) -> None:
    dom = dump_dom(graph_page)
    assert 'data-ready="1"' in dom, "the graph script did not finish"
    assert _errors(dom) == ""
    assert "data-errors" not in dom.split("<head>")[0]
    drawn = set(re.findall(r'<g class="node[^"]*" data-id="([^"]+)"', dom))
    assert {
        "shop/Deployment/web",
        "shop/Deployment/api",
        "shop/StatefulSet/db",
        "ops/Deployment/monitor",
        "internet",
        "192.0.2.0/24",
    } <= drawn
    assert re.search(r'<g class="node workload entry" data-id="shop/Deployment/web"', dom)
    assert dom.count('class="edge') >= 10


def test_click_shows_who_reaches_a_node_and_why(graph_page: Path) -> None:
    dom = dump_dom(graph_page, "#select=shop/StatefulSet/db")
    assert 'data-selected="shop/StatefulSet/db"' in dom
    panel = re.search(r'<aside class="graph-panel" id="graph-panel">(.*?)</aside>', dom, re.S)
    assert panel is not None
    text = re.sub(r"<[^>]+>", " ", panel.group(1))
    assert "Who can reach it (1)" in text
    assert "api (Deployment)" in text
    assert "NetworkPolicy/shop/db-from-ops" in text and "NetworkPolicy/shop/api-egress" in text
    assert _errors(dom) == ""


def test_report_page_sections(report_page: Path) -> None:
    dom = dump_dom(report_page, "#select=shop/Deployment/web")
    for section in ("services", "routes", "reachability", "doctor", "graph"):
        assert f'<section id="{section}">' in dom
    assert 'data-selected="shop/Deployment/web"' in dom
    assert "Entry points" in dom
    assert _errors(dom) == ""


def test_screenshot(graph_page: Path, tmp_path: Path) -> None:
    shot = screenshot(graph_page, tmp_path / "graph.png", "#select=shop/Deployment/web")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a drawn page, not a blank one


def test_console_error_detection_works(tmp_path: Path) -> None:
    """The error box catches a broken script (so an empty box means something)."""
    page = tmp_path / "broken.html"
    from podpath.render.html import Section
    from podpath.render.html import page as make_page

    text = make_page(
        "t", "s", [Section("x", "x", "<script>undefinedFunction()</script>")], graph=False
    )
    page.write_text(text)
    dom = dump_dom(page)
    assert "undefinedFunction" in _errors(dom)
    assert 'data-errors="1"' in dom.split("<head>")[0]
