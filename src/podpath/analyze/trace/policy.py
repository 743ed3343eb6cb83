"""Stage 6, policy on each hop: every target asked of the NetworkPolicy engine, as it is.

:func:`podpath.engine.policy.evaluate` decides one connection, on the port the destination pod
receives on (never the Service port), and gives its reasons. This module only turns its
:class:`~podpath.engine.policy.Verdict` into the trace's endpoint verdicts, ``policy`` hops
and enumerated drop reasons:

- ``denied by egress isolation of NS/POD`` / ``denied by ingress isolation of NS/POD``
  (NetworkPolicy tier);
- ``denied by admin policy rule RULE`` (AdminNetworkPolicy / ClusterNetworkPolicy Admin tier;
  the Baseline tier reads ``denied by baseline admin policy rule RULE``).

DNS (:func:`dns_access`): a pod that uses the cluster DNS sends its queries to the DNS pods on
UDP 53, and retries a truncated answer over TCP 53 (RFC 7766); its egress policies (and the DNS
pods' ingress policies) must allow both
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
The pods are the cluster DNS Service's (:func:`podpath.engine.resolver.dns_pods`).

When source NAT may give the connection any of several source addresses (a node's, from the
internet), each is evaluated; an endpoint that some allow and others deny is ``partial``. A
pod's connection masqueraded on its way is judged by the pod's egress and by the receiving
pod's ingress from the masquerade address.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from podpath.analyze.trace.values import (
    ALLOWED,
    DENIED,
    DENIED_ADMIN,
    DENIED_BASELINE,
    DENIED_EGRESS,
    DENIED_INGRESS,
    PARTIAL,
    EndpointVerdict,
    Hop,
    Leg,
    Probe,
    Source,
    Target,
    merge_endpoint,
)
from podpath.cluster import Cluster
from podpath.engine.dns_access import dns_verdicts
from podpath.engine.policy import evaluate
from podpath.engine.policy_rules import peer_for_ip
from podpath.engine.policy_verdict import Peer, PodPeer, Tier, Verdict
from podpath.model.core import Pod, Protocol
from podpath.model.policy import Direction


@dataclass(frozen=True, slots=True)
class DnsAccess:
    """What policy says of the source pod's DNS queries to the cluster DNS pods: the protocols
    (UDP, TCP) denied to every one of them, the engine's reason for the first, and the
    policies involved (``assumed``: no DNS pod in the input, a CoreDNS stand-in judged)."""

    denied: tuple[Protocol, ...]
    reason: str
    objects: tuple[str, ...]
    servers: tuple[str, ...]
    assumed: bool


def dns_access(cluster: Cluster, pod: Pod) -> DnsAccess | None:
    """The source pod's DNS to the cluster DNS pods (module docstring;
    :func:`podpath.engine.dns_access.dns_verdicts`); None when the pod does not use the
    cluster DNS or is one of its pods."""
    found = dns_verdicts(cluster, pod)
    if found is None:
        return None
    denied = found.denied_to_all()
    first = found.of(denied[0])[0] if denied else None
    objects = [o for p in denied for v in found.of(p) for o in policy_objects(v)]
    reason = "; ".join(first.reasons) if first is not None else ""
    keys = tuple(s.key for s in found.servers)
    return DnsAccess(denied, reason, tuple(dict.fromkeys(objects)), keys, found.assumed)


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


def _family(target: Target) -> int | None:
    """The IP family of the connection: that of the address it reaches (one family per
    connection on a dual-stack cluster); None for a pod with one address."""
    pods = [p for p in (target.pod, target.source_pod) if p is not None]
    if all(len(p.ips) < 2 for p in pods):
        return None
    try:
        return ipaddress.ip_address(target.ip).version
    except ValueError:
        return None


def _source_peers(cluster: Cluster, target: Target) -> list[Peer]:
    if target.source_pod is not None:
        return [PodPeer(target.source_pod, _family(target))]
    return [peer_for_ip(cluster, ip) for ip in target.source_ips]


def _dest_peer(cluster: Cluster, target: Target) -> Peer:
    if target.pod is not None:
        return PodPeer(target.pod, _family(target))
    return peer_for_ip(cluster, target.ip)


def masqueraded_verdict(
    cluster: Cluster, verdict: Verdict, seen_ip: str, dst: Peer, port: int, protocol: Protocol
) -> Verdict:
    """A pod's connection masqueraded to ``seen_ip`` on the way: the pod's egress as the pod,
    the destination's ingress as from ``seen_ip`` (module docstring)."""
    seen = evaluate(cluster, peer_for_ip(cluster, seen_ip), dst, port, protocol)
    return replace(verdict, ingress=seen.ingress)


def judge_target(
    cluster: Cluster, target: Target, protocol: Protocol
) -> tuple[EndpointVerdict, list[str]]:
    """One endpoint: the engine's verdict from every possible source address, and the
    policies involved."""
    dst = _dest_peer(cluster, target)
    verdicts = [
        evaluate(cluster, src, dst, target.port, protocol, via_service=target.via_service)
        for src in _source_peers(cluster, target)
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
    seen = seen_by_pod(target)
    if len(allowed) == len(verdicts):
        return EndpointVerdict(pod, target.ip, target.port, ALLOWED, unique, None, seen), objects
    denied = [v for v in verdicts if not v.allowed]
    verdict = DENIED if not allowed else PARTIAL
    drop = drop_reason(denied[0])
    return EndpointVerdict(pod, target.ip, target.port, verdict, unique, drop, seen), objects


def seen_by_pod(target: Target) -> tuple[str, ...]:
    """The source address(es) the destination pod sees: the masquerade address of a pod's
    masqueraded connection, else the source's own (after any load balancer and node source
    NAT); the policy verdict is judged on exactly these."""
    if target.seen_from and target.source_pod is not None:
        return target.seen_from
    return target.source_ips


def judge(cluster: Cluster, targets: Sequence[Target], protocol: Protocol, what: str) -> Leg:
    """Every target's verdict and a ``policy`` hop (``what`` starts its detail); when no
    endpoint is allowed, the first drop reason."""
    return _policy_leg([judge_target(cluster, t, protocol) for t in targets], what)


def _policy_leg(judged: Sequence[tuple[EndpointVerdict, list[str]]], what: str) -> Leg:
    endpoints = tuple(ev for ev, _ in judged)
    allowed = sum(1 for e in endpoints if e.verdict == ALLOWED)
    detail = f"{what} on the port the pod receives: {allowed}/{len(endpoints)} endpoint(s) allowed"
    hop = Hop("policy", detail, tuple(dict.fromkeys(o for _, objs in judged for o in objs)))
    return Leg((hop,), endpoints=endpoints, drop=_first_drop(endpoints, allowed))


def judge_entry(
    cluster: Cluster, targets: Sequence[Target], protocol: Protocol
) -> tuple[Leg, tuple[Target, ...]]:
    """Client -> the entry point's pods: the pods reached; when none is, the leg gives the
    pods as endpoints, with why they refused."""
    judged = [judge_target(cluster, t, protocol) for t in targets]
    verdicts = tuple(v for v, _ in judged)
    reached = tuple(t for t, v in zip(targets, verdicts, strict=True) if v.verdict == ALLOWED)
    hop = Hop(
        "policy",
        f"client -> entry point pods: {len(reached)}/{len(targets)} allowed",
        tuple(dict.fromkeys(o for _, objs in judged for o in objs)),
    )
    if reached:
        return Leg((hop,)), reached
    drop = next((v.drop for v in verdicts if v.drop), None)
    return Leg((hop,), endpoints=verdicts, drop=drop), reached


def judge_backends(cluster: Cluster, targets: Sequence[Target], protocol: Protocol) -> Leg:
    """Entry point pods -> backend pods: each endpoint judged from every pod, merged."""
    grouped: dict[tuple[str, int], list[EndpointVerdict]] = defaultdict(list)
    objects: list[str] = []
    for t in targets:
        ev, objs = judge_target(cluster, t, protocol)
        grouped[(t.ip, t.port)].append(ev)
        objects.extend(objs)
    endpoints = tuple(merge_endpoint(v) for v in grouped.values())
    ok = sum(1 for e in endpoints if e.verdict == ALLOWED)
    hop = Hop(
        "policy",
        f"entry point pods -> backend pods: {ok}/{len(endpoints)} endpoint(s) allowed",
        tuple(dict.fromkeys(objects)),
    )
    return Leg((hop,), endpoints=endpoints, drop=_first_drop(endpoints, ok))


def _first_drop(endpoints: Sequence[EndpointVerdict], allowed: int) -> str | None:
    drops = [e.drop for e in endpoints if e.drop]
    return drops[0] if drops and allowed == 0 else None


def judge_path(cluster: Cluster, leg: Leg, protocol: Protocol, source: Source) -> Leg:
    """A whole path from inside: every target judged (:func:`judge`) when no hop dropped the
    connection, and a note for each probe."""
    judged = leg.targets if leg.drop is None else ()
    probed = [t for p in leg.probes for t in p.targets]
    results = [judge_target(cluster, t, protocol) for t in (*judged, *probed)]
    answers = iter(ev for ev, _ in results[len(judged) :])
    notes = tuple(n for p in leg.probes for n in probe_notes(p, answers, protocol))
    if not judged:
        return leg + Leg(notes=notes)
    what = f"NetworkPolicy from {source.label},"
    return leg + Leg(notes=notes) + _policy_leg(results[: len(judged)], what)


def probe_notes(
    probe: Probe, verdicts: Iterator[EndpointVerdict], protocol: Protocol
) -> tuple[str, ...]:
    """What NetworkPolicy says (``verdicts``, one per target of the probe) of a connection to
    the probe's address made directly (an ExternalName with an IP address, which does not
    resolve, stands for it)."""
    if not probe.targets:
        return (
            f"pass --port to see what NetworkPolicy says of a connection to {probe.ip} directly",
        )
    notes = []
    for target, ev in zip(probe.targets, verdicts, strict=False):
        why = "; ".join(ev.reasons) or "no policy applies"
        notes.append(
            f"not traced: a connection to {probe.ip}:{target.port}/{protocol} made directly would "
            f"be {ev.verdict} by NetworkPolicy ({why})"
        )
    return tuple(notes)
