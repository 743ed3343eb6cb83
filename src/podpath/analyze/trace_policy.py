"""``trace``'s policy hop: each target asked of the NetworkPolicy engine, as it is.

:func:`podpath.engine.policy.evaluate` decides one connection, on the port the destination pod
receives on, and gives its reasons. This module only turns its :class:`Verdict` into
the trace's endpoint verdicts and enumerated drop reasons:

- ``denied by egress isolation of NS/POD`` / ``denied by ingress isolation of NS/POD``
  (NetworkPolicy tier);
- ``denied by admin policy rule RULE`` (AdminNetworkPolicy / ClusterNetworkPolicy Admin tier;
  the Baseline tier reads ``denied by baseline admin policy rule RULE``).

When source NAT may give the connection any of several source addresses (a node's, from the
internet), each is evaluated; an endpoint that some allow and others deny is ``partial``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from podpath.analyze.trace_base import (
    ALLOWED,
    DENIED,
    DENIED_ADMIN,
    DENIED_EGRESS,
    DENIED_INGRESS,
    PARTIAL,
    EndpointVerdict,
    Hop,
    PortSpec,
    Source,
    Target,
    TraceResult,
)
from podpath.cluster import Cluster
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import Peer, PodPeer, Tier, Verdict
from podpath.model.core import Protocol
from podpath.model.policy import Direction

DENIED_BASELINE = "denied by baseline admin policy rule {rule}"


def drop_reason(verdict: Verdict) -> str | None:
    """The enumerated drop reason of a denied verdict (module docstring), else None."""
    side = verdict.denied_by
    if side is None:
        return None
    if side.tier is Tier.ADMIN and side.decided_by is not None:
        return DENIED_ADMIN.format(rule=side.decided_by)
    if side.tier is Tier.BASELINE and side.decided_by is not None:
        return DENIED_BASELINE.format(rule=side.decided_by)
    template = DENIED_EGRESS if side.direction is Direction.EGRESS else DENIED_INGRESS
    return template.format(pod=side.pod)


def _source_peers(cluster: Cluster, target: Target) -> list[Peer]:
    if target.source_pod is not None:
        return [PodPeer(target.source_pod)]
    return [peer_for_ip(cluster, ip) for ip in target.source_ips]


def _dest_peer(cluster: Cluster, target: Target) -> Peer:
    if target.pod is not None:
        return PodPeer(target.pod)
    return peer_for_ip(cluster, target.ip)


def policy_objects(verdict: Verdict) -> list[str]:
    """The policies a verdict names: allowing rules, deciding admin rules, isolating policies."""
    out: list[str] = []
    for side in (verdict.egress, verdict.ingress):
        out.extend(str(r.policy) for r in side.allowing)
        if side.decided_by is not None:
            out.append(str(side.decided_by.policy))
        if not side.allowed:
            out.extend(str(ref) for ref in side.isolating_policies)
    return out


def masqueraded_verdict(
    cluster: Cluster, verdict: Verdict, seen_ip: str, dst: Peer, port: int, protocol: Protocol
) -> Verdict:
    """A pod's connection masqueraded to ``seen_ip`` on the way: the pod's egress as the pod,
    the destination's ingress as from ``seen_ip`` (module docstring of trace_base)."""
    seen = evaluate(cluster, peer_for_ip(cluster, seen_ip), dst, port, protocol)
    return replace(verdict, ingress=seen.ingress)


def judge_target(
    cluster: Cluster, target: Target, protocol: Protocol
) -> tuple[EndpointVerdict, list[str]]:
    """One endpoint: the engine's verdict from every possible source address, and the
    policies involved."""
    dst = _dest_peer(cluster, target)
    verdicts = [
        evaluate(cluster, src, dst, target.port, protocol) for src in _source_peers(cluster, target)
    ]
    if target.seen_from and target.source_pod is not None:
        verdicts = [
            masqueraded_verdict(cluster, v, ip, dst, target.port, protocol)
            for v in verdicts
            for ip in target.seen_from
        ]
    allowed = [v for v in verdicts if v.allowed]
    pod = target.pod.key if target.pod is not None else None
    several = len(verdicts) > 1
    reasons: list[str] = []
    objects: list[str] = []
    for v in verdicts:
        prefix = f"from {v.src}: " if several else ""
        reasons.extend(prefix + r for r in v.reasons)
        reasons.extend(f"{prefix}assumption {a}" for a in v.assumptions)
        objects.extend(policy_objects(v))
    unique = tuple(dict.fromkeys(reasons))
    if len(allowed) == len(verdicts):
        return EndpointVerdict(pod, target.ip, target.port, ALLOWED, unique), objects
    denied = [v for v in verdicts if not v.allowed]
    verdict = DENIED if not allowed else PARTIAL
    drop = drop_reason(denied[0])
    return EndpointVerdict(pod, target.ip, target.port, verdict, unique, drop), objects


def judge_targets(
    cluster: Cluster, source: Source, targets: Sequence[Target], spec: PortSpec, result: TraceResult
) -> None:
    """Evaluate every target and record a ``policy`` hop naming the policies involved."""
    if targets:
        judge_into(cluster, targets, spec, result, f"NetworkPolicy from {source.label},")


def judge_into(
    cluster: Cluster, targets: Sequence[Target], spec: PortSpec, result: TraceResult, what: str
) -> None:
    """Evaluate every target into ``result.endpoints`` and record a ``policy`` hop (``what``
    starts its detail); no endpoint allowed: the first drop is the result's."""
    objects: list[str] = []
    for target in targets:
        ev, objs = judge_target(cluster, target, spec.protocol)
        result.endpoints.append(ev)
        objects.extend(objs)
    allowed = sum(1 for e in result.endpoints if e.verdict == ALLOWED)
    detail = (
        f"{what} on the port the pod receives: "
        f"{allowed}/{len(result.endpoints)} endpoint(s) allowed"
    )
    result.hops.append(Hop("policy", detail, tuple(dict.fromkeys(objects))))
    drops = [e.drop for e in result.endpoints if e.drop]
    if drops and allowed == 0:
        result.drop = drops[0]
