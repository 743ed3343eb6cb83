"""``podpath diff`` as rows (for the terminal table) and as Markdown (a pull-request comment).

Renderers only lay out what :mod:`podpath.analyze.diff` computed; output is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podpath.render.escape import md_code, md_escape
from podpath.render.table import render_table

MARK = {"added": "+", "removed": "-", "changed": "~"}
MD_MARK = {"added": "➕ added", "removed": "➖ removed", "changed": "✏️ changed"}
MD_ROW_LIMIT = 100  # a GitHub comment holds 65,536 characters; keep the comment readable


def _service_detail(entry: Mapping[str, Any]) -> str:
    parts = [entry.get("type", "")] if "type" in entry else []
    for ch in entry.get("changes", ()):
        if "old" in ch:
            parts.append(f"{ch['field']}: {ch['old']} -> {ch['new']}")
        else:
            bits = [f"+{x}" for x in ch["added"]] + [f"-{x}" for x in ch["removed"]]
            parts.append(f"{ch['field']}: {' '.join(bits)}")
    if entry.get("exposure"):
        parts.append("exposure: " + ", ".join(entry["exposure"]))
    return "; ".join(p for p in parts if p)


def _route_detail(entry: Mapping[str, Any]) -> str:
    text = str(entry.get("backend", ""))
    if "old" in entry:
        text = f"{entry['old'].get('backend', '')} -> {text}"
    return text


def diff_rows(diff: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """Per layer, rows of cells ``[change, object, detail]`` in the diff's order."""
    rows: dict[str, list[list[str]]] = {"connections": [], "services": [], "routes": [], "dns": []}
    for kind, entries in diff["connections"].items():
        for c in entries:
            because = ", ".join(c["because"]) or "-"
            rows["connections"].append(
                [MARK[kind], f"{c['from']} -> {c['to']}", c["port"], because]
            )
    for kind, entries in diff["services"].items():
        for s in entries:
            rows["services"].append([MARK[kind], s["service"], _service_detail(s)])
    for kind, entries in diff["routes"].items():
        for r in entries:
            rows["routes"].append([MARK[kind], r["route"], _route_detail(r)])
    for kind, entries in diff["dns"].items():
        for d in entries:
            rows["dns"].append([MARK[kind], d["name"], f"{d['type']} {d['data']}"])
    return rows


HEADERS = {
    "connections": ["", "FROM -> TO", "PORT", "BECAUSE"],
    "services": ["", "SERVICE", "CHANGE"],
    "routes": ["", "ROUTE", "BACKEND"],
    "dns": ["", "NAME", "RECORD"],
}
TITLES = {"connections": "Connections", "services": "Services", "routes": "Routes", "dns": "DNS"}


def summary_line(diff: Mapping[str, Any]) -> str:
    parts = []
    for layer, kinds in diff.items():
        counts = [f"{len(v)} {k}" for k, v in kinds.items() if v]
        if counts:
            parts.append(f"{TITLES[layer].lower()}: {', '.join(counts)}")
    return "; ".join(parts) if parts else "no changes"


def diff_table(diff: Mapping[str, Any], exposure: Sequence[str] = ()) -> str:
    """The terminal form: a summary line, then one table per layer that changed."""
    out = [f"podpath diff: {summary_line(diff)}\n"]
    if exposure:
        out.append("new exposure:\n" + "".join(f"  ! {e}\n" for e in exposure))
    for layer, rows in diff_rows(diff).items():
        if rows:
            out.append(f"\n== {TITLES[layer]} ==\n")
            out.append(render_table(None, HEADERS[layer], rows))
    return "".join(out)


def md_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], limit: int = MD_ROW_LIMIT
) -> str:
    head = "| " + " | ".join(headers) + " |\n" + "|" + "---|" * len(headers) + "\n"
    body = "".join("| " + " | ".join(row) + " |\n" for row in rows[:limit])
    more = (
        f"\n…and {len(rows) - limit} more (run `podpath diff` for all).\n"
        if len(rows) > limit
        else ""
    )
    return head + body + more


def diff_markdown(diff: Mapping[str, Any], exposure: Sequence[str] = ()) -> str:
    """A pull-request comment: a summary, a warning for new exposure, one table per layer."""
    out = ["### podpath: network changes\n\n", f"**Summary:** {summary_line(diff)}\n"]
    if exposure:
        out.append("\n> [!WARNING]\n> This change exposes new entry points:\n")
        out.extend(f"> - {md_escape(e)}\n" for e in exposure)
    for layer, rows in diff_rows(diff).items():
        if not rows:
            continue
        md_rows = [[MD_MARK[_kind(r[0])], md_code(r[1]), *map(md_escape, r[2:])] for r in rows]
        headers = ["change", *(h.title() for h in HEADERS[layer][1:])]
        out.append(f"\n#### {TITLES[layer]}\n\n")
        out.append(md_table(headers, md_rows))
    return "".join(out)


def _kind(mark: str) -> str:
    return {v: k for k, v in MARK.items()}[mark]
