"""The policy baseline for sensitive namespaces (label or annotation ``podpath.io/sensitive``,
``--sensitive NS``, or ``baseline.sensitiveNamespaces`` in ``podpath.yaml``):

- default deny for ingress and for egress: a NetworkPolicy with an empty ``podSelector``
  (every pod, present and future) listing the direction in ``policyTypes``
  (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies);
- DNS egress allowed (checked for every namespace by ``dns-egress-blocked``);
- the monitoring namespaces reach the metrics ports of the pods that declare them;
- ingress only from the namespace itself, monitoring, and the approved namespaces
  (frontends, gateways, jobs) -- other namespaces that can connect are reported;
- health checks: kubelet probes come from the node; whether policies apply to them is
  implementation-defined (most plugins always allow a node's traffic to its pods), noted once.
Whether a pair is allowed is the matrix engine's answer (:attr:`DoctorContext.matrix`); the
reasons of one chosen pair are the policy engine's (:func:`podpath.engine.policy.evaluate`).
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext, group_by_workload
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.policy_rules import selecting_policies
from podpath.model.core import ContainerPort, Pod
from podpath.model.policy import Direction

STEP = "6-baseline"
NO_DENY_INGRESS = rule(
    "baseline-no-default-deny-ingress",
    Severity.ERROR,
    STEP,
    "A sensitive namespace has no default-deny ingress policy.",
)
NO_DENY_EGRESS = rule(
    "baseline-no-default-deny-egress",
    Severity.ERROR,
    STEP,
    "A sensitive namespace has no default-deny egress policy.",
)
MONITORING_BLOCKED = rule(
    "baseline-monitoring-blocked",
    Severity.WARNING,
    STEP,
    "The monitoring namespace cannot reach a sensitive pod's metrics port.",
)
UNAPPROVED = rule(
    "baseline-unapproved-ingress",
    Severity.WARNING,
    STEP,
    "A namespace outside the approved list can connect to a sensitive pod.",
)
HEALTH_CHECKS = rule(
    "baseline-health-checks",
    Severity.INFO,
    STEP,
    "Kubelet probes to isolated pods: allowed or not is implementation-defined.",
)


def _reps(pods: Iterator[Pod] | tuple[Pod, ...] | list[Pod]) -> dict[str, Pod]:
    usable = [p for p in pods if p.ips and not p.host_network]
    return {obj: group[0] for obj, group in sorted(group_by_workload(usable).items())}


def _default_deny(ctx: DoctorContext, ns: str) -> Iterator[Finding]:
    policies = [p for p in ctx.cluster.network_policies if p.namespace == ns]
    source = (
        ctx.cluster.namespace_by_name[ns].source if ns in ctx.cluster.namespace_by_name else None
    )
    for direction, r in ((Direction.INGRESS, NO_DENY_INGRESS), (Direction.EGRESS, NO_DENY_EGRESS)):
        if any(p.pod_selector.is_empty and direction in p.policy_types for p in policies):
            continue
        word = direction.value
        yield make(
            r,
            f"Namespace/{ns}",
            f"sensitive namespace {ns} has no default-deny {word.lower()} policy: pods not "
            f"selected by a policy with {word} accept all {word.lower()} traffic",
            f"add a NetworkPolicy in {ns} with spec.podSelector: {{}} and spec.policyTypes: "
            f"[{word}] (no {word.lower()} rules), then allow what is needed",
            source=source,
            impact=50,
        )


def _metrics_ports(ctx: DoctorContext, pod: Pod) -> list[ContainerPort]:
    wanted = ctx.baseline.metrics_ports
    return [cp for cp in pod.ports if cp.name in wanted or cp.container_port in wanted]


def _monitoring(ctx: DoctorContext, ns: str, targets: dict[str, Pod]) -> Iterator[Finding]:
    sources = {
        obj: p
        for mns in ctx.baseline.monitoring_namespaces
        for obj, p in _reps(ctx.pods_by_namespace.get(mns, ())).items()
    }
    if not sources:
        return
    for obj, pod in targets.items():
        for cp in _metrics_ports(ctx, pod):
            if any(ctx.allowed(s, pod, cp.container_port, cp.protocol) for s in sources.values()):
                continue
            v = ctx.verdict(next(iter(sources.values())), pod, cp.container_port, cp.protocol)
            yield make(
                MONITORING_BLOCKED,
                obj,
                f"{', '.join(ctx.baseline.monitoring_namespaces)} cannot scrape {pod.key} on "
                f"{cp.name or cp.container_port} ({cp.container_port}/{cp.protocol}): "
                + "; ".join(v.reasons),
                "allow ingress from the monitoring namespace on port "
                f"{cp.name or cp.container_port} "
                f"(spec.ingress[].from namespaceSelector + ports) in a policy of {ns}",
                source=pod.source,
                impact=5,
            )


def _unapproved(ctx: DoctorContext, ns: str, targets: dict[str, Pod]) -> Iterator[Finding]:
    approved = {ns, *ctx.baseline.monitoring_namespaces, *ctx.baseline.approved_namespaces}
    outsiders = {
        obj: p
        for other, pods in sorted(ctx.pods_by_namespace.items())
        if other not in approved
        for obj, p in _reps(pods).items()
    }
    for obj, pod in targets.items():
        if not _may_admit_other_namespaces(ctx, pod):
            continue
        reached = []
        for src_obj, src in outsiders.items():
            for cp in pod.ports:
                if ctx.allowed(src, pod, cp.container_port, cp.protocol):
                    reached.append((src_obj, src, cp))
                    break
        if not reached:
            continue
        names = sorted({s.split("/")[1] for s, _, _ in reached})
        src_obj, src, cp = reached[0]
        v = ctx.verdict(src, pod, cp.container_port, cp.protocol)
        yield make(
            UNAPPROVED,
            obj,
            f"namespace(s) {', '.join(names)} (not approved) can connect to {pod.key}, e.g. "
            f"{src_obj} on {cp.container_port}/{cp.protocol} ({'; '.join(v.ingress.reasons)})",
            "narrow the allowing rule's spec.ingress[].from (namespaceSelector) or add the "
            "namespace to baseline.approvedNamespaces in podpath.yaml",
            source=pod.source,
            impact=5,
            related=[src_obj],
        )


ADMIN_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")


def _may_admit_other_namespaces(ctx: DoctorContext, pod: Pod) -> bool:
    """A shortcut before asking the engine pod by pod: with no admin-tier policies, an
    ingress-isolated pod admits other namespaces only through a rule with no ``from`` or a
    peer with a namespaceSelector or an ipBlock (a podSelector-only peer is the policy's own
    namespace: NetworkPolicyPeer)."""
    if any(ctx.cluster.of_kind(k) for k in ADMIN_KINDS):
        return True
    policies = selecting_policies(ctx.cluster, pod, Direction.INGRESS)
    if not policies:
        return True
    return any(
        not r.peers
        or any(p.namespace_selector is not None or p.ip_block is not None for p in r.peers)
        for pol in policies
        for r in pol.ingress
    )


@check(STEP, NO_DENY_INGRESS, NO_DENY_EGRESS, MONITORING_BLOCKED, UNAPPROVED, HEALTH_CHECKS)
def baseline(ctx: DoctorContext) -> Iterator[Finding]:
    for ns in ctx.sensitive_namespaces:
        missing = list(_default_deny(ctx, ns))
        yield from missing
        targets = _reps(ctx.pods_by_namespace.get(ns, ()))
        yield from _monitoring(ctx, ns, targets)
        if not any(f.code == NO_DENY_INGRESS.code for f in missing):
            yield from _unapproved(ctx, ns, targets)  # else everything is admitted: said above
        probed = [
            obj
            for obj, p in targets.items()
            if any(c.probes for c in p.containers)
            and any(
                pol.namespace == ns and Direction.INGRESS in pol.policy_types
                for pol in ctx.cluster.network_policies
            )
        ]
        if probed:
            yield make(
                HEALTH_CHECKS,
                f"Namespace/{ns}",
                f"{len(probed)} workload(s) with network probes are isolated for ingress; kubelet "
                "probes come from the node, and whether policies apply to them is "
                "implementation-defined (podpath assumes node traffic is allowed)",
                "if your network plugin filters node traffic, allow the node addresses "
                "(spec.ingress[].from ipBlock) on the probe ports",
                impact=0,
                related=probed,
            )
