"""``podpath matrix [--port PORT[/PROTO]]... [-n NS]... [-l SELECTOR] [--by pod|workload]
[-o table|json|yaml|csv|md|html]``: who may open a connection to whom, by policy.

Flag interactions: ``-n`` restricts rows and columns to the pods of those namespaces, ``-l``
to the pods it selects (workloads with ``--by workload``: those with a selected pod);
``--format csv`` streams the sparse pair list (``from,to,ports``) and ignores ``--by``
(always pods; a warning says so).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from podpath.analyze.matrix import compute_matrix, csv_lines, matrix_json, workload_json
from podpath.cluster import Cluster
from podpath.commands.common import assume_option, assumptions_from, emit, progress, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.scope import Scope
from podpath.render.matrix import FORMATS

ALL_FORMATS = ("table", "json", "csv", "md", "html")


@command()
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="PORT[/PROTO]",
    help="Port to evaluate (repeatable; default: every declared container port).",
)
@click.option(
    "--by",
    type=click.Choice(["pod", "workload"]),
    default="pod",
    show_default=True,
    help="Rows and columns: pods, or workloads (replicas folded).",
)
@output_option(ALL_FORMATS)
@assume_option
@with_inputs
def matrix(
    cluster: Cluster,
    ports: tuple[str, ...],
    by: str,
    fmt: str,
    scope: Scope,
    assume: tuple[str, ...] = (),
) -> None:
    """For every pair of pods (or workloads) and every declared port: may the first
    open a connection to the second, by policy."""
    with progress("computing the matrix"):
        result = compute_matrix(cluster, ports, scope.namespaces, assumptions_from(assume))
    chosen = None
    if scope.selector is not None:
        chosen = {p.key for p in result.pods if scope.selects(p.labels)}
    if fmt == "csv":
        if by == "workload":
            click.echo("podpath: warning: --by workload is ignored with --format csv", err=True)
        for chunk in csv_lines(result):
            sys.stdout.write(chunk if chosen is None else _csv_selected(chunk, chosen))
        return
    data: dict[str, Any] = workload_json(result) if by == "workload" else matrix_json(result)
    if chosen is not None:
        data = _selected(data, chosen, {p.key: p.workload_key for p in result.pods})
    emit(render_as(fmt, data, table=FORMATS["table"], others=FORMATS))


def _csv_selected(chunk: str, chosen: set[str]) -> str:
    """The CSV lines whose two pods are selected (the header kept)."""
    out = []
    for line in chunk.splitlines(keepends=True):
        src, _, rest = line.partition(",")
        if line.startswith("from,to,") or (src in chosen and rest.split(",", 1)[0] in chosen):
            out.append(line)
    return "".join(out)


def _selected(data: dict[str, Any], chosen: set[str], owner: dict[str, str]) -> dict[str, Any]:
    """The matrix JSON restricted to the selected pods (or workloads with a selected pod)."""
    keep_names = chosen | {owner[k] for k in chosen}
    idx = [i for i, name in enumerate(data["pods"]) if name in keep_names]
    out = dict(data)
    out["pods"] = [data["pods"][i] for i in idx]
    out["allowed"] = {
        port: [[grid[i][j] for j in idx] for i in idx] for port, grid in data["allowed"].items()
    }
    if "partial" in data:
        out["partial"] = [
            p for p in data["partial"] if p.get("from") in keep_names and p.get("to") in keep_names
        ]
    return out
