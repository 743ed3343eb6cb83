"""``podpath report`` as one self-contained HTML page: the terminal report's sections, drawn
for a browser, plus the interactive graph.

The page and the terminal are two renderings of one analysis: :class:`ReportData` carries
:func:`podpath.analyze.report.overview`'s result (the dict the terminal renders), the
services listing and the graph; nothing here computes a verdict. Tables are JSON rendered by
the page's script, which pages, filters and sorts them (a 10k-pod cluster has thousands of
rows); the namespace heatmap is drawn on a canvas (hundreds of namespaces).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podpath.analyze.graph import Graph
from podpath.render.html import Section, data_script, esc, graph_section, page

PAGE_ROWS = 25
SEVERITY_ORDER = ("error", "warning", "info")


@dataclass(frozen=True)
class ReportData:
    """What the page shows: ``overview`` is the analysis's dict (summary, namespaces,
    reachability, dns, routes, findings as JSON-ready dicts); ``graph`` None when it could
    not be built (``notes`` say why)."""

    title: str
    overview: dict[str, Any]
    services: list[dict[str, Any]] = field(default_factory=list)
    graph: Graph | None = None
    notes: Sequence[str] = ()


def headline(summary: dict[str, Any]) -> str:
    """The report's first line, the same in the terminal and on the page."""
    counts = sorted(
        summary["findings"].items(),
        key=lambda kn: SEVERITY_ORDER.index(kn[0]) if kn[0] in SEVERITY_ORDER else 3,
    )
    found = ", ".join(f"{n} {k}" for k, n in counts) or "none"
    return (
        f"{summary['namespaces']} namespaces, {summary['nodes']} nodes, {summary['pods']} pods, "
        f"{summary['services']} services, {summary['network_policies']} network policies, "
        f"{summary['routes']} routes; findings: {found}"
    )


def where(finding: dict[str, Any]) -> str:
    """``file:line`` of a finding, as the terminal prints it ("" for none or ``<stdin>``)."""
    path = finding.get("file")
    if not path or str(path).startswith("<"):
        return ""
    return f"{path}:{finding.get('line')}"


def table(element_id: str, columns: Sequence[tuple[str, str]], rows: list[list[str]]) -> str:
    """A paged table: ``columns`` are (title, type); type ``code``, ``sev``, ``num`` or ""."""
    spec = {
        "columns": [{"title": t, "type": k} for t, k in columns],
        "rows": rows,
        "page": PAGE_ROWS,
    }
    return f'<div class="ptable" data-table="{esc(element_id)}"></div>' + data_script(
        element_id, spec
    )


def _namespaces(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            r["namespace"],
            str(r["pods"]),
            str(r["services"]),
            str(r["network_policies"]),
            f"{r['ingress_isolated']}/{r['pods']}",
            f"{r['egress_isolated']}/{r['pods']}",
        ]
        for r in rows
    ]


def _services(services: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for s in services:
        ports = [
            f"{p['port']}/{p['protocol']}->{p['target_port']}"
            + (f" (node {p['node_port']})" if p["node_port"] else "")
            for p in s["ports"]
        ]
        ip = "None (headless)" if s["headless"] else ", ".join(s["cluster_ips"]) or "-"
        if s["external_name"]:
            ip = f"-> {s['external_name']}"
        ready = len(s["ready_endpoints"])
        total = ready + len(s["not_ready_endpoints"])
        rows.append(
            [
                s["service"],
                s["type"],
                ip,
                "\n".join(ports) or "-",
                ", ".join(s["load_balancer"]) or "-",
                f"{ready}/{total}",
                s["dns"],
            ]
        )
    return rows


def _backend_text(b: dict[str, Any], weighted: bool) -> str:
    """``90x shop/frontend:80 -> 3 ready endpoint(s)`` or ``... [500: reason]``."""
    if b.get("resource"):
        target = f"resource {b['resource']}"
    elif b.get("service"):
        target = f"{b['service']}:{b['port']}"
    else:
        target = "invalid backend"
    if weighted:
        target = f"{b.get('weight')}x {target}"
    if b.get("status"):
        reason = f": {b['reason']}" if b.get("reason") else ""
        return f"{target} [{b['status']}{reason}]"
    endpoints = b.get("endpoints") or []
    return f"{target} -> {len(endpoints)} ready endpoint(s): {', '.join(endpoints) or '-'}"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def _routes(routes: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for r in routes:
        backends = r.get("backends") or []
        rule = "" if r.get("rule") is None else f" rule {r['rule']}"
        rows.append(
            [
                _cell(r.get("entry_point")),
                _cell(r.get("host")),
                _cell(r.get("match")),
                _cell(r.get("object")) + rule,
                "\n".join(_backend_text(b, len(backends) > 1) for b in backends) or "-",
            ]
        )
    return rows


def _findings(findings: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [f["severity"], f["code"], f["object"], where(f), f["message"], f.get("hint") or ""]
        for f in findings
    ]


def _heatmap(overview: dict[str, Any]) -> str:
    rows = overview["reachability"]
    if not rows:
        return (
            '<p class="muted">Not computed: no pods, or more than the report\'s limit; '
            "use podpath matrix.</p>"
        )
    labels = [r["namespace"] for r in overview["namespaces"]]
    shown = set(labels)  # with -n, the rows name the scope's peers too: they get a line
    labels += sorted({n for r in rows for n in (r["from"], r["to"])} - shown)
    index = {name: i for i, name in enumerate(labels)}
    cells = [[index[r["from"]], index[r["to"]], r["allowed_pairs"], r["pairs"]] for r in rows]
    spec = {"labels": labels, "cells": cells}
    return (
        '<p class="muted">Rows: source namespace; columns: destination. Colour: share of pod '
        "pairs allowed on at least one port the destination declares (hover for counts; the "
        "terminal's grid).</p>"
        '<div class="heatmap" data-heat="podpath-heatmap"></div>'
        + data_script("podpath-heatmap", spec)
    )


def _dns(dns: dict[str, int]) -> str:
    items = "".join(f"<li><code>{esc(t)}</code> {esc(n)}</li>" for t, n in dns.items())
    return f'<ul class="inline">{items}</ul><p class="muted">podpath dns --list shows them.</p>'


def render_report_html(data: ReportData) -> str:
    """The page: summary line, namespaces, reachability, services, routes, DNS, findings,
    graph (left out when it could not be built), notes."""
    o = data.overview
    findings = o["findings"]
    sections = [
        Section(
            "namespaces",
            "Namespaces",
            table(
                "podpath-table-namespaces",
                [
                    ("Namespace", "code"),
                    ("Pods", "num"),
                    ("Services", "num"),
                    ("Policies", "num"),
                    ("Ingress-isolated", ""),
                    ("Egress-isolated", ""),
                ],
                _namespaces(o["namespaces"]),
            ),
        ),
        Section("reachability", "Reachability between namespaces", _heatmap(o)),
        Section(
            "services",
            "Services",
            table(
                "podpath-table-services",
                [
                    ("Service", "code"),
                    ("Type", ""),
                    ("Cluster IP", ""),
                    ("Ports", ""),
                    ("Load balancer", ""),
                    ("Ready", ""),
                    ("DNS", ""),
                ],
                _services(data.services),
            ),
        ),
        Section(
            "routes",
            "Routes (Ingress and Gateway API)",
            table(
                "podpath-table-routes",
                [("Entry point", ""), ("Host", ""), ("Match", ""), ("Route", ""), ("Backends", "")],
                _routes(o["routes"]["routes"]),
            ),
        ),
        Section("dns", "DNS records", _dns(o["dns"])),
        Section(
            "doctor",
            "Doctor findings",
            table(
                "podpath-table-findings",
                [
                    ("Severity", "sev"),
                    ("Code", "code"),
                    ("Object", "code"),
                    ("Where", "code"),
                    ("Finding", ""),
                    ("Hint", ""),
                ],
                _findings(findings),
            ),
        ),
    ]
    if data.graph is not None:
        sections.append(Section("graph", "Allowed connectivity", graph_section(data.graph)))
    if data.notes:
        body = "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in data.notes) + "</ul>"
        sections.append(Section("notes", "Notes", body))
    scripts = ("report", "graph") if data.graph is not None else ("report",)
    return page(data.title, headline(o["summary"]), sections, scripts=scripts)
