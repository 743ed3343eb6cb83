"""Self-contained HTML pages: the interactive graph and the one-page report.

Everything is inlined (CSS, JavaScript, data as JSON); a Content-Security-Policy of
``default-src 'none'`` makes the browser refuse any network request, so the page works
offline and leaks nothing. The layout is computed here (deterministic); the page's script
only draws it and explains a node on click.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from podpath.analyze.graph import Graph, graph_json
from podpath.render.dot import entry_kinds

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
NODE_W, NODE_H, GAP, PAD_TOP, PAD = 184, 30, 12, 28, 14
ROWS_PER_COLUMN = 12
PAGE_WIDTH = 1100


def asset(name: str) -> str:
    """An inlined asset (render/assets/NAME) as text."""
    return resources.files("podpath.render").joinpath("assets", name).read_text(encoding="utf-8")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">`` (no ``</`` or ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report page: an anchor id, a heading and its HTML body."""

    id: str
    title: str
    body: str


def _column(nodes: list[dict[str, Any]], x: int, y: int) -> tuple[int, int]:
    """Stack nodes in columns of at most ROWS_PER_COLUMN; return the block's width, height."""
    cols = max(1, math.ceil(len(nodes) / ROWS_PER_COLUMN))
    rows = min(len(nodes), ROWS_PER_COLUMN)
    for i, node in enumerate(nodes):
        node["x"] = x + (i // ROWS_PER_COLUMN) * (NODE_W + PAD)
        node["y"] = y + (i % ROWS_PER_COLUMN) * (NODE_H + GAP)
        node["w"], node["h"] = NODE_W, NODE_H
    return cols * (NODE_W + PAD) - PAD, max(rows, 1) * (NODE_H + GAP) - GAP


def layout(graph: Graph) -> dict[str, Any]:
    """Graph JSON plus positions: external nodes on the left, one box per namespace, boxes
    packed in shelves left to right."""
    data = graph_json(graph)
    nodes = data["nodes"]
    outside = [n for n in nodes if n["group"] is None]
    width, height = _column(outside, 20, 40)
    left = 20 + (width + 60 if outside else 0)
    x, y, shelf = left, 20, 0
    groups: list[dict[str, Any]] = []
    for name in graph.groups:
        members = [n for n in nodes if n["group"] == name]
        w, h = _column(members, 0, 0)
        box_w, box_h = w + 2 * PAD, h + PAD_TOP + PAD
        if x > left and x + box_w > PAGE_WIDTH:
            x, y, shelf = left, y + shelf + 30, 0
        for n in members:
            n["x"] += x + PAD
            n["y"] += y + PAD_TOP
        groups.append({"name": name, "x": x, "y": y, "w": box_w, "h": box_h})
        x += box_w + 50
        shelf = max(shelf, box_h)
    data["groups"] = groups
    right: list[int] = [n["x"] + n["w"] for n in nodes]
    bottom: list[int] = [n["y"] + n["h"] for n in nodes] + [g["y"] + g["h"] for g in groups]
    data["width"] = max([*right, 300]) + 30
    data["height"] = max([*bottom, 100]) + 30
    for node in graph.nodes:
        kinds = [", ".join(entry_kinds(node))]
        if node.entry:
            data["edges"].append(
                {"from": "internet", "to": node.id, "ports": kinds, "reasons": {}, "entry": True}
            )
    return data


def graph_section(graph: Graph) -> str:
    """The interactive graph: a canvas the script draws into, a panel, and the data."""
    legend = (
        '<p class="legend muted"><span>solid arrow: allowed connection (ports)</span>'
        "<span>amber box / dashed arrow: entry point from outside the cluster</span>"
        "<span>click a node: who can reach it and why</span></p>"
    )
    return (
        legend
        + '<div class="graph-wrap"><div class="graph-canvas" id="graph-canvas"></div>'
        + '<aside class="graph-panel" id="graph-panel">'
        + '<p class="muted">Click a node.</p></aside></div>'
        + '<script type="application/json" id="podpath-graph-data">'
        + script_json(layout(graph))
        + "</script>"
    )


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, raw: bool = False) -> str:
    """A data table; cells are escaped unless ``raw`` (already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(title: str, subtitle: str, sections: Sequence[Section], *, graph: bool) -> str:
    """A complete, self-contained HTML document."""
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections
    )
    scripts = f"<script>{asset('graph.js')}</script>" if graph else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{asset('page.css')}</style>"
        f"<script>{asset('errors.js')}</script></head>\n"
        f"<body><header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f'<nav>{nav}</nav><main>{body}<pre id="podpath-errors"></pre></main>'
        f"{scripts}</body></html>\n"
    )


def render_graph_html(graph: Graph, subtitle: str = "") -> str:
    """The graph alone as an interactive page."""
    title = f"podpath graph (by {graph.by})"
    text = subtitle or f"{len(graph.nodes)} nodes, {len(graph.edges)} edges"
    return page(
        title, text, [Section("graph", "Allowed connectivity", graph_section(graph))], graph=True
    )
