"""``podpath doctor``: the networking troubleshooting checklist and the policy baseline,
automated. Each step is a module of checks registered in :data:`findings.CHECKS`:

1. ``pods`` — pod readiness;
2. ``services`` — Service selectors, ports, types;
3. ``dns`` — DNS from a pod (egress to the cluster DNS, dnsPolicy, the DNS Service);
4. ``ingress`` — Ingress / Gateway API backends, classes, conflicts, TLS, policies;
5. ``policy`` — NetworkPolicies that select or match nothing, port mismatches;
6. ``baseline`` — sensitive namespaces: default deny, DNS, monitoring, approved sources;
7. ``provider`` — the platform's load balancers (``--provider``): health checks and traffic the
   policies deny, ignored source ranges, internal-by-default schemes, ALB groups.

    >>> from podpath.analyze.doctor import diagnose
    >>> findings = diagnose(cluster)

Every verdict comes from the engines (services, policy, routing, dns); checks only compare
their answers with what the user evidently meant.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime

from podpath.analyze.doctor.context import EPOCH, BaselineConfig, DoctorContext
from podpath.analyze.doctor.findings import (
    CHECKS,
    RULES,
    Check,
    Finding,
    Rule,
    Severity,
    rank,
)
from podpath.analyze.doctor.grouping import group_by_workload
from podpath.cluster import Cluster
from podpath.engine.providers.base import Choice

STEP_MODULES = (
    "pods",
    "services",
    "service_ips",
    "dns",
    "dns_egress",
    "ingress",
    "gateway",
    "gateway_listeners",
    "gateway_backend_tls",
    "entry",
    "policy",
    "policy_ports",
    "baseline",
    "provider",
)


def load_checks() -> None:
    """Import every step module so that its checks register (idempotent). A step whose
    engine is not available yet is skipped."""
    for name in STEP_MODULES:
        try:
            importlib.import_module(f"podpath.analyze.doctor.{name}")
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("podpath."):
                raise


def diagnose(
    cluster: Cluster,
    *,
    baseline: BaselineConfig | None = None,
    steps: Iterable[str] | None = None,
    now: datetime | None = None,
    provider: Choice | None = None,
    context: DoctorContext | None = None,
) -> tuple[Finding, ...]:
    """Run every registered check (or those of ``steps``) and rank the findings; ``now``
    is when certificates are checked for expiry (default: the epoch, i.e. not checked);
    ``provider`` the provider profile (None: the generic model). A caller that queries the
    same matrix engine (``report``) passes its ``context`` instead of the three."""
    load_checks()
    ctx = context or DoctorContext(cluster, baseline or BaselineConfig(), now or EPOCH, provider)
    wanted = set(steps) if steps is not None else None
    found: list[Finding] = []
    for chk in CHECKS:
        if wanted is None or chk.step in wanted or chk.step.split("-", 1)[-1] in wanted:
            found.extend(_run(chk, ctx))
    return rank(group_by_workload(found, cluster))


def _run(chk: Check, ctx: DoctorContext) -> list[Finding]:
    """A check's findings; a check whose engine module is missing is reported, not fatal."""
    try:
        return list(chk.run(ctx))
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("podpath."):
            raise
        return [
            Finding(
                "check-skipped",
                Severity.INFO,
                chk.name,
                f"check {chk.name} ({chk.step}) skipped: {exc.name} is not available",
                "upgrade podpath",
            )
        ]


def rules() -> tuple[Rule, ...]:
    """Every finding code, sorted (the SARIF rules)."""
    load_checks()
    return tuple(RULES[c] for c in sorted(RULES))
