"""Checklist step 3: egress-isolated pods must be allowed to reach the cluster DNS.

With egress isolation a pod may send only what its policies' egress rules allow; DNS needs
UDP 53 and TCP 53 (truncated answers retry over TCP, RFC 7766) to the cluster DNS pods --
the most common breakage of a default-deny rollout
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
For one pod of each workload (replicas share labels, so share the verdict), whether some DNS
pod is reachable on each protocol is the matrix engine's answer (:attr:`DoctorContext.matrix`,
one column per DNS pod); the per-pair evaluator only explains a blocked workload (its first
DNS pod, as :func:`podpath.engine.dns_access.dns_verdicts`, which trace's DNS hop reads, gives).

When the input holds no DNS pods, a stand-in for CoreDNS is assumed: a pod of ``kube-system``
labelled ``k8s-app: kube-dns`` (the label kubeadm's CoreDNS carries) with an address of the
pod CIDR, and the finding says so.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from podpath.analyze.doctor.context import DoctorContext, group_by_workload
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.dns_access import DNS_PORT, DNS_PROTOCOLS, dns_verdicts
from podpath.engine.policy_verdict import PodPeer, Verdict
from podpath.engine.resolver import dns_pods, uses_cluster_dns
from podpath.model.core import Pod, Protocol

STEP = "3-dns"
DNS_EGRESS = rule(
    "dns-egress-blocked",
    Severity.ERROR,
    STEP,
    "Pods isolated for egress whose policies do not allow DNS (UDP and TCP 53) to the cluster DNS.",
)


@check(STEP, DNS_EGRESS)
def dns_egress(ctx: DoctorContext) -> Iterator[Finding]:
    targets, assumed = dns_pods(ctx.cluster)
    target_keys = {p.key for p in targets}
    clients = [
        p for p in ctx.cluster.pods if p.ips and uses_cluster_dns(p) and p.key not in target_keys
    ]
    groups = sorted(group_by_workload(clients).items())
    reach = _reach(ctx, targets, [pods[0] for _, pods in groups])
    for (obj, pods), ok in zip(groups, reach, strict=True):
        pod = pods[0]
        if all(ok):
            continue
        blocked = [p for p, allowed in zip(DNS_PROTOCOLS, ok, strict=True) if not allowed]
        first = ctx.verdict(pod, targets[0], DNS_PORT, blocked[0])
        yield blocked_finding(obj, pod, len(pods), blocked, first, assumed)


def _reach(ctx: DoctorContext, servers: tuple[Pod, ...], reps: list[Pod]) -> list[list[bool]]:
    """Per pod of ``reps``, per protocol of :data:`DNS_PROTOCOLS`: may it reach some DNS pod
    on port 53. The matrix's columns of the DNS pods; the CoreDNS stand-in (not an input pod,
    so not in the matrix) asks the per-pair evaluator (:func:`dns_verdicts`), one pod a
    workload."""
    index = ctx.pod_index
    if not reps or any(s.key not in index for s in servers):
        out = []
        for pod in reps:
            found = dns_verdicts(ctx.cluster, pod)
            out.append(
                [found is None or any(v.allowed for v in found.of(p)) for p in DNS_PROTOCOLS]
            )
        return out
    m = ctx.matrix
    rows = np.asarray([index[p.key] for p in reps], dtype=np.int64)
    ok = np.zeros((len(reps), len(DNS_PROTOCOLS)), dtype=bool)
    for k, protocol in enumerate(DNS_PROTOCOLS):
        for server in servers:
            ok[:, k] |= m.column(index[server.key], (DNS_PORT, protocol))[rows]
    return [[bool(x) for x in r] for r in ok.tolist()]


def blocked_finding(
    obj: str, pod: Pod, count: int, blocked_protocols: list[Protocol], first: Verdict, assumed: bool
) -> Finding:
    """The finding for a workload (``pod`` one of its ``count`` pods) whose DNS is blocked on
    ``blocked_protocols``; ``first``: the evaluator's verdict of the first blocked one."""
    blocked = [f"{p.value} 53" for p in blocked_protocols]
    denied = first.denied_by
    side = "egress" if denied is not None and denied.direction.value == "Egress" else "ingress"
    why = denied.reason if denied is not None else ""
    target = first.dst.pod.key if isinstance(first.dst, PodPeer) else str(first.dst)
    stand_in = (
        " (no DNS pods in the input: a kube-system pod labelled k8s-app=kube-dns is assumed)"
        if assumed
        else ""
    )
    if side == "egress":
        ns = pod.namespace
        hint = (
            f"add a NetworkPolicy in {ns} (e.g. allow-dns, spec.podSelector: {{}}, policyTypes: "
            "[Egress]) with spec.egress: - to: [{namespaceSelector: {matchLabels: "
            "{kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: "
            "{k8s-app: kube-dns}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]"
        )
    else:
        hint = (
            "the DNS pods' ingress policies reject these pods: allow them in spec.ingress of the "
            "kube-system policy selecting the DNS pods (UDP and TCP 53)"
        )
    only_tcp = blocked == ["TCP 53"]
    return make(
        DNS_EGRESS,
        obj,
        f"DNS to {target} is denied on {' and '.join(blocked)} for {count} pod(s) ({pod.key}...)"
        f"{stand_in}: {why}"
        + ("; answers over 512 bytes (truncated, retried over TCP) fail" if only_tcp else ""),
        hint,
        source=pod.source,
        impact=10 * count * (1 if only_tcp else 10),
        severity=Severity.WARNING if only_tcp else None,
        related=[target] + ([str(r) for r in denied.isolating_policies] if denied else []),
    )
