"""``podpath graph``: nodes, edges with ports and reasons, entry points; dot/mermaid goldens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from podpath.analyze.graph import build_graph, graph_json, reachability_heatmap
from podpath.api import load_cluster
from podpath.cli import main
from podpath.render.dot import quote, render_dot
from podpath.render.mermaid import label, render_mermaid

SCENARIO = Path(__file__).parent / "data" / "graph"
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


def test_heatmap(cluster) -> None:  # type: ignore[no-untyped-def]
    heat = reachability_heatmap(cluster, by="workload")
    i = heat["labels"].index("shop/Deployment/web")
    j = heat["labels"].index("shop/Deployment/api")
    assert heat["pairs"][i][j] == [2, 2]  # both web replicas reach api
    assert heat["pairs"][j][i] == [0, 2]
    assert heat["pairs"][i][i] == [2, 2]  # allow-web admits any source, the other replica too


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


def test_escaping() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert label('x "y" <z>') == '"x #quot;y#quot; #lt;z#gt;"'


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
