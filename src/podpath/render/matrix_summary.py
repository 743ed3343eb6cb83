"""The terminal table of a big or narrowed matrix, from the sparse JSON (version 2).

More than :data:`SUMMARY_ROWS` rows: one row per source namespace, with its pods, the pairs
it may open and the destination namespaces they reach (pairs each), then how to narrow it.
Fewer (after ``--from``/``--to``): per port, one row per source listing what it may reach.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from podpath.render.table import render_table

SUMMARY_ROWS = 60
GRID_ROWS = 500  # md and html draw pods x pods grids up to this many pods
HINT = (
    "narrow it with --namespace NS, --from NS[/NAME] or --to NS[/NAME] "
    "(-o csv or -o json list every pair)"
)


def _ns(name: str) -> str:
    return name.split("/", 1)[0]


def namespace_summary(data: dict[str, Any], sources: list[int] | None = None) -> str:
    """Namespace x namespace: allowed pairs (any port) from each source namespace."""
    names: list[str] = data["pods"]
    what = "workload" if data.get("by") == "workload" else "pod"
    rows_of = Counter(
        _ns(names[i]) for i in (sources if sources is not None else range(len(names)))
    )
    reach: dict[str, Counter[str]] = {ns: Counter() for ns in rows_of}
    for i, j, _ in data["allowed"]:
        reach.setdefault(_ns(names[i]), Counter())[_ns(names[j])] += 1
    rows = []
    for ns in sorted(reach):
        to = reach[ns]
        text = ", ".join(f"{d} ({n})" for d, n in sorted(to.items())) or "-"
        rows.append([ns, str(rows_of.get(ns, 0)), str(sum(to.values())), text])
    count = len(sources) if sources is not None else len(names)
    head = (
        f"{count} {what}s in {len(rows_of)} namespaces, {len(data['ports'])} ports: "
        f"{len(data['allowed'])} {what} pairs allowed on some port\n"
    )
    table = render_table(None, ["FROM NAMESPACE", what.upper() + "S", "PAIRS", "MAY REACH"], rows)
    return f"{head}{table}{len(names)} rows are too many for a {what} table: {HINT}\n"


def narrowed_table(data: dict[str, Any], sources: list[int]) -> str:
    """Per port, each source and the destinations it may reach."""
    names: list[str] = data["pods"]
    if not data["ports"]:
        return "no ports: no container declares a port (use --port PORT[/PROTO])\n"
    if len(sources) > SUMMARY_ROWS:
        return namespace_summary(data, sources)
    out = []
    empty = []
    for k, port in enumerate(data["ports"]):
        reach: dict[int, list[str]] = {i: [] for i in sources}
        for i, j, ports in data["allowed"]:
            if k in ports and i in reach:
                reach[i].append(names[j])
        allowed = sum(len(v) for v in reach.values())
        if not allowed:
            empty.append(port)
            continue
        rows = [[names[i], ", ".join(v) or "-"] for i, v in reach.items()]
        table = render_table(None, ["FROM", "MAY REACH"], rows)
        out.append(f"{port}: {allowed} pairs allowed\n{table}")
    if empty:
        out.append(f"no pair allowed on {', '.join(empty)}\n")
    return "\n".join(out)


def summary_page(fmt: str, text: str) -> str:
    """The namespace summary as Markdown (a code block) or a self-contained HTML page."""
    if fmt == "md":
        return f"# Reachability matrix\n\n```\n{text}```\n"
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>podpath matrix</title></head>"
        f"<body><h1>Reachability matrix</h1><pre>{html.escape(text)}</pre></body></html>\n"
    )
