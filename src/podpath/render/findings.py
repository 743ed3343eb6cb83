"""Renderers of doctor findings: table, json, md (sarif in :mod:`podpath.render.sarif`).

Each renderer takes the ranked findings (and the rule catalogue) and returns text; they
decide presentation only. JSON keys follow DESIGN.md: ``{"findings": [{code, severity,
object, message, hint, ...}]}`` plus ``file``, ``line``, ``impact`` and ``step``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from podpath.analyze.doctor.findings import Finding, Rule
from podpath.render.escape import md_code, md_escape
from podpath.render.table import render_table

Renderer = Callable[[Sequence[Finding], Sequence[Rule]], str]


def finding_data(f: Finding) -> dict[str, Any]:
    """One finding as JSON-ready data (the contract keys first)."""
    return {
        "code": f.code,
        "severity": f.severity.value,
        "object": f.object,
        "message": f.message,
        "hint": f.hint,
        "file": f.source.path if f.source is not None else None,
        "line": f.source.line if f.source is not None else None,
        "impact": f.impact,
        "step": f.step,
        "verdict": f.verdict,
    }


def summary(findings: Sequence[Finding]) -> str:
    counts = {
        s: sum(1 for f in findings if f.severity.value == s) for s in ("error", "warning", "info")
    }
    return f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info"


def render_json(findings: Sequence[Finding], rules: Sequence[Rule] = ()) -> str:
    data = {"findings": [finding_data(f) for f in findings], "summary": summary(findings)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _where(f: Finding) -> str:
    if f.source is None or f.source.path.startswith("<"):
        return ""
    return f"{f.source.path}:{f.source.line}"


def render_text_table(findings: Sequence[Finding], rules: Sequence[Rule] = ()) -> str:
    if not findings:
        return "no findings\n"
    rows = [
        [
            f.severity.value.upper(),
            f"{f.code}\n{f.object}" + (f"\n{_where(f)}" if _where(f) else ""),
            f"{f.message}\nhint: {f.hint}",
        ]
        for f in findings
    ]
    table = render_table(None, ["SEVERITY", "CODE / OBJECT / WHERE", "FINDING"], rows)
    return table + summary(findings) + "\n"


def render_md(findings: Sequence[Finding], rules: Sequence[Rule] = ()) -> str:
    lines = ["# podpath doctor", "", summary(findings), ""]
    if findings:
        lines += [
            "| severity | code | object | finding | hint | where |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {f.severity.value} | {md_code(f.code)} | {md_code(f.object)} "
            f"| {md_escape(f.message)} | {md_escape(f.hint)} | {md_escape(_where(f))} |"
            for f in findings
        ]
    return "\n".join(lines) + "\n"


def _formats() -> dict[str, Renderer]:
    from podpath.render.sarif import render_sarif

    return {"table": render_text_table, "json": render_json, "md": render_md, "sarif": render_sarif}


FORMAT_NAMES = ("json", "md", "sarif", "table")


def render(fmt: str, findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    return _formats()[fmt](findings, rules)
