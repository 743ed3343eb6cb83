"""Checklist step 5: policy ports against Service ports, and namespaces that disagree.

- NetworkPolicy ports are matched against the port the *pod* receives on: traffic to a
  Service is translated (DNAT) to the endpoint's targetPort before policies see it, so a rule
  allowing the Service's ``port`` where ``targetPort`` differs allows nothing of that Service
  (https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
  and the NetworkPolicyPort reference: "the port on the given protocol ... on the pod").
  Rule matching is the engine's :func:`podpath.engine.policy.port_matches`; targetPort
  resolution is :func:`podpath.engine.services.target_port_for_pod`.
- The same pair of workloads (by name) in several namespaces, allowed in one and denied in
  another (verdicts from the matrix engine, :attr:`DoctorContext.matrix`; the reasons of a
  denied pair from :func:`podpath.engine.policy.evaluate`), is reported where denied: one
  finding per destination workload, its first connection with the reasons, the others named.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from podpath.analyze.doctor.context import DoctorContext, workload_object
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.policy_rules import policy_selects_pod, port_matches
from podpath.engine.services import service_selects_pod, target_port_for_pod
from podpath.model.core import Pod
from podpath.model.policy import Direction, NetworkPolicy, PolicyRule

STEP = "5-policy"
SERVICE_PORT = rule(
    "policy-allows-service-port",
    Severity.ERROR,
    STEP,
    "A policy allows a Service's port where the pods receive on another targetPort.",
)
DIFFERS = rule(
    "policy-differs-across-namespaces",
    Severity.WARNING,
    STEP,
    "The same workload pair is allowed in one namespace and denied in another.",
)
MAX_SHARED_WORKLOADS = 50
NAMED_SPACES = 5  # namespaces named in a message; the rest are counted


def _destinations(
    ctx: DoctorContext, pol: NetworkPolicy, direction: Direction, r: PolicyRule
) -> list[Pod]:
    if direction is Direction.INGRESS:
        return [
            p for p in ctx.pods_by_namespace.get(pol.namespace, ()) if policy_selects_pod(pol, p)
        ]
    if not any(pr.pod_selector is not None or pr.namespace_selector is not None for pr in r.peers):
        return []  # egress to everything or to ipBlocks: no Service in sight
    return ctx.peer_pods(pol, r.peers)


@check(STEP, SERVICE_PORT)
def service_port_in_policy(ctx: DoctorContext) -> Iterator[Finding]:
    for pol in ctx.cluster.network_policies:
        for direction in (Direction.INGRESS, Direction.EGRESS):
            for i, r in enumerate(pol.rules(direction)):
                yield from _rule_findings(ctx, pol, direction, i, r)


def _rule_findings(
    ctx: DoctorContext, pol: NetworkPolicy, direction: Direction, i: int, r: PolicyRule
) -> Iterator[Finding]:
    dst = _destinations(ctx, pol, direction, r)
    if not dst or not r.ports:
        return
    word = direction.value.lower()
    reported: set[tuple[int, str]] = set()
    by_ns: dict[str, list[Pod]] = {}
    for p in dst:
        by_ns.setdefault(p.namespace, []).append(p)
    wanted = {(rp.port, rp.protocol) for rp in r.ports if isinstance(rp.port, int)}
    # a Service selects pods of its own namespace only: those of the destinations'
    # namespaces, in input order
    services = sorted(
        (k for ns in by_ns for k in ctx.service_positions_in.get(ns, ())),
    )
    for svc in (ctx.cluster.services[k] for k in services):
        # one whose ports no rule port names has nothing to report
        if svc.namespace not in by_ns or not any(
            (sp.port, sp.protocol) in wanted for sp in svc.ports
        ):
            continue
        backends = [p for p in by_ns[svc.namespace] if service_selects_pod(svc, p)]
        for sp in svc.ports:
            for j, rp in enumerate(r.ports):
                if not isinstance(rp.port, int) or rp.end_port is not None or rp.port != sp.port:
                    continue
                if rp.protocol is not sp.protocol or (j, svc.key) in reported:
                    continue
                missed = [
                    (p, t)
                    for p in backends
                    if (t := target_port_for_pod(sp, p)) is not None
                    and t != sp.port
                    and not any(port_matches(x, t, sp.protocol, p) for x in r.ports)
                ]
                if not missed:
                    continue
                reported.add((j, svc.key))
                target = missed[0][1]
                name = sp.target_port if isinstance(sp.target_port, str) else None
                yield make(
                    SERVICE_PORT,
                    str(pol.ref),
                    f"spec.{word}[{i}].ports[{j}] allows {rp.port}/{rp.protocol}, the port of "
                    f"Service {svc.key}, but its pods receive on targetPort {target}: policies "
                    f"see the pod's port (after the Service's translation), so "
                    f"{svc.key}:{sp.port} stays denied for {len(missed)} pod(s)",
                    f"set spec.{word}[{i}].ports[{j}].port to {target}"
                    + (f" (or the name {name!r})" if name else ""),
                    source=pol.source,
                    impact=100,
                    related=[str(svc.ref)] + [p.key for p, _ in missed],
                )


def _representatives(ctx: DoctorContext) -> dict[str, dict[str, Pod]]:
    """namespace -> workload name -> one pod (pods with an IP that policies apply to)."""
    out: dict[str, dict[str, Pod]] = {}
    for ns, pods in ctx.pods_by_namespace.items():
        for p in pods:
            if p.owner is not None and p.ips and not p.host_network:
                out.setdefault(ns, {}).setdefault(p.owner.name, p)
    return out


@check(STEP, DIFFERS)
def namespaces_disagree(ctx: DoctorContext) -> Iterator[Finding]:
    reps = _representatives(ctx)
    counts: dict[str, int] = {}
    for names in reps.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    shared = sorted(n for n, c in counts.items() if c > 1)[:MAX_SHARED_WORKLOADS]
    by_dst: dict[str, list[tuple[str, Finding]]] = {}
    for a in shared:
        for b in shared:
            if a == b:
                continue
            for label, f in _pair(ctx, reps, a, b):
                by_dst.setdefault(f.object, []).append((label, f))
    for found in by_dst.values():
        yield _grouped(found)


def _grouped(found: list[tuple[str, Finding]]) -> Finding:
    """One finding per destination workload: its connections that other namespaces allow
    and its own denies are said once (the first with its reasons, then every other one by
    name), so that N copies of an application give one finding per workload, not one per
    connection and port."""
    if len(found) == 1:
        return found[0][1]
    first = found[0][1]
    others = ", ".join(label for label, _ in found[1:])
    return replace(
        first,
        message=f"{len(found)} connections differ: {first.message}; also {others}",
        impact=sum(f.impact for _, f in found),
        related=tuple(sorted({r for _, f in found for r in f.related})),
    )


def _named(spaces: list[str]) -> str:
    """Namespaces by name, the first few of a long list."""
    if len(spaces) <= NAMED_SPACES:
        return ", ".join(spaces)
    return ", ".join(spaces[:NAMED_SPACES]) + f" and {len(spaces) - NAMED_SPACES} more"


def _pair(
    ctx: DoctorContext, reps: dict[str, dict[str, Pod]], a: str, b: str
) -> Iterator[tuple[str, Finding]]:
    spaces = [ns for ns in sorted(reps) if a in reps[ns] and b in reps[ns]]
    if len(spaces) < 2:
        return
    ports = sorted(
        {
            (cp.container_port, cp.protocol.value, cp.protocol)
            for ns in spaces
            for cp in reps[ns][b].ports
        }
    )
    for number, _, proto in ports:
        found = ctx.allowed_pairs([(reps[ns][a], reps[ns][b]) for ns in spaces], number, proto)
        verdicts = dict(zip(spaces, found, strict=True))
        allowed = [ns for ns, v in verdicts.items() if v]
        denied = [ns for ns, v in verdicts.items() if not v]
        if not allowed or not denied:
            continue
        for ns in denied:
            dst = reps[ns][b]
            v = ctx.verdict(reps[ns][a], dst, number, proto)
            label = f"{a} -> {b} on {number}/{proto}"
            finding = make(
                DIFFERS,
                workload_object(dst),
                f"{label} is allowed in {_named(allowed)} but denied in {ns}: "
                + "; ".join(v.reasons),
                f"compare the NetworkPolicies of {ns} with those of {allowed[0]}; add the "
                "missing rule (spec.ingress[] / spec.egress[]) if the difference is not intended",
                source=dst.source,
                impact=10,
                related=[str(v.src), str(v.dst)],
            )
            yield label, finding
