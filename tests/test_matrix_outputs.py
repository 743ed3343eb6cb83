"""``podpath matrix`` outputs that scale: the sparse JSON (version 2, docs/contract.md) says
exactly what the dense grid says, ``--from``/``--to`` narrow it, and a big table becomes a
namespace summary that says how to narrow it; the streamed JSON/YAML writers give the
library's bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.cli import cli
from podpath.commands.output import to_json, to_yaml
from podpath.render.matrix_stream import json_chunks, yaml_chunks

SHOP = ["-f", "examples/shop"]
ASSUMPTIONS = [
    [],
    ["--assume", "node-traffic-allowed=off"],
    ["--assume", "host-network-as-node=off", "--assume", "node-traffic-allowed=off"],
]


def _json(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["matrix", *args, "-o", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _dense_cells(dense: dict[str, Any]) -> set[tuple[str, str, str]]:
    names = dense["pods"]
    return {
        (names[i], names[j], port)
        for port, grid in dense["allowed"].items()
        for i, row in enumerate(grid)
        for j, ok in enumerate(row)
        if ok
    }


def _sparse_cells(sparse: dict[str, Any]) -> set[tuple[str, str, str]]:
    names, ports = sparse["pods"], sparse["ports"]
    return {(names[i], names[j], ports[k]) for i, j, ks in sparse["allowed"] for k in ks}


@pytest.mark.parametrize("by", ["pod", "workload"])
@pytest.mark.parametrize("assume", ASSUMPTIONS)
def test_sparse_says_what_the_dense_grid_says(by: str, assume: list[str]) -> None:
    sparse = _json(*SHOP, "--by", by, *assume)
    dense = _json(*SHOP, "--by", by, "--dense", *assume)
    assert sparse["version"] == 2
    assert sparse["pods"] == dense["pods"] and sparse["ports"] == dense["ports"]
    assert _sparse_cells(sparse) == _dense_cells(dense)
    assert sparse["allowed"] == sorted(sparse["allowed"])  # sorted by from, then to
    if by == "workload":
        names, ports = sparse["pods"], sparse["ports"]
        got = {(names[i], names[j], ports[k]) for i, j, ks in sparse["partial"] for k in ks}
        assert got == {(p["from"], p["to"], p["port"]) for p in dense["partial"]}


@pytest.mark.parametrize(
    ("sources", "targets"),
    [
        (["shop"], ["data"]),
        (["shop/checkout"], []),
        ([], ["data/postgres-0"]),
        (["monitoring", "shop/frontend"], ["payments", "shop"]),
    ],
)
def test_from_and_to_narrow_the_pairs(sources: list[str], targets: list[str]) -> None:
    full = _sparse_cells(_json(*SHOP))
    flags = [
        *(a for s in sources for a in ("--from", s)),
        *(a for t in targets for a in ("--to", t)),
    ]
    narrowed = _json(*SHOP, *flags)

    pods = CliRunner().invoke(cli, ["pods", *SHOP, "-o", "json"]).stdout
    owner = {p["pod"]: p["owner"] for p in json.loads(pods)["pods"]}

    def named(name: str, specs: list[str]) -> bool:
        ns = name.split("/")[0]
        workload = f"{ns}/{owner[name].split('/')[-1]}"
        return not specs or any(s in (ns, name, workload) for s in specs)

    want = {c for c in full if named(c[0], sources) and named(c[1], targets)}
    assert _sparse_cells(narrowed) == want and want
    csv = CliRunner().invoke(cli, ["matrix", *SHOP, *flags, "-o", "csv"]).stdout.splitlines()
    assert csv[0] == "from,to,ports"
    got = {
        (a, b, p) for line in csv[1:] for a, b, ports in [line.split(",")] for p in ports.split()
    }
    assert got == want


def test_big_table_is_a_namespace_summary(tmp_path: Path) -> None:
    doc = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s}
spec:
  replicas: 40
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
"""
    path = tmp_path / "c.yaml"
    path.write_text("---\n".join(doc % ns for ns in ("a", "b")))
    result = CliRunner().invoke(cli, ["matrix", "-f", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "80 pods in 2 namespaces, 1 ports: 6400 pod pairs allowed on some port"
    assert lines[-1].startswith("80 rows are too many for a pod table: narrow it with --namespace")
    assert any(line.split()[:4] == ["a", "40", "3200", "a"] for line in lines)
    small = CliRunner().invoke(cli, ["matrix", "-f", str(path), "--from", "a/web", "--to", "b"])
    assert small.exit_code == 0 and "8080/TCP: 1600 pairs allowed" in small.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "shop", "--dense"], "--dense cannot be combined with --from/--to"),
        (["--to", "nowhere/x"], "--to 'nowhere/x' names no pod, workload or namespace"),
    ],
)
def test_bad_narrowing_is_one_line_exit_2(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "podpath", "matrix", *SHOP, *args, "-o", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and not proc.stdout


@pytest.mark.parametrize(
    ("fmt", "start"), [("md", "# Reachability matrix\n\n```\n"), ("html", "<!DOCTYPE html>")]
)
def test_md_and_html_of_a_huge_matrix_are_the_namespace_summary(
    tmp_path: Path, fmt: str, start: str
) -> None:
    doc = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  replicas: 501
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
"""
    path = tmp_path / "c.yaml"
    path.write_text(doc)
    result = CliRunner().invoke(cli, ["matrix", "-f", str(path), "-o", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(start)
    assert "501 pods in 1 namespaces, 1 ports: 251001 pod pairs allowed" in result.stdout


names_st = st.lists(st.text(min_size=1, max_size=12), max_size=6)
cells_st = st.lists(
    st.tuples(
        st.integers(0, 9999),
        st.integers(0, 9999),
        st.lists(st.integers(0, 20), max_size=4).map(tuple),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    pods=names_st,
    ports=names_st,
    allowed=cells_st,
    partial=st.none() | cells_st,
    by=st.none() | st.just("workload"),
)
def test_streamed_json_and_yaml_are_the_library_texts(
    pods: list[str],
    ports: list[str],
    allowed: list[Any],
    partial: list[Any] | None,
    by: str | None,
) -> None:
    """The streamed writers give the bytes of ``to_json``/``to_yaml`` (the -o json/yaml of
    every command), and the YAML reads back as the JSON."""
    data: dict[str, Any] = {"version": 2}
    if by is not None:
        data["by"] = by
    data |= {"pods": pods, "ports": ports, "allowed": allowed}
    if partial is not None:
        data["partial"] = partial
    as_lists = json.loads(to_json(data))
    assert "".join(json_chunks(data)) == to_json(data)
    assert "".join(yaml_chunks(data)) == to_yaml(as_lists)
    assert yaml.safe_load("".join(yaml_chunks(data))) == as_lists


@pytest.mark.parametrize("args", [[], ["--by", "workload"], ["--by", "workload", "--from", "shop"]])
def test_matrix_yaml_reads_back_as_the_json(args: list[str]) -> None:
    text = CliRunner().invoke(cli, ["matrix", *SHOP, *args, "-o", "yaml"])
    assert text.exit_code == 0, text.output
    assert yaml.safe_load(text.stdout) == _json(*SHOP, *args)
