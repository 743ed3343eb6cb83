"""``podpath graph``: nodes, edges with ports and reasons, entry points; dot/mermaid goldens."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from podpath.analyze.graph import (
    Graph,
    GraphEdge,
    GraphNode,
    build_graph,
    graph_json,
)
from podpath.api import load_cluster
from podpath.cli import main
from podpath.render.dot import quote, render_dot
from podpath.render.html import COLLAPSE_ABOVE, MEMBERS_SHOWN, graph_view, script_json
from podpath.render.mermaid import label, render_mermaid

SCENARIO = Path(__file__).parent / "data" / "graph"
SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
VENDOR = Path(__file__).resolve().parents[1] / "src" / "podpath" / "render" / "assets" / "vendor"
HOSTILE = 'a"b\\c</script><b>&amp;\nnext\tline'
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="graphviz 'dot' is not installed"
)
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PODPATH_UPDATE_GOLDENS") == "1"


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    return load_cluster([str(SCENARIO)])


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs (PODPATH_UPDATE_GOLDENS=1 to rewrite)"


def edges(graph_data: dict) -> dict[tuple[str, str], list[str]]:  # type: ignore[type-arg]
    return {(e["from"], e["to"]): e["ports"] for e in graph_data["edges"]}


def test_edges_follow_the_policies(cluster) -> None:  # type: ignore[no-untyped-def]
    got = edges(graph_json(build_graph(cluster)))
    web, api, db = "shop/Deployment/web", "shop/Deployment/api", "shop/StatefulSet/db"
    monitor = "ops/Deployment/monitor"
    assert got[(web, api)] == ["9000/TCP"]  # api-from-web
    assert got[(api, db)] == ["5432/TCP"]  # db-from-ops (new: only api) + api-egress
    assert got[("internet", web)] == ["8080/TCP"]
    assert got[(api, "192.0.2.0/24")] == ["443/TCP"]  # api-egress ipBlock
    assert (web, db) not in got  # db admits only api
    assert (monitor, api) not in got  # api admits only web
    assert (api, web) not in got  # api egress: only db and 192.0.2.0/24
    assert (api, "internet") not in got
    assert got[(monitor, web)] == ["8080/TCP"]  # allow-web: any source on 8080


def test_reasons_name_the_policies(cluster) -> None:  # type: ignore[no-untyped-def]
    data = graph_json(build_graph(cluster))
    edge = next(
        e for e in data["edges"] if e["to"] == "shop/Deployment/web" and e["from"] == "internet"
    )
    assert edge["reasons"]["8080/TCP"] == [
        "NetworkPolicy/shop/allow-web",
        "NetworkPolicy/shop/web-from-internet",
    ]
    api_db = next(e for e in data["edges"] if e["to"] == "shop/StatefulSet/db")
    assert api_db["reasons"]["5432/TCP"] == [
        "NetworkPolicy/shop/api-egress",
        "NetworkPolicy/shop/db-from-ops",
    ]


def test_entry_points_are_marked(cluster) -> None:  # type: ignore[no-untyped-def]
    nodes = {n["id"]: n for n in graph_json(build_graph(cluster))["nodes"]}
    web = nodes["shop/Deployment/web"]["entry"]
    assert any(e.startswith("LoadBalancer shop/web ") for e in web)
    assert any(e.startswith("NodePort shop/web ") for e in web)
    assert "Ingress Ingress/shop/shop shop.example.com / (Prefix)" in web
    assert nodes["ops/Deployment/monitor"]["entry"] == ["NodePort ops/metrics 30090/TCP"]
    assert nodes["shop/StatefulSet/db"]["entry"] == []
    assert nodes["internet"]["kind"] == "internet"
    assert nodes["192.0.2.0/24"]["kind"] == "cidr"


@pytest.mark.parametrize("by", ["pod", "namespace"])
def test_other_granularities(cluster, by: str) -> None:  # type: ignore[no-untyped-def]
    data = graph_json(build_graph(cluster, by=by))
    ids = {n["id"] for n in data["nodes"]}
    if by == "namespace":
        assert {"shop", "ops", "internet"} <= ids
        assert ("ops", "shop") in edges(data)
        assert data["groups"] == []
    else:
        assert "shop/db-0" in ids
        assert ("shop/db-0", "ops/Deployment/monitor") not in edges(data)


def test_dot_golden_and_graphviz(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = render_dot(build_graph(cluster))
    check_golden("graph-shop.dot", text)
    if shutil.which("dot") is None:
        pytest.skip("graphviz 'dot' is not installed")
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "web (Deployment)" in done.stdout


def test_mermaid_golden(cluster) -> None:  # type: ignore[no-untyped-def]
    check_golden("graph-shop.mmd", render_mermaid(build_graph(cluster)))


def _graphviz_svg(text: str) -> ET.Element:
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.strip() == "", done.stderr[-2000:]  # no warning either
    return ET.fromstring(done.stdout)  # well-formed, not cut off


def _titles(svg: ET.Element) -> set[str]:
    return {t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}title")}


@needs_dot
@pytest.mark.parametrize("by", ["workload", "pod", "namespace"])
def test_the_whole_example_through_graphviz(by: str) -> None:
    """examples/shop through the installed dot (2.43 on Debian 12 failed with 'trouble in
    init_rank'): exit 0, no warning, a well-formed SVG with every node and edge."""
    graph = build_graph(load_cluster([str(SHOP)]), by=by)
    titles = _titles(_graphviz_svg(render_dot(graph)))
    assert {n.id for n in graph.nodes} <= titles
    for edge in graph.edges:
        assert f"{edge.source}->{edge.target}" in titles
    groups = [t for t in titles if t.startswith("cluster_")]
    assert len(groups) == len(graph.groups)


def _hostile_graph() -> Graph:
    nodes = (
        GraphNode("ns/Deployment/x", HOSTILE, "workload", "ns", ("ns/x-1",), (HOSTILE,)),
        GraphNode("internet", "internet", "internet"),
    )
    edge = GraphEdge("internet", "ns/Deployment/x", ("80/TCP",), (("80/TCP", (HOSTILE,)),))
    return Graph(by="workload", nodes=nodes, edges=(edge,), groups=("ns",))


@needs_dot
def test_dot_quotes_every_string() -> None:
    svg = _graphviz_svg(render_dot(_hostile_graph()))
    texts = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert 'a"b\\c</script><b>&amp;' in texts and "next line" in texts  # the label, intact


def test_escaping() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("x\ty\rz\n") == '"x y z\\n"'
    assert quote("a & b") == '"a &amp; b"'
    assert label('x "y" <z>') == '"x #quot;y#quot; #lt;z#gt;"'


@needs_dot
def test_cli_svg(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["graph", "-f", str(SCENARIO), "--format", "svg"])
    assert exc.value.code == 0
    svg = ET.fromstring(capsys.readouterr().out)
    assert "shop/Deployment/web" in _titles(svg)


def test_cli_svg_without_graphviz(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("podpath.commands.graph.shutil.which", lambda name: None)
    with pytest.raises(SystemExit) as exc:
        main(["graph", "-f", str(SCENARIO), "--format", "svg"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "needs Graphviz's dot" in err and "--format html" in err
    assert len(err.strip().splitlines()) == 1


def _edges_of(view: dict[str, Any]) -> list[tuple[str, str, list[str], dict[str, list[str]], bool]]:
    """The page's compact edges, decoded as graph.js decodes them."""
    names, out = view["strings"], []
    for edge in view["edges"]:
        port_ids, set_ids = view["kinds"][edge[2]]
        ports = [names[i] for i in port_ids]
        why = {p: [names[i] for i in view["sets"][s]] for p, s in zip(ports, set_ids, strict=True)}
        ends = (view["nodes"][edge[0]]["id"], view["nodes"][edge[1]]["id"])
        out.append((*ends, ports, why, edge[3:] == [1]))
    return out


def test_graph_view_for_the_page(cluster) -> None:  # type: ignore[no-untyped-def]
    graph = build_graph(cluster)
    view = graph_view(graph)
    decoded = _edges_of(view)
    plain = [e for e in decoded if not e[4]]
    assert [(a, b, p, w) for a, b, p, w, _ in plain] == [
        (e["from"], e["to"], e["ports"], e["reasons"]) for e in graph_json(graph)["edges"]
    ]
    entry = {(a, b): p for a, b, p, _, is_entry in decoded if is_entry}
    assert entry[("internet", "shop/Deployment/web")] == ["Ingress, LoadBalancer, NodePort"]
    assert view["start_collapsed"] is False
    big = Graph(
        by="workload",
        nodes=tuple(
            GraphNode(f"ns{i % 7}/Deployment/w{i}", f"w{i}", "workload", f"ns{i % 7}", members)
            for i in range(COLLAPSE_ABOVE + 1)
            for members in [tuple(f"ns/p{k}" for k in range(MEMBERS_SHOWN + 5))]
        ),
        edges=(),
        groups=tuple(f"ns{i}" for i in range(7)),
    )
    view = graph_view(big)
    assert view["start_collapsed"] is True  # namespace level first
    assert {len(n["members"]) for n in view["nodes"]} == {MEMBERS_SHOWN}
    assert {n["member_count"] for n in view["nodes"]} == {MEMBERS_SHOWN + 5}


def test_page_data_cannot_close_its_script() -> None:
    text = script_json({"x": HOSTILE + "<!-- -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"x": HOSTILE + "<!-- -->"}


def test_vendored_layout_library_is_the_published_one() -> None:
    notes = (VENDOR / "VENDORED.md").read_text()
    digest = hashlib.sha256((VENDOR / "dagre.min.js").read_bytes()).hexdigest()
    assert digest in notes
    assert re.search(r"`@dagrejs/dagre`.*\| 3\.1\.3 \| MIT", notes)
    assert "Permission is hereby granted" in (VENDOR / "dagre.LICENSE").read_text()


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "json", "html"])
def test_cli_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["graph", "-f", str(SCENARIO), "--format", fmt])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["by"] == "workload"
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and "podpath-graph-data" in out
    else:
        assert "web (Deployment)" in out
