"""Renderers of the reachability matrix data (``analyze.matrix.matrix_json`` /
``workload_json``): a terminal table grouped by namespace, Markdown, an HTML heatmap.

Small matrices (up to ``GRID_LIMIT`` rows, when the grid fits the width) are drawn as grids,
one per port, sources down and destinations across (numbered; ``#`` marks allowed); larger
ones as one row per source listing the destinations it may reach, grouped by namespace.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from podpath.render.escape import md_code, md_escape
from podpath.render.table import fits_output, render_table

GRID_LIMIT = 40
ALLOWED_MARK = "#"
DENIED_MARK = "."

Renderer = Callable[[dict[str, Any]], str]


def _namespace(name: str) -> str:
    return name.split("/", 1)[0]


def _grid_rows(names: list[str], cells: list[list[bool]]) -> list[list[str]]:
    rows: list[list[str]] = []
    current = None
    for i, name in enumerate(names):
        ns = _namespace(name)
        if ns != current:
            current = ns
            rows.append(["", f"{ns}:", ""])
        marks = "".join(ALLOWED_MARK if c else DENIED_MARK for c in cells[i])
        rows.append([str(i), name.split("/", 1)[1], marks])
    return rows


def _reach_rows(names: list[str], cells: list[list[bool]]) -> list[list[str]]:
    rows = []
    for i, name in enumerate(names):
        by_ns: dict[str, list[str]] = {}
        for j, ok in enumerate(cells[i]):
            if ok:
                by_ns.setdefault(_namespace(names[j]), []).append(names[j].split("/", 1)[1])
        if len(by_ns) and sum(len(v) for v in by_ns.values()) == len(names):
            text = "everyone"
        else:
            text = "; ".join(f"{ns}: {', '.join(v)}" for ns, v in sorted(by_ns.items())) or "-"
        rows.append([name, text])
    return rows


def matrix_table(data: dict[str, Any]) -> str:
    """One section per port; pods grouped by namespace."""
    names: list[str] = data["pods"]
    if not data["ports"]:
        return "no ports: no container declares a port (use --port PORT[/PROTO])\n"
    out = []
    what = "workload" if data.get("by") == "workload" else "pod"
    for port in data["ports"]:
        cells = data["allowed"][port]
        allowed = sum(sum(1 for c in row if c) for row in cells)
        title = f"{port}: {allowed} of {len(names) ** 2} {what} pairs allowed"
        header = "".join(str(j % 10) for j in range(len(names)))
        grid = ["#", "FROM", f"TO {header}"], _grid_rows(names, cells)
        if len(names) <= GRID_LIMIT and fits_output(*grid):
            table = render_table(None, *grid)
        else:  # too many pods, or too narrow a terminal, for a grid
            table = render_table(None, ["FROM", "MAY REACH"], _reach_rows(names, cells))
        out.append(f"{title}\n{table}")
    if data.get("partial"):
        out.append(f"{len(data['partial'])} workload pair(s) allowed for some replicas only\n")
    return "\n".join(out)


def matrix_md(data: dict[str, Any]) -> str:
    """A Markdown table per port (rows: sources, columns: destinations)."""
    names: list[str] = data["pods"]
    lines = ["# Reachability matrix", ""]
    for port in data["ports"]:
        cells = data["allowed"][port]
        lines += [f"## {md_escape(port)}", ""]
        lines.append("| from \\ to | " + " | ".join(md_code(n) for n in names) + " |")
        lines.append("|---|" + "---|" * len(names))
        for i, name in enumerate(names):
            marks = " | ".join("✅" if c else "·" for c in cells[i])
            lines.append(f"| {md_code(name)} | {marks} |")
        lines.append("")
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;margin:1.5em}
table{border-collapse:collapse;margin-bottom:2em}
td,th{border:1px solid #ddd;padding:2px 4px;font-size:12px}
th.v{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
td.y{background:#2e9e4f}td.n{background:#f4d6d6}th.ns{background:#eee;text-align:left}"""


def matrix_html(data: dict[str, Any]) -> str:
    """A self-contained HTML heatmap per port; rows and columns grouped by namespace."""
    names: list[str] = data["pods"]
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>podpath matrix</title>",
        f"<style>{_CSS}</style></head><body><h1>Reachability matrix</h1>",
    ]
    for port in data["ports"]:
        cells = data["allowed"][port]
        parts.append(f"<h2>{esc(port)}</h2><table><tr><th>from \\ to</th>")
        parts += [f"<th class='v' title='{esc(n)}'>{esc(n)}</th>" for n in names]
        parts.append("</tr>")
        current = None
        for i, name in enumerate(names):
            ns = _namespace(name)
            if ns != current:
                current = ns
                parts.append(f"<tr><th class='ns' colspan='{len(names) + 1}'>{esc(ns)}</th></tr>")
            row = "".join(
                f"<td class='{'y' if c else 'n'}' title='{esc(name)} -> {esc(names[j])}'></td>"
                for j, c in enumerate(cells[i])
            )
            parts.append(f"<tr><th>{esc(name)}</th>{row}</tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


FORMATS: dict[str, Renderer] = {"table": matrix_table, "md": matrix_md, "html": matrix_html}
