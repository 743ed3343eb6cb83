"""``podpath trace --from SRC --to DST [--port PORT[/PROTO]] [--expect allowed|denied|answered]``.

Routing options, as ``podpath route`` has them: ``--method``, ``--header NAME:VALUE``
(repeatable), ``--gateway NS/NAME`` or ``--ingress-class NAME`` (exclusive: one entry point
only), ``--ingress-controller NS/KEY=VALUE`` (the pods implementing the IngressClasses). They
apply to a URL (or host name) traced from outside the cluster (``--from internet`` or an
outside IP); with any other SRC/DST they are ignored and a note says so.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from podpath.analyze.trace.dispatch import trace as run_trace
from podpath.analyze.trace.values import RouteOptions, TraceError, TraceResult
from podpath.cluster import Cluster
from podpath.commands.common import emit, parse_header, with_inputs
from podpath.commands.completion import complete_destinations, complete_pods
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.provider import choice_from, provider_options
from podpath.commands.scope import Scope
from podpath.commands.suggest import check_pod, check_pod_or_service
from podpath.errors import InputError
from podpath.render.table import join, render_table

FORMATS = ("table", "json")


def path_json(result: TraceResult, source_ip: bool = False) -> dict[str, Any]:
    """verdict, hops, endpoints, drop and notes of one result (or one path of it), and the
    route's ``location`` (a redirect's target) and ``path`` (as the backend receives it); with
    ``source_ip`` (a provider profile applied) every endpoint also carries ``source_ip``, the
    address the pod sees (the first when source NAT may give several), and ``source_ips``."""
    data: dict[str, Any] = {
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
        "drop": result.drop,
        "notes": list(result.notes),
        "location": result.location,
        "path": result.path,
    }
    if source_ip:
        for e, out in zip(result.endpoints, data["endpoints"], strict=True):
            out["source_ip"] = e.source_ips[0] if e.source_ips else None
            out["source_ips"] = list(e.source_ips)
    return data


def trace_json(
    result: TraceResult, src: str, dst: str, port: str | None, source_ip: bool = False
) -> dict[str, Any]:
    """The JSON of DESIGN.md (verdict, hops, endpoints) plus from/to/port, drop, notes,
    ``entry_point`` (the IngressClass/Gateway a URL went through, else null) and ``paths`` (one
    object per entry point when several serve the URL's host, else empty). ``port``: ``--port``
    as given, else the port the trace took from DST (``HOST:PORT``, a URL's), else null."""
    data = path_json(result, source_ip)
    data.update(
        {
            "from": src,
            "to": dst,
            "port": port or (None if result.port is None else str(result.port)),
            "entry_point": result.entry_point,
            "paths": [
                {"entry_point": p.entry_point, **path_json(p, source_ip)} for p in result.paths
            ],
        }
    )
    return data


STEP_WIDTH = 12  # the step column; wider when a step's name is (load-balancer: 13)


def trace_table(data: dict[str, Any]) -> str:
    head = f"{data['from']} -> {data['to']}" + (f" port {data['port']}" if data["port"] else "")
    text = _path_text(data, head, endpoints=not data["paths"])
    for i, path in enumerate(data["paths"], 1):
        text += "\n" + _path_text(path, f"path {i}/{len(data['paths'])} via {path['entry_point']}")
    return text


def _path_text(data: dict[str, Any], head: str, *, endpoints: bool = True) -> str:
    lines = [f"{head}: {data['verdict'].upper()}" + (f" ({data['drop']})" if data["drop"] else "")]
    width = max([STEP_WIDTH, *(len(hop["step"]) for hop in data["hops"])])
    for i, hop in enumerate(data["hops"], 1):
        objs = f"  [{join(hop['objects'])}]" if hop["objects"] else ""
        lines.append(f"{i:>2}. {hop['step']:<{width}} {hop['detail']}{objs}")
    if data["location"] is not None:
        lines.append(f"location: {data['location']}")
    if data["path"] is not None:
        lines.append(f"path: {data['path']} (as the backend receives it)")
    lines += [f"note: {n}" for n in data["notes"]]
    text = "\n".join(lines) + "\n"
    if endpoints and data["endpoints"]:
        rows = [
            [e["pod"] or "-", e["ip"], str(e["port"]), e["verdict"], join(e["reasons"], "\n")]
            for e in data["endpoints"]
        ]
        text += render_table(None, ["POD", "IP", "PORT", "VERDICT", "REASONS"], rows)
    return text


@command()
@click.option(
    "--from",
    "src",
    required=True,
    metavar="SRC",
    shell_complete=complete_pods,
    help="NS/POD, an IP, or internet.",
)
@click.option(
    "--to",
    "dst",
    required=True,
    metavar="DST",
    shell_complete=complete_destinations,
    help="NS/POD, NS/WORKLOAD, svc:NS/NAME, a DNS name, an IP, HOST:PORT or a URL.",
)
@click.option("--port", "port", default=None, metavar="PORT[/PROTO]", help="Port (number or name).")
@click.option(
    "--expect",
    type=click.Choice(["allowed", "denied", "answered"]),
    default=None,
    help="Exit 1 when the verdict differs.",
)
@click.option("--method", default="GET", show_default=True, help="HTTP method (URL from outside).")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="NAME:VALUE",
    help="Request header (URL from outside). Repeatable.",
)
@click.option("--gateway", default=None, metavar="NS/NAME", help="Through this Gateway only.")
@click.option(
    "--ingress-class", default=None, metavar="NAME", help="Through this IngressClass only."
)
@click.option(
    "--ingress-controller",
    default=None,
    metavar="NS/KEY=VALUE",
    help="The pods implementing the IngressClasses (namespace and label selector).",
)
@click.option(
    "--family",
    type=click.Choice(["ipv4", "ipv6"]),
    default=None,
    help="IP family of the connection (dual stack; default: the first address).",
)
@output_option(FORMATS)
@provider_options
@with_inputs
def trace(
    cluster: Cluster,
    src: str,
    dst: str,
    port: str | None,
    expect: str | None,
    method: str,
    headers: tuple[str, ...],
    gateway: str | None,
    ingress_class: str | None,
    ingress_controller: str | None,
    family: str | None,
    fmt: str,
    provider: str | None,
    provider_params: tuple[str, ...],
    scope: Scope,
) -> None:
    """Each hop of the path from SRC to DST (DNS, Service, entry point, policy),
    and each endpoint's verdict with the rules that decide it."""
    src = scope.qualify(src) if _is_name(src) or src.startswith("svc:") else src
    dst = scope.qualify(dst) if dst.startswith("svc:") else dst  # a bare DST is a DNS name
    if _is_name(src):  # a source is a pod, an IP or internet: a bare name is a slip
        check_pod(cluster, src, "--from")
    check_pod_or_service(cluster, src, "--from")
    check_pod_or_service(cluster, dst, "--to")
    if gateway and ingress_class:
        raise InputError("use either --gateway or --ingress-class, not both")
    options = RouteOptions(
        method=method,
        headers=tuple(parse_header(h) for h in headers),
        gateway=gateway,
        ingress_class=ingress_class,
        ingress_controller=ingress_controller,
    )
    choice = choice_from(cluster, provider, provider_params)
    try:
        result = run_trace(
            cluster, src, dst, port, options, choice, {"ipv4": 4, "ipv6": 6}.get(family or "")
        )
    except TraceError as exc:
        raise InputError(str(exc)) from None
    data = trace_json(result, src, dst, port, source_ip=choice is not None)
    if choice is not None and choice.how.startswith("--provider auto"):
        data["notes"].append(choice.how)
    emit(render_as(fmt, data, table=trace_table))
    if expect is not None and result.verdict != expect:
        click.echo(f"podpath: trace verdict is {result.verdict}, expected {expect}", err=True)
        sys.exit(1)


def _is_name(value: str) -> bool:
    """A bare pod name (no ``NS/``, not an IP, not ``internet``) that ``-n NS`` qualifies."""
    import ipaddress

    if value == "internet" or "/" in value or ":" in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return True
    return False
