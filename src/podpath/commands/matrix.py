"""``podpath matrix [--port PORT[/PROTO]]... [-n NS]... [-l SELECTOR] [--by pod|workload]
[--from SEL]... [--to SEL]... [--dense] [-o table|json|yaml|csv|md|html]``: who may open a
connection to whom, by policy.

Flag interactions: ``-n`` restricts rows and columns to the pods of those namespaces, ``-l``
to the pods it selects (workloads with ``--by workload``: those with a selected pod);
``--from``/``--to`` (``NS/POD``, ``NS/WORKLOAD`` or ``NS``, repeatable) narrow the sources
and the destinations. ``-o json``/``yaml`` write the sparse form (version 2,
:mod:`podpath.analyze.matrix_sparse`); ``--dense`` the pods x pods grid of every port (not
with ``--from``/``--to``). The table of more than 60 rows is a namespace summary that says
how to narrow it; so are ``md`` and ``html`` above 500 pods. ``--format csv`` streams the
sparse pair list (``from,to,ports``) and ignores ``--by`` (always pods; a warning says so).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import click

from podpath.analyze.matrix import compute_matrix, csv_lines, matrix_json, workload_json
from podpath.analyze.matrix_sparse import pod_cells, select_pods, sparse_json
from podpath.analyze.matrix_workload import sparse_workloads
from podpath.cluster import Cluster
from podpath.commands.common import assume_option, assumptions_from, emit, progress, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.scope import Scope
from podpath.engine.ip_family import FAMILIES, left_out_note
from podpath.engine.matrix import port_label
from podpath.errors import InputError
from podpath.render.escape import csv_row, terminal_safe
from podpath.render.matrix import FORMATS
from podpath.render.matrix_stream import json_chunks, yaml_chunks
from podpath.render.matrix_summary import (
    GRID_ROWS,
    SUMMARY_ROWS,
    namespace_summary,
    narrowed_table,
    summary_page,
)

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
@click.option(
    "--from",
    "sources",
    multiple=True,
    metavar="NS[/NAME]",
    help="Only rows of this pod, workload or namespace (repeatable).",
)
@click.option(
    "--to",
    "targets",
    multiple=True,
    metavar="NS[/NAME]",
    help="Only columns of this pod, workload or namespace (repeatable).",
)
@click.option("--dense", is_flag=True, help="JSON/YAML: the full grid of every port (version 1).")
@click.option(
    "--family",
    type=click.Choice(["ipv4", "ipv6"]),
    default=None,
    help="Only connections of this IP family (dual stack; default: any address of a pod).",
)
@output_option(ALL_FORMATS)
@assume_option
@with_inputs
def matrix(
    cluster: Cluster,
    ports: tuple[str, ...],
    by: str,
    sources: tuple[str, ...],
    targets: tuple[str, ...],
    dense: bool,
    family: str | None,
    fmt: str,
    scope: Scope,
    assume: tuple[str, ...] = (),
) -> None:
    """For every pair of pods (or workloads) and every declared port: may the first
    open a connection to the second, by policy."""
    number = FAMILIES.get(family or "")
    with progress("computing the matrix"):
        result = compute_matrix(cluster, ports, scope.namespaces, assumptions_from(assume), number)
    note = left_out_note(cluster.pods, number, scope.namespaces)
    if note:
        click.echo(terminal_safe(f"podpath: note: {note}"), err=True)
    what = f"{len(result.pods)} pods in {result.class_count} classes computed; writing"
    with progress(what):
        _write(result, by, sources, targets, dense, fmt, scope, family)


def _write(
    result: Any,
    by: str,
    sources: tuple[str, ...],
    targets: tuple[str, ...],
    dense: bool,
    fmt: str,
    scope: Scope,
    family: str | None = None,
) -> None:
    chosen = None
    if scope.selector is not None:
        chosen = {p.key for p in result.pods if scope.selects(p.labels)}
    narrowed = bool(sources or targets)
    if dense and narrowed:
        raise InputError("--dense cannot be combined with --from/--to", field="--dense")
    rows = _narrow(select_pods(result.pods, sources, "--from"), chosen, result.pods)
    cols = _narrow(select_pods(result.pods, targets, "--to"), chosen, result.pods)
    if fmt == "csv":
        if by == "workload":
            click.echo("podpath: warning: --by workload is ignored with --format csv", err=True)
        _write_csv(result, chosen, (rows, cols) if narrowed else None)
        return
    big = len(result.pods) > SUMMARY_ROWS
    huge = len(result.pods) > GRID_ROWS  # md and html grids: a namespace summary above
    sparse = (
        (fmt in ("json", "yaml") and not dense)
        or (fmt in ("table", "wide") and (big or narrowed))
        or (fmt in ("md", "html") and huge)
    )
    if sparse and by == "pod":
        data = sparse_json(result, rows, cols)
    elif sparse:
        picked = None if chosen is None else _narrow(None, chosen, result.pods)
        data = sparse_workloads(result, picked, rows, cols)
    else:
        data = workload_json(result) if by == "workload" else matrix_json(result)
        if chosen is not None:
            data = _selected(data, chosen, {p.key: p.workload_key for p in result.pods})
    if family is not None and fmt in ("json", "yaml"):
        data = {**data, "family": family}  # the connections' IP family, as asked
    if fmt in ("json", "yaml") and sparse:
        _stream(json_chunks(data) if fmt == "json" else yaml_chunks(data))
        return
    if fmt in ("md", "html") and sparse:
        emit(summary_page(fmt, namespace_summary(data)))
        return
    if fmt in ("table", "wide") and sparse:
        table = (
            namespace_summary if not narrowed else _narrowed_sources(data, rows, result.pods, by)
        )
        emit(render_as(fmt, data, table=table))
        return
    emit(render_as(fmt, data, table=FORMATS["table"], others=FORMATS))


def _stream(chunks: Iterator[str]) -> None:
    """Write the JSON/YAML text chunk by chunk (names with control characters shown as
    escapes, as :func:`emit` shows them)."""
    for chunk in chunks:
        sys.stdout.write(terminal_safe(chunk, keep="\n\t"))


def _narrow(picked: set[int] | None, chosen: set[str] | None, pods: Any) -> set[int] | None:
    """``--from``/``--to`` indices intersected with ``-l``'s pods."""
    if chosen is None:
        return picked
    by_label = {i for i, p in enumerate(pods) if p.key in chosen}
    return by_label if picked is None else picked & by_label


def _narrowed_sources(data: dict[str, Any], rows: set[int] | None, pods: Any, by: str) -> Any:
    """The table of a narrowed matrix: its source rows, as indices into ``data["pods"]``."""
    index = {name: k for k, name in enumerate(data["pods"])}
    if rows is None:
        names = set(index)
    elif by == "workload":
        names = {pods[i].workload_key for i in rows}
    else:
        names = {pods[i].key for i in rows}
    picked = sorted(index[n] for n in names if n in index)
    return lambda d: narrowed_table(d, picked)


def _write_csv(
    result: Any, chosen: set[str] | None, narrowed: tuple[set[int] | None, set[int] | None] | None
) -> None:
    """The sparse pair list: the whole of it from the class rows (the pairs of ``-l``'s pods
    kept), or ``--from`` x ``--to``."""
    if narrowed is not None:
        _csv_narrowed(result, *narrowed)
        return
    for chunk in csv_lines(result):
        sys.stdout.write(chunk if chosen is None else _csv_selected(chunk, chosen))


def _csv_narrowed(result: Any, rows: set[int] | None, cols: set[int] | None) -> None:
    """The pair list of ``--from`` x ``--to``, one :func:`csv_row` a pair."""
    names = [p.key for p in result.pods]
    labels = [port_label(p) for p in result.ports]
    out = [csv_row(["from", "to", "ports"])]
    for i, j, ks in pod_cells(result, rows, cols):
        out.append(csv_row([names[i], names[j], " ".join(labels[k] for k in ks)]))
        if len(out) >= 4096:
            sys.stdout.write("".join(out))
            out = []
    sys.stdout.write("".join(out))


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
