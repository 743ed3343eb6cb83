"""``podpath matrix [--port PORT[/PROTO]]... [--namespace NS]... [--by pod|workload]
[--format table|json|csv|md|html]``: who may open a connection to whom, by policy.

Flag interactions: ``--format csv`` streams the sparse pair list (``from,to,ports``) and
ignores ``--by`` (always pods; a warning says so).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from podpath.analyze.matrix import compute_matrix, csv_lines, matrix_json, workload_json
from podpath.cluster import Cluster
from podpath.commands.common import (
    assume_option,
    assumptions_from,
    emit,
    progress,
    to_json,
    with_inputs,
)
from podpath.render.matrix import FORMATS

ALL_FORMATS = ("table", "json", "csv", "md", "html")


@click.command()
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="PORT[/PROTO]",
    help="Port to evaluate (repeatable; default: every declared container port).",
)
@click.option(
    "--namespace",
    "-n",
    "namespaces",
    multiple=True,
    metavar="NS",
    help="Only pods of this namespace (repeatable).",
)
@click.option(
    "--by",
    type=click.Choice(["pod", "workload"]),
    default="pod",
    show_default=True,
    help="Rows and columns: pods, or workloads (replicas folded).",
)
@click.option("--format", "fmt", type=click.Choice(ALL_FORMATS), default="table", show_default=True)
@assume_option
@with_inputs
def matrix(
    cluster: Cluster,
    ports: tuple[str, ...],
    namespaces: tuple[str, ...],
    by: str,
    fmt: str,
    assume: tuple[str, ...] = (),
) -> None:
    """Reachability matrix: may pod A open a connection to pod B on each port, by policy."""
    with progress("computing the matrix"):
        result = compute_matrix(cluster, ports, namespaces, assumptions_from(assume))
    if fmt == "csv":
        if by == "workload":
            click.echo("podpath: warning: --by workload is ignored with --format csv", err=True)
        for chunk in csv_lines(result):
            sys.stdout.write(chunk)
        return
    data: dict[str, Any] = workload_json(result) if by == "workload" else matrix_json(result)
    emit(to_json(data) if fmt == "json" else FORMATS[fmt](data))
