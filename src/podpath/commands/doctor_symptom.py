"""``podpath doctor --from SRC --to DST [--port P] [--fix]``: symptom mode rendering.

The analysis is :mod:`podpath.analyze.doctor.symptom` (trace + findings on the path) and
:mod:`podpath.analyze.doctor.fix` (the verified smallest policy); this module only renders:
table/md (trace, ranked findings, YAML of the fix), json (``{"trace", "findings", "fix"}``),
sarif (the findings on the path).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from podpath.analyze.doctor import rules
from podpath.analyze.doctor.findings import Finding
from podpath.analyze.doctor.fix import Fix, propose_all
from podpath.analyze.doctor.symptom import symptom
from podpath.analyze.trace.question import parse_port
from podpath.analyze.trace.source import parse_source
from podpath.analyze.trace.values import TraceError
from podpath.cluster import Cluster
from podpath.commands.trace import trace_json, trace_table
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import INTERNET_IP, Peer, PodPeer, Verdict
from podpath.errors import InputError
from podpath.render.findings import finding_data, render, render_text_table


def denied_verdicts(
    cluster: Cluster, src: str, endpoints: Sequence[Any], port: str | None
) -> list[Verdict]:
    """The policy verdicts of the trace's denied endpoints (re-asked of the policy engine)."""
    source = parse_source(cluster, src)
    protocol = parse_port(port).protocol
    src_peer: Peer = (
        PodPeer(source.pod)
        if source.pod is not None
        else peer_for_ip(cluster, source.ip or INTERNET_IP)
    )
    out = []
    for ep in endpoints:
        if ep.verdict not in ("denied", "partial") or ep.pod is None:
            continue
        pod = cluster.pod_by_key.get(ep.pod)
        if pod is None:
            continue
        v = evaluate(cluster, src_peer, PodPeer(pod), ep.port, protocol)
        if not v.allowed:
            out.append(v)
    return out


def fix_data(fix: Fix) -> dict[str, Any]:
    return {
        "connection": fix.connection,
        "verified": fix.verified,
        "note": fix.note,
        "manifest": fix.manifest or None,
    }


def fix_yaml(fixes: Sequence[Fix]) -> str:
    parts = []
    for f in fixes:
        if not f.manifest:
            parts.append(f"# {f.connection}: no NetworkPolicy fix: {f.note}\n")
            continue
        status = (
            "verified: the policy engine now allows it" if f.verified else f"NOT verified: {f.note}"
        )
        parts.append(
            f"---\n# allows {f.connection} ({status})\n"
            + yaml.safe_dump(f.manifest, sort_keys=False)
        )
    return "".join(parts)


def symptom_output(
    cluster: Cluster,
    findings: Sequence[Finding],
    src: str,
    dst: str,
    port: str | None,
    *,
    fix: bool,
    fmt: str,
) -> tuple[str, bool]:
    """(rendered text, whether the traffic fails)."""
    try:
        result = symptom(cluster, findings, src, dst, port)
    except TraceError as exc:
        raise InputError(str(exc)) from None
    failed = result.result.verdict != "allowed"
    fixes = (
        propose_all(cluster, denied_verdicts(cluster, src, result.result.endpoints, port))
        if fix
        else []
    )
    data = trace_json(result.result, src, dst, port)
    if fmt == "json":
        doc = {"trace": data, "findings": [finding_data(f) for f in result.findings]}
        if fix:
            doc["fix"] = [fix_data(f) for f in fixes]
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n", failed
    if fmt == "sarif":
        return render("sarif", result.findings, rules()), failed
    text = trace_table(data)
    text += "\nfindings on this path, most likely cause first:\n"
    text += (
        render_text_table(result.findings)
        if result.findings
        else "  none: see the trace's reasons above\n"
    )
    if fix:
        text += "\nsmallest NetworkPolicy change (kubectl apply -f -):\n"
        text += fix_yaml(fixes) if fixes else "  nothing to fix: no endpoint is denied by policy\n"
    return text, failed
