"""``podpath report``: the whole network on one page (terminal by default)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.inventory import services_listing
from podpath.analyze.report import overview
from podpath.commands.common import (
    checked_scope,
    emit,
    input_options,
    load_inputs,
    split_inputs,
    to_json,
    validate_inputs,
)
from podpath.commands.help import command
from podpath.commands.output import output_option
from podpath.commands.provider import choice_from, find_config, provider_options
from podpath.commands.report_scope import overview_in_scope, selected_pods
from podpath.render.findings import finding_data, render_text_table
from podpath.render.html_report import headline
from podpath.render.table import join, render_table


@command()
@click.option(
    "--html",
    "--output-file",
    "output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a self-contained HTML page (FILE.html) instead of the terminal report.",
)
@output_option(("table", "json"), file_option="--html", derive=False)
@provider_options
@input_options
def report(output: str | None = None, fmt: str = "table", **kwargs: Any) -> None:
    """It shows the namespaces, Services, routes, reachability between namespaces,
    DNS records and the doctor's findings. With --html FILE.html it writes the same analysis,
    with an interactive graph, as one self-contained page. -n/-l keep each section's rows
    about those namespaces and pods (the cluster is still evaluated whole)."""
    files = kwargs.get("files")
    provider, provider_params = kwargs.pop("provider", None), kwargs.pop("provider_params", ())
    inputs = validate_inputs(split_inputs(kwargs), command="report")
    cluster = load_inputs(inputs)
    scope = checked_scope(inputs.scope, cluster)
    choice = choice_from(cluster, provider, tuple(provider_params))
    from podpath.commands.doctor import read_config

    config = read_config(find_config(None, tuple(files or ())), ())
    ctx = DoctorContext(cluster, config, datetime.now(UTC), choice)
    data = overview(cluster, context=ctx)
    routes = data["routes"]  # the whole table (the scope below keeps some of its rows)
    data, services = overview_in_scope(cluster, data, services_listing(cluster), scope)
    if output:  # the same analysis, drawn for a browser
        from podpath.commands.report_html import Shared, write_report_html

        pods = None if scope.is_everything else selected_pods(cluster, scope)
        shared = Shared(ctx.matrix, routes)
        write_report_html(cluster, data, services, output, pods=pods, shared=shared)
        click.echo(f"podpath: wrote {output}", err=True)
        return
    if fmt == "json":
        emit(to_json({**data, "findings": [finding_data(f) for f in data["findings"]]}))
        return
    emit(render_overview(data, services))


def render_overview(data: dict[str, Any], services: dict[str, Any]) -> str:
    """The terminal page: summary, namespaces, services, entry points and routes,
    namespace reachability, DNS and the doctor's findings."""
    parts = [
        f"podpath report: {headline(data['summary'])}\n",
        "\n== Namespaces ==\n",
        render_table(
            None,
            ["NAMESPACE", "PODS", "SERVICES", "POLICIES", "INGRESS-ISOLATED", "EGRESS-ISOLATED"],
            [
                [
                    r["namespace"],
                    str(r["pods"]),
                    str(r["services"]),
                    str(r["network_policies"]),
                    f"{r['ingress_isolated']}/{r['pods']}",
                    f"{r['egress_isolated']}/{r['pods']}",
                ]
                for r in data["namespaces"]
            ],
        ),
        "\n== Services ==\n",
        _services_compact(services),
        "\n== Routes (Ingress and Gateway API) ==\n",
        _routes_compact(data["routes"]) if data["routes"]["routes"] else "  (no routes)\n",
        "\n== Reachability: pod pairs allowed on a port the destination declares ==\n",
        _reachability(data["reachability"]) if data["reachability"] else "  (no pods)\n",
        "\n== DNS records ==\n  "
        + ", ".join(f"{n} {t}" for t, n in data["dns"].items())
        + "  (podpath dns --list)\n",
        _load_balancers_compact(data.get("load_balancers")),
        "\n== Doctor findings ==\n",
        render_text_table(data["findings"]) if data["findings"] else "  none\n",
    ]
    return "".join(parts)


def _load_balancers_compact(rows: list[dict[str, Any]] | None) -> str:
    """The provider's load balancers (only with a provider profile)."""
    if rows is None:
        return ""
    table = render_table(
        None,
        ["OBJECT", "SERVICE", "LOAD BALANCER", "SCHEME", "TARGET", "PODS SEE", "SOURCE RANGES"],
        [
            [
                r["object"],
                r["service"],
                r["load_balancer"],
                r["scheme"],
                r["target"],
                r["pods_see"],
                join(r["source_ranges"])
                + (
                    f" (ignored: {r['source_ranges_ignored']})"
                    if r["source_ranges_ignored"]
                    else ""
                ),
            ]
            for r in rows
        ],
    )
    return "\n== Load balancers (provider profile) ==\n" + (table if rows else "  none\n")


def _services_compact(data: dict[str, Any]) -> str:
    rows = []
    for svc in data["services"]:
        exposed = [f"LB {ip}" for ip in svc["load_balancer"]]
        exposed += [f"node :{p['node_port']}" for p in svc["ports"] if p["node_port"]]
        ip = "None" if svc["headless"] else join(svc["cluster_ips"])
        ports = [f"{p['port']}/{p['protocol']}->{p['target_port']}" for p in svc["ports"]]
        ready = len(svc["ready_endpoints"])
        rows.append(
            [
                svc["service"],
                svc["type"] + (" (headless)" if svc["headless"] else ""),
                f"-> {svc['external_name']}" if svc["external_name"] else ip,
                join(ports, " "),
                join(exposed, " "),
                f"{ready}/{ready + len(svc['not_ready_endpoints'])}",
            ]
        )
    columns = ["SERVICE", "TYPE", "CLUSTER-IP", "PORTS", "EXPOSED", "READY"]
    return render_table(None, columns, rows)


def _routes_compact(data: dict[str, Any]) -> str:
    rows = []
    for r in data["routes"]:
        backends = []
        for b in r["backends"]:
            text = f"{b['service']}:{b['port']}" if b.get("service") else "invalid"
            if len(r["backends"]) > 1:
                text = f"{b['weight']}x {text}"
            if b.get("status"):
                text += f" [{b['status']}]"
            elif b.get("endpoints") is not None:
                text += f" ({len(b['endpoints'])} ready)"
            backends.append(text)
        rows.append([r["entry_point"], r["host"], r["match"], join(backends, "\n")])
    return render_table(None, ["ENTRY POINT", "HOST", "MATCH", "BACKEND"], rows)


GRID_NAMESPACES = 16  # above this, the grid gives way to one line per source namespace


def _reachability(rows: list[dict[str, Any]]) -> str:
    """The namespace grid; for a big input (more than GRID_NAMESPACES namespaces) one row
    per source namespace, and where to see the rest."""
    names = {r["from"] for r in rows} | {r["to"] for r in rows}
    if len(names) <= GRID_NAMESPACES:
        return _reachability_grid(rows)
    out: dict[str, list[dict[str, Any]]] = {}
    into: dict[str, int] = {}
    for r in rows:
        out.setdefault(r["from"], []).append(r)
        if r["from"] != r["to"]:
            into[r["to"]] = into.get(r["to"], 0) + 1
    table = []
    for ns in sorted(names):
        mine = out.get(ns, [])
        own = next((r for r in mine if r["to"] == ns), None)
        table.append(
            [
                ns,
                f"{own['allowed_pairs']}/{own['pairs']}" if own else "-",
                str(sum(1 for r in mine if r["to"] != ns)),
                str(sum(r["allowed_pairs"] for r in mine if r["to"] != ns)),
                str(into.get(ns, 0)),
            ]
        )
    columns = ["NAMESPACE", "WITHIN", "REACHES (NS)", "PAIRS OUT", "REACHED BY (NS)"]
    note = (
        f"  {len(names)} namespaces, one row each; every namespace pair is in -o json "
        "(reachability) and on the --html page's heatmap;\n  narrow with -n NAMESPACE or "
        "podpath matrix --from/--to\n"
    )
    return note + render_table(None, columns, table)


def _reachability_grid(rows: list[dict[str, Any]]) -> str:
    names = sorted({r["from"] for r in rows} | {r["to"] for r in rows})
    cells = {(r["from"], r["to"]): f"{r['allowed_pairs']}/{r['pairs']}" for r in rows}
    table = [[src] + [cells.get((src, dst), "-") for dst in names] for src in names]
    return render_table(None, ["FROM \\ TO", *names], table)
