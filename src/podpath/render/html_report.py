"""``podpath report -o report.html``: the whole network on one self-contained page.

Sections, each present only when its analysis produced something: services, routing table,
reachability heatmap, doctor findings, graph. :class:`ReportData` holds what the analyses
computed (the command gathers it); this module only lays it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from podpath.analyze.graph import Graph
from podpath.render.html import Section, esc, graph_section, html_table, page

HEATMAP_MAX = 60  # labels; beyond this the heatmap is drawn by namespace


@dataclass(frozen=True)
class ReportData:
    """What the report shows; ``None`` (or empty) means the analysis is unavailable."""

    title: str
    counts: dict[str, int]
    services: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] | None = None
    heatmap: dict[str, Any] | None = None
    findings: list[dict[str, Any]] | None = None
    graph: Graph | None = None
    notes: Sequence[str] = ()


def _services(services: list[dict[str, Any]]) -> str:
    rows = []
    for s in services:
        ports = "<br>".join(
            esc(f"{p['port']}/{p['protocol']}->{p['target_port']}")
            + (esc(f" (node {p['node_port']})") if p["node_port"] else "")
            for p in s["ports"]
        )
        ip = "None (headless)" if s["headless"] else ", ".join(s["cluster_ips"]) or "-"
        if s["external_name"]:
            ip = f"-> {s['external_name']}"
        ready = len(s["ready_endpoints"])
        total = ready + len(s["not_ready_endpoints"])
        rows.append(
            [
                f"<code>{esc(s['service'])}</code>",
                esc(s["type"]),
                esc(ip),
                ports,
                esc(", ".join(s["load_balancer"]) or "-"),
                esc(f"{ready}/{total}"),
                esc(s["dns"]),
            ]
        )
    headers = ["Service", "Type", "Cluster IP", "Ports", "Load balancer", "Ready", "DNS"]
    return html_table(headers, rows, raw=True)


def _backend_text(b: dict[str, Any], weighted: bool) -> str:
    """``90x shop/frontend:80 -> 3 ready endpoints`` or ``... [500: reason]``."""
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


def _routes(routes: list[dict[str, Any]]) -> str:
    if not routes:
        return '<p class="muted">No Ingress or Gateway API routes.</p>'
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
                "; ".join(_backend_text(b, len(backends) > 1) for b in backends) or "-",
            ]
        )
    return html_table(["Entry point", "Host", "Match", "Route", "Backends"], rows)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def _heat_color(share: float) -> str:
    """White (nothing allowed) to deep green (every pair allowed)."""
    if share <= 0:
        return "#f1f5f9"
    light = int(88 - 55 * share)
    return f"hsl(142, 60%, {light}%)"


def _heatmap(heat: dict[str, Any]) -> str:
    labels = heat["labels"]
    head = "<th></th>" + "".join(f'<th class="col">{esc(x)}</th>' for x in labels)
    rows = []
    for i, src in enumerate(labels):
        cells = []
        for j, dst in enumerate(labels):
            share = heat["share"][i][j]
            hits, total = heat["pairs"][i][j]
            tip = f"{src} -> {dst}: {hits} of {total} pod pairs allowed"
            cells.append(
                f'<td class="cell" title="{esc(tip)}" style="background:{_heat_color(share)}"></td>'
            )
        rows.append(f'<tr><th class="row">{esc(src)}</th>{"".join(cells)}</tr>')
    return (
        f'<p class="muted">Rows: source {esc(heat["by"])}; columns: destination. Colour: share of'
        " pod pairs that may connect on at least one declared port (hover for counts).</p>"
        f'<table class="heat"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return '<p class="muted">No findings.</p>'
    rows = [
        [
            f'<span class="sev-{esc(f["severity"])}">{esc(f["severity"])}</span>',
            f"<code>{esc(f['code'])}</code>",
            f"<code>{esc(f['object'])}</code>",
            esc(f["message"]),
            esc(f.get("hint") or ""),
        ]
        for f in findings
    ]
    return html_table(["Severity", "Code", "Object", "Message", "Hint"], rows, raw=True)


def render_report_html(data: ReportData) -> str:
    """The page; sections whose analysis is unavailable are left out."""
    counts = ", ".join(f"{v} {k}" for k, v in data.counts.items())
    sections = [Section("services", "Services", _services(data.services))]
    if data.routes is not None:
        sections.append(Section("routes", "Routing table", _routes(data.routes)))
    if data.heatmap is not None and data.heatmap["labels"]:
        sections.append(Section("reachability", "Reachability", _heatmap(data.heatmap)))
    if data.findings is not None:
        sections.append(Section("doctor", "Doctor findings", _findings(data.findings)))
    if data.graph is not None:
        sections.append(Section("graph", "Allowed connectivity", graph_section(data.graph)))
    if data.notes:
        body = "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in data.notes) + "</ul>"
        sections.append(Section("notes", "Notes", body))
    return page(data.title, counts, sections, scripts=("graph",) if data.graph is not None else ())
