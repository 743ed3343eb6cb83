"""``podpath trace --from SRC --to DST [--port PORT[/PROTO]] [--expect allowed|denied]``."""

from __future__ import annotations

import sys
from typing import Any

import click

from podpath.analyze.trace import trace as run_trace
from podpath.analyze.trace_base import TraceError, TraceResult
from podpath.cluster import Cluster
from podpath.commands.common import emit, to_json, with_inputs
from podpath.errors import InputError
from podpath.render.table import join, render_table

FORMATS = ("table", "json")


def trace_json(result: TraceResult, src: str, dst: str, port: str | None) -> dict[str, Any]:
    """The JSON of DESIGN.md (verdict, hops, endpoints) plus from/to/port, drop and notes."""
    return {
        "verdict": result.verdict,
        "hops": [
            {"step": h.step, "detail": h.detail, "objects": list(h.objects)} for h in result.hops
        ],
        "endpoints": [
            {
                "pod": e.pod,
                "ip": e.ip,
                "port": e.port,
                "verdict": e.verdict,
                "reasons": list(e.reasons),
                "drop": e.drop,
            }
            for e in result.endpoints
        ],
        "from": src,
        "to": dst,
        "port": port,
        "drop": result.drop,
        "notes": list(result.notes),
    }


def trace_table(data: dict[str, Any]) -> str:
    head = f"{data['from']} -> {data['to']}" + (f" port {data['port']}" if data["port"] else "")
    lines = [f"{head}: {data['verdict'].upper()}" + (f" ({data['drop']})" if data["drop"] else "")]
    for i, hop in enumerate(data["hops"], 1):
        objs = f"  [{join(hop['objects'])}]" if hop["objects"] else ""
        lines.append(f"{i:>2}. {hop['step']:<12} {hop['detail']}{objs}")
    lines += [f"note: {n}" for n in data["notes"]]
    text = "\n".join(lines) + "\n"
    if data["endpoints"]:
        rows = [
            [e["pod"] or "-", e["ip"], str(e["port"]), e["verdict"], join(e["reasons"], "\n")]
            for e in data["endpoints"]
        ]
        text += render_table(None, ["POD", "IP", "PORT", "VERDICT", "REASONS"], rows)
    return text


@click.command()
@click.option("--from", "src", required=True, metavar="SRC", help="NS/POD, an IP, or internet.")
@click.option(
    "--to",
    "dst",
    required=True,
    metavar="DST",
    help="NS/POD, svc:NS/NAME, a DNS name, an IP or a URL.",
)
@click.option("--port", "port", default=None, metavar="PORT[/PROTO]", help="Port (number or name).")
@click.option(
    "--expect",
    type=click.Choice(["allowed", "denied"]),
    default=None,
    help="Exit 1 when the verdict differs.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@with_inputs
def trace(
    cluster: Cluster, src: str, dst: str, port: str | None, expect: str | None, fmt: str
) -> None:
    """The path of one connection, hop by hop, and the verdict of each endpoint, with reasons."""
    try:
        result = run_trace(cluster, src, dst, port)
    except TraceError as exc:
        raise InputError(str(exc)) from None
    data = trace_json(result, src, dst, port)
    emit(to_json(data) if fmt == "json" else trace_table(data))
    if expect is not None and result.verdict != expect:
        click.echo(f"podpath: trace verdict is {result.verdict}, expected {expect}", err=True)
        sys.exit(1)
