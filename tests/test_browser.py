"""The HTML pages in a real headless Chromium (tests/browser.py drives it over the DevTools
pipe): they load without errors, the graph of examples/shop is readable at a glance (no two
boxes overlap, labels fit their boxes, everything inside the view, nothing printed on edges),
focus mode, collapse, search, paged tables, and hostile strings stay text. Skipped where no
browser is present."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Browser, chromium, dump_dom
from podpath.analyze.graph import Graph, GraphEdge, GraphNode
from podpath.cli import main
from podpath.render.html import Section, render_graph_html
from podpath.render.html import page as make_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        chromium() is None,
        reason="headless chromium is not installed "
        "(apt-get install chromium); the HTML pages are not browser-checked",
    ),
]
SCENARIO = str(Path(__file__).parent / "data" / "graph")
SHOP = str(Path(__file__).resolve().parents[1] / "examples" / "shop")
HOSTILE = '</script><img src=x onerror="document.title=1"><b>bold</b> & "q"'
SIZE = (1400, 900)
ERRORS = "document.getElementById('podpath-errors').textContent"

# Geometry of the drawn graph, in CSS pixels of the window.
GEOMETRY = """(function () {
  function r(e) { var b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }
  var svg = document.querySelector('#graph-canvas svg');
  var nodes = Array.prototype.map.call(document.querySelectorAll('#graph-canvas g.node'),
    function (g) {
      return { id: g.getAttribute('data-id'), box: r(g.querySelector('rect')),
               texts: Array.prototype.map.call(g.querySelectorAll('text'), r),
               group: null };
    });
  var groups = Array.prototype.map.call(document.querySelectorAll('#graph-canvas g.group'),
    function (g) { return { ns: g.getAttribute('data-ns'), box: r(g.querySelector('rect')),
                            title: r(g.querySelector('text')),
                            toggle: r(g.querySelector('.toggle rect')) }; });
  return { canvas: r(document.getElementById('graph-canvas')), window: [innerWidth, innerHeight],
           nodes: nodes, groups: groups, scale: svg.getScreenCTM().a,
           edgeTexts: document.querySelectorAll('#graph-canvas .edges text, ' +
                                                '#graph-canvas .focus-edges text').length };
})()"""


def _write(path: Path, *args: str) -> Path:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--output-file", str(path)])
    assert exc.value.code in (0, None)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("pages")
    return {
        "scenario": _write(tmp / "scenario.html", "graph", "-f", SCENARIO, "--format", "html"),
        "shop": _write(tmp / "shop.html", "graph", "-f", SHOP, "--format", "html"),
        "report": _write(tmp / "report.html", "report", "-f", SHOP),
    }


def _open(browser: Browser, page: Path, fragment: str = "") -> None:
    browser.open(page, fragment, size=SIZE)
    assert browser.evaluate(ERRORS) == ""


def _ids(browser: Browser, selector: str = "#graph-canvas g.node") -> set[str]:
    found: list[str] = browser.evaluate(
        f"Array.prototype.map.call(document.querySelectorAll('{selector}'),"
        " function (e) { return e.getAttribute('data-id'); })"
    )
    return set(found)


def _click(browser: Browser, selector: str) -> None:
    browser.evaluate(
        f"document.querySelector({json.dumps(selector)})"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    )


def _overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    return (
        a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack
    )


def _inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def test_graph_page_draws_nodes_without_errors(browser: Browser, pages: dict[str, Path]) -> None:
    _open(browser, pages["scenario"])
    assert {
        "shop/Deployment/web",
        "shop/Deployment/api",
        "shop/StatefulSet/db",
        "ops/Deployment/monitor",
        "internet",
        "192.0.2.0/24",
    } <= _ids(browser)
    assert browser.evaluate(
        "document.querySelector('g.node[data-id=\"shop/Deployment/web\"]').getAttribute('class')"
    ) == ("node workload entry")
    assert browser.evaluate("document.querySelectorAll('#graph-canvas path.edge').length") >= 5


def test_click_shows_who_reaches_a_node_and_why(browser: Browser, pages: dict[str, Path]) -> None:
    _open(browser, pages["scenario"], "#select=shop/StatefulSet/db")
    assert browser.evaluate("document.body.dataset.selected") == "shop/StatefulSet/db"
    text = browser.evaluate("document.getElementById('graph-panel').innerText")
    assert "Who can reach it (1)" in text
    assert "api (Deployment)" in text
    assert "NetworkPolicy/shop/db-from-ops" in text and "NetworkPolicy/shop/api-egress" in text


def test_shop_graph_is_readable_at_a_glance(
    browser: Browser, pages: dict[str, Path], tmp_path: Path
) -> None:
    """The screenshot check of issue 14: examples/shop's graph, objectively readable."""
    _open(browser, pages["shop"])
    shot = browser.screenshot(Path(os.environ.get("PODPATH_SCREENSHOTS", tmp_path)) / "shop.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    geo: dict[str, Any] = browser.evaluate(GEOMETRY)
    nodes, groups = geo["nodes"], geo["groups"]
    assert {n["id"] for n in nodes} >= {"shop/Deployment/frontend", "internet", "203.0.113.0/24"}
    assert len(nodes) == 21 and len(groups) == 8  # every workload, every namespace, at once
    assert geo["edgeTexts"] == 0, "edge labels are printed (they belong in the hover)"
    assert geo["scale"] >= 0.8, f"drawn at {geo['scale']:.2f}: too small to read"
    view = [0, 0, *geo["window"]]
    for i, a in enumerate(nodes):
        assert _inside(a["box"], geo["canvas"]) and _inside(a["box"], view), a["id"]
        for text in a["texts"]:
            assert _inside(text, a["box"]), f"label of {a['id']} leaves its box"
        for b in nodes[i + 1 :]:
            assert not _overlap(a["box"], b["box"]), f"{a['id']} overlaps {b['id']}"
    for i, g in enumerate(groups):
        assert _inside(g["box"], geo["canvas"]) and _inside(g["title"], g["box"]), g["ns"]
        assert _inside(g["toggle"], g["box"]) and not _overlap(g["title"], g["toggle"]), g["ns"]
        members = [n for n in nodes if n["id"].startswith(g["ns"] + "/")]
        assert members, g["ns"]
        for n in members:
            assert _inside(n["box"], g["box"]), f"{n['id']} outside namespace {g['ns']}"
        for n in nodes:
            assert not _overlap(g["title"], n["box"]), f"{g['ns']}'s title under {n['id']}"
        for h in groups[i + 1 :]:
            assert not _overlap(g["box"], h["box"]), f"namespace {g['ns']} overlaps {h['ns']}"


def test_focus_mode_shows_only_the_nodes_connections(
    browser: Browser, pages: dict[str, Path], tmp_path: Path
) -> None:
    node = "shop/Deployment/frontend"
    _open(browser, pages["shop"], f"#select={node}")
    browser.screenshot(Path(os.environ.get("PODPATH_SCREENSHOTS", tmp_path)) / "shop-focus.png")
    assert browser.evaluate("getComputedStyle(document.querySelector('svg .edges')).display") == (
        "none"
    )
    drawn = browser.evaluate("document.querySelectorAll('.focus-edges path.edge').length")
    data = browser.evaluate(
        "(function () { var s = {}; window.podpathGraph.edges().forEach(function (e) {"
        f" if (e.from === '{node}') {{ s['>' + e.to + e.entry] = 1; }}"
        f" if (e.to === '{node}') {{ s['<' + e.from + e.entry] = 1; }} }});"
        " return Object.keys(s).length; })()"
    )
    assert drawn == data > 0  # one line per neighbour and direction, nothing else
    near = _ids(browser, "#graph-canvas g.node.near")
    assert "kube-system/Deployment/coredns" in near and "data/StatefulSet/postgres" not in near
    browser.evaluate(
        "document.querySelector('#graph-canvas svg').dispatchEvent(new MouseEvent('click'))"
    )
    assert browser.evaluate("document.body.hasAttribute('data-selected')") is False


def test_namespaces_collapse_and_expand(browser: Browser, pages: dict[str, Path]) -> None:
    _open(browser, pages["shop"])
    _click(browser, 'g.group[data-ns="shop"] .toggle')
    ids = _ids(browser)
    assert "ns:shop" in ids and "shop/Deployment/frontend" not in ids
    assert "data/StatefulSet/postgres" in ids
    label = browser.evaluate("document.querySelector('g.node.ns').textContent")
    assert "shop" in label and "6 workloads" in label
    _click(browser, 'g.node[data-id="ns:shop"]')  # focus: the namespace's connections
    assert browser.evaluate("document.body.dataset.selected") == "ns:shop"
    panel = browser.evaluate("document.getElementById('graph-panel').innerText")
    assert "namespace shop" in panel and "Reached from" in panel and "It reaches" in panel
    assert "kube-system/Deployment/coredns" in _ids(browser, "#graph-canvas g.node.near")
    assert browser.evaluate("document.querySelectorAll('.focus-edges path.edge').length") > 3
    _click(browser, "#graph-panel button.panel-open")
    assert "shop/Deployment/frontend" in _ids(browser)


def test_search_highlights_and_selects(browser: Browser, pages: dict[str, Path]) -> None:
    _open(browser, pages["shop"], "#search=postgres")
    assert _ids(browser, "#graph-canvas g.node.match") == {
        "data/StatefulSet/postgres",
        "data/CronJob/postgres-backup",
    }
    assert "2 matches" in browser.evaluate("document.getElementById('graph-tools').innerText")
    browser.evaluate(
        "document.querySelector('input.graph-search').dispatchEvent("
        "new KeyboardEvent('keydown', {key: 'Enter'}))"
    )
    assert browser.evaluate("document.body.dataset.selected") == "data/CronJob/postgres-backup"
    browser.evaluate(
        "var o = document.querySelector('#graph-tools input[type=checkbox]'); o.checked = true;"
        " o.dispatchEvent(new Event('change'))"
    )
    assert _ids(browser) == {"data/StatefulSet/postgres", "data/CronJob/postgres-backup"}


def test_edge_labels_show_on_hover(browser: Browser, pages: dict[str, Path]) -> None:
    _open(browser, pages["shop"])
    text = browser.evaluate(
        "(function () { var hit = document.querySelector('.edges path.agg + path.hit');"
        " var b = hit.getBoundingClientRect();"
        " hit.dispatchEvent(new MouseEvent('mousemove', {bubbles: true,"
        " clientX: b.left + b.width / 2, clientY: b.top + b.height / 2}));"
        " var tip = document.querySelector('.graph-tip');"
        " return tip.hidden ? '' : tip.textContent; })()"
    )
    assert " \u2194 " in text and "connection" in text and "/TCP" in text


def _big_graph(namespaces: int, per: int) -> Graph:
    nodes = tuple(
        GraphNode(f"ns{i}/Deployment/app{k}", f"app{k} (Deployment)", "workload", f"ns{i}")
        for i in range(namespaces)
        for k in range(per)
    )
    edges = tuple(
        GraphEdge(
            f"ns{i}/Deployment/app0", f"ns{(i + 1) % namespaces}/Deployment/app1", ("80/TCP",)
        )
        for i in range(namespaces)
    )
    return Graph(
        by="workload", nodes=nodes, edges=edges, groups=tuple(f"ns{i}" for i in range(namespaces))
    )


def test_a_big_graph_starts_at_namespace_level(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "big.html"
    page.write_text(render_graph_html(_big_graph(12, 10)), encoding="utf-8")
    _open(browser, page)
    assert _ids(browser) == {f"ns:ns{i}" for i in range(12)}
    assert browser.evaluate("document.querySelectorAll('.edges path.edge').length") == 12
    _open(browser, page, "#select=ns3/Deployment/app0")  # a link into a namespace opens it
    ids = _ids(browser)
    assert {f"ns3/Deployment/app{k}" for k in range(10)} <= ids and "ns:ns4" in ids
    assert browser.evaluate("document.body.dataset.selected") == "ns3/Deployment/app0"


def test_hostile_strings_stay_text(browser: Browser, tmp_path: Path) -> None:
    graph = Graph(
        by="workload",
        nodes=(
            GraphNode("ns/Deployment/x", HOSTILE, "workload", "ns", (HOSTILE,), (HOSTILE,)),
            GraphNode("internet", "internet", "internet"),
        ),
        edges=(GraphEdge("internet", "ns/Deployment/x", ("80/TCP",), (("80/TCP", (HOSTILE,)),)),),
        groups=("ns",),
    )
    page = tmp_path / "hostile.html"
    page.write_text(render_graph_html(graph, subtitle=HOSTILE), encoding="utf-8")
    _open(browser, page, "#select=ns/Deployment/x")
    assert browser.evaluate("document.querySelectorAll('img, b').length") == 0
    assert browser.evaluate("document.title") == "podpath graph (by workload)"
    assert HOSTILE in browser.evaluate("document.getElementById('graph-panel').textContent")
    assert HOSTILE in browser.evaluate("document.querySelector('header p').textContent")


def test_report_page(browser: Browser, pages: dict[str, Path]) -> None:
    _open(browser, pages["report"], "#select=shop/Deployment/frontend")
    for section in ("namespaces", "reachability", "services", "routes", "dns", "doctor", "graph"):
        assert browser.evaluate(f"!!document.querySelector('section#{section}')"), section
    assert browser.evaluate("document.body.dataset.selected") == "shop/Deployment/frontend"
    rows = browser.evaluate("document.querySelector('#doctor div.ptable').dataset.rows")
    assert rows == "9"
    drawn = browser.evaluate("document.querySelectorAll('#doctor tbody tr').length")
    assert drawn == 9
    where = browser.evaluate("document.querySelector('#doctor tbody').innerText")
    assert "examples/shop/shop/cart.yaml:33" in where
    assert browser.evaluate("document.querySelector('#reachability canvas').width") > 100


def test_tables_page_filter_and_sort(browser: Browser, tmp_path: Path) -> None:
    from podpath.render.html_report import table

    rows = [[f"svc-{i:03d}", str(i)] for i in range(60)]
    body = table("t", [("Service", "code"), ("N", "num")], rows)
    page = tmp_path / "table.html"
    page.write_text(make_page("t", "s", [Section("x", "x", body)], scripts=("report",)))
    _open(browser, page)
    info = "document.querySelector('.ptable-info').textContent"
    first = "document.querySelector('tbody tr td').textContent"
    assert browser.evaluate(info) == "1\u201325 of 60"
    assert browser.evaluate("document.querySelectorAll('tbody tr').length") == 25
    browser.evaluate("document.querySelectorAll('.ptable-tools button')[1].click()")
    assert browser.evaluate(info) == "26\u201350 of 60" and browser.evaluate(first) == "svc-025"
    browser.evaluate(
        "document.querySelectorAll('th')[1].click(); document.querySelectorAll('th')[1].click()"
    )
    assert browser.evaluate(first) == "svc-059"  # sorted by N, descending
    browser.evaluate(
        "var f = document.querySelector('.ptable-tools input'); f.value = 'svc-04';"
        " f.dispatchEvent(new Event('input'))"
    )
    assert browser.evaluate(info) == "1\u201310 of 10 (60 in all)"


def test_console_error_detection_works(tmp_path: Path) -> None:
    """The error box catches a broken script (so an empty box means something)."""
    page = tmp_path / "broken.html"
    text = make_page("t", "s", [Section("x", "x", "<script>undefinedFunction()</script>")])
    page.write_text(text)
    dom = dump_dom(page)
    found = re.search(r'<pre id="podpath-errors">(.*?)</pre>', dom, re.S)
    assert found and "undefinedFunction" in found.group(1)
    assert 'data-errors="1"' in dom.split("<head>")[0]
