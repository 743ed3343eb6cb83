"""``podpath check`` as a table: the violations of an expectation grouped by root cause.

Pairs that break an expectation for the same reason (the same policy isolating the same
workload, on the same port) are one line: how many pairs, the source and destination
workloads (with their pod counts), and the reason once, pod names replaced by their workload
so that replicas read alike. Pairs beyond those the check explained (``MAX_EXPLAINED``) are
grouped by source workload and port, with the trace command that explains one. The JSON
keeps every pair as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_NAME = re.compile(r"[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*")


def workload_reason(reasons: Sequence[str], workloads: Mapping[str, str]) -> str:
    """The reasons as one text, each pod's ``NS/NAME`` replaced by its workload's name."""
    text = "; ".join(reasons)
    return _NAME.sub(lambda m: workloads.get(m.group(0), m.group(0)), text)


def violation_groups(
    violations: Sequence[Mapping[str, Any]], workloads: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The violations grouped by (port, what was found, reason with workload names), in the
    order their first pair was listed; each with its pairs and source/destination pods."""
    groups: dict[tuple[str, str, str | None, str], dict[str, Any]] = {}
    for v in violations:
        reason = workload_reason(v["reasons"], workloads) if v.get("reasons") else None
        src, dst = workloads.get(v["from"], v["from"]), workloads.get(v["to"], v["to"])
        key = (v["port"], v["got"], reason, src if reason is None else "")  # else: by source
        group = groups.setdefault(
            key,
            {
                "port": v["port"],
                "got": v["got"],
                "reason": reason,
                "pairs": 0,
                "from": {},
                "to": {},
            },
        )
        group["pairs"] += 1
        group["from"].setdefault(src, set()).add(v["from"])
        group["to"].setdefault(dst, set()).add(v["to"])
    return list(groups.values())


def _side(side: Mapping[str, set[str]]) -> str:
    parts = []
    for name in sorted(side):
        pods = side[name]
        parts.append(name if pods == {name} else f"{name} ({len(pods)} pod(s))")
    return ", ".join(parts)


def _trace_hint(group: Mapping[str, Any]) -> str:
    src = min(min(pods) for pods in group["from"].values())
    dst = min(min(pods) for pods in group["to"].values())
    port = str(group["port"]).split("/")[0]
    return f"         (not explained here: podpath trace --from {src} --to {dst} --port {port})"


def check_table(data: Mapping[str, Any], workloads: Mapping[str, str]) -> str:
    """Each expectation with ``ok``/``FAIL``, then its violations, one line per cause."""
    lines = []
    for r in data["results"]:
        mark = "ok  " if r["ok"] else "FAIL"
        extra = " (matches no pod pair)" if r["empty"] else ""
        lines.append(
            f"{mark} {r['name']}: expect {r['expect']}, {r['pairs']} pair(s) x port{extra}"
        )
        for g in violation_groups(r["violations"], workloads):
            lines.append(
                f"       {g['pairs']} pair(s) {g['got']} on {g['port']}: "
                f"{_side(g['from'])} -> {_side(g['to'])}"
            )
            lines.append(f"         <- {g['reason']}" if g["reason"] else _trace_hint(g))
        hidden = r["violation_count"] - len(r["violations"])
        if hidden > 0:
            lines.append(f"       ... and {hidden} more pair(s)")
    lines.append(f"{data['checked'] - data['failed']} of {data['checked']} expectation(s) hold")
    return "\n".join(lines) + "\n"
