"""Self-contained HTML pages: the interactive graph and the one-page report.

Everything is inlined (CSS, JavaScript, data as JSON); a Content-Security-Policy of
``default-src 'none'`` makes the browser refuse any network request, so the page works
offline and leaks nothing. The graph is laid out in the page by dagre (vendored under
``render/assets/vendor``, see VENDORED.md there); the page's data is JSON inside
``<script type="application/json">`` and every string reaches the DOM as text, never as HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from podpath.analyze.graph import Graph
from podpath.render.dot import entry_kinds

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
COLLAPSE_ABOVE = 80  # nodes; a bigger graph starts at namespace level (expand on demand)
MEMBERS_SHOWN = 50  # pods listed per node in the page (the count is always given)
SCRIPTS = {
    "graph": ("vendor/dagre.min.js", "graph_layout.js", "graph.js"),
    "report": ("report.js",),
}
# After the page's (synchronous) scripts: the mark a headless check waits for.
READY = (
    '<script>document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));'
    'document.body.setAttribute("data-ready", "1");</script>'
)
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.M)


def asset(name: str) -> str:
    """An inlined asset (render/assets/NAME) as text; a source-map comment is dropped (the
    map is not shipped, and the page must not ask for anything)."""
    path = resources.files("podpath.render").joinpath("assets", *name.split("/"))
    return _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def script_json(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` become
    ``\\u003c``..., so no ``</script>`` or ``<!--`` can end or bend the element (the JSON
    parser reads the escapes back)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def data_script(element_id: str, data: Any) -> str:
    return f'<script type="application/json" id="{esc(element_id)}">{script_json(data)}</script>'


@dataclass(frozen=True, slots=True)
class Section:
    """One part of the report page: an anchor id, a heading and its HTML body."""

    id: str
    title: str
    body: str


class _Table:
    """Values interned in first-seen order: ``index(value)`` -> its position in ``values``."""

    def __init__(self) -> None:
        self.positions: dict[Any, int] = {}
        self.values: list[Any] = []

    def index(self, value: Any) -> int:
        found = self.positions.get(value)
        if found is None:
            found = self.positions[value] = len(self.values)
            self.values.append(value)
        return found


def graph_view(graph: Graph) -> dict[str, Any]:
    """The graph as the page reads it, compact (a 10k-pod cluster has 100k+ edges whose
    ports and reasons repeat): ``strings`` interns ports and reasons, ``sets`` lists of
    string indices, ``kinds`` [ports, reason set per port] pairs; an edge is ``[from node
    index, to node index, kind]``, plus ``1`` for an entry point (a dashed edge from
    ``internet``: how traffic enters). Member lists are cut to MEMBERS_SHOWN (with
    ``member_count``); ``start_collapsed`` for a graph too big to show node by node at first."""
    strings, sets, kinds = _Table(), _Table(), _Table()
    index = {n.id: i for i, n in enumerate(graph.nodes)}
    seen: dict[tuple[Any, ...], int] = {}  # (ports, reasons) -> kind: most edges repeat one

    def kind(ports: tuple[str, ...], reasons: tuple[tuple[str, tuple[str, ...]], ...]) -> int:
        found = seen.get((ports, reasons))
        if found is None:
            why = dict(reasons)
            port_ids = tuple(strings.index(p) for p in ports)
            set_ids = tuple(
                sets.index(tuple(strings.index(r) for r in why.get(p, ()))) for p in ports
            )
            found = seen[(ports, reasons)] = kinds.index((port_ids, set_ids))
        return found

    edges: list[list[int]] = [
        [index[e.source], index[e.target], kind(e.ports, e.reasons)] for e in graph.edges
    ]
    for node in graph.nodes:
        if node.entry and "internet" in index:
            entry = kind((", ".join(entry_kinds(node)),), ())
            edges.append([index["internet"], index[node.id], entry, 1])
    return {
        "by": graph.by,
        "groups": list(graph.groups),
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "group": n.group,
                "members": list(n.members[:MEMBERS_SHOWN]),
                "member_count": len(n.members),
                "entry": list(n.entry),
            }
            for n in graph.nodes
        ],
        "strings": strings.values,
        "sets": [list(x) for x in sets.values],
        "kinds": [[list(p), list(r)] for p, r in kinds.values],
        "edges": edges,
        "notes": list(graph.notes),
        "start_collapsed": bool(graph.groups) and len(graph.nodes) > COLLAPSE_ABOVE,
    }


def graph_section(graph: Graph) -> str:
    """The interactive graph: a toolbar, a canvas the script draws into, a panel, the data."""
    start = (
        f"{len(graph.groups)} namespaces, collapsed: click one for its connections,"
        " double-click to open it"
        if graph.groups and len(graph.nodes) > COLLAPSE_ABOVE
        else "click a node: who can reach it and why"
    )
    legend = (
        '<p class="legend muted"><span>arrow: allowed connections (hover: ports)</span>'
        "<span>amber: entry point from outside the cluster</span>"
        f"<span>{esc(start)}</span></p>"
    )
    return (
        legend
        + '<div class="graph-tools" id="graph-tools"></div>'
        + '<div class="graph-wrap"><div class="graph-canvas" id="graph-canvas"></div>'
        + '<aside class="graph-panel" id="graph-panel" hidden></aside></div>'
        + data_script("podpath-graph-data", graph_view(graph))
    )


def html_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, raw: bool = False) -> str:
    """A data table; cells are escaped unless ``raw`` (already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(
    title: str, subtitle: str, sections: Sequence[Section], *, scripts: Sequence[str] = ()
) -> str:
    """A complete, self-contained HTML document; ``scripts`` names the page's scripts
    (``graph``, ``report``: SCRIPTS). ``body[data-ready]`` is set once they ran."""
    nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(
        f'<section id="{esc(s.id)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections
    )
    code = "".join(f"<script>{asset(name)}</script>" for key in scripts for name in SCRIPTS[key])
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{asset('page.css')}</style>"
        f"<script>{asset('errors.js')}</script></head>\n"
        f"<body><header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>"
        f'<nav>{nav}</nav><main>{body}<pre id="podpath-errors"></pre></main>'
        f"{code}{READY}</body></html>\n"
    )


def render_graph_html(graph: Graph, subtitle: str = "") -> str:
    """The graph alone as an interactive page."""
    title = f"podpath graph (by {graph.by})"
    text = subtitle or f"{len(graph.nodes)} nodes, {len(graph.edges)} edges"
    section = Section("graph", "Allowed connectivity", graph_section(graph))
    return page(title, text, [section], scripts=("graph",))
