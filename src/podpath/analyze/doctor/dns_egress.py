"""Checklist step 3: egress-isolated pods must be allowed to reach the cluster DNS.

With egress isolation a pod may send only what its policies' egress rules allow; DNS needs
UDP 53 and TCP 53 (truncated answers retry over TCP, RFC 7766) to the cluster DNS pods --
the most common breakage of a default-deny rollout
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
Each verdict is the policy engine's (:func:`podpath.engine.dns_access.dns_verdicts`, which
trace's DNS hop reads too), for one pod of each workload (replicas share labels, so share the
verdict), towards each DNS pod.

When the input holds no DNS pods, a stand-in for CoreDNS is assumed: a pod of ``kube-system``
labelled ``k8s-app: kube-dns`` (the label kubeadm's CoreDNS carries) with an address of the
pod CIDR, and the finding says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext, group_by_workload
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.dns_access import dns_verdicts
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


def _best(verdicts: list[Verdict]) -> Verdict:
    return next((v for v in verdicts if v.allowed), verdicts[0])


@check(STEP, DNS_EGRESS)
def dns_egress(ctx: DoctorContext) -> Iterator[Finding]:
    targets, assumed = dns_pods(ctx.cluster)
    target_keys = {p.key for p in targets}
    clients = [
        p for p in ctx.cluster.pods if p.ips and uses_cluster_dns(p) and p.key not in target_keys
    ]
    for obj, pods in sorted(group_by_workload(clients).items()):
        pod = pods[0]
        found = dns_verdicts(ctx.cluster, pod)
        if found is None:
            continue
        udp, tcp = _best(list(found.of(Protocol.UDP))), _best(list(found.of(Protocol.TCP)))
        if udp.allowed and tcp.allowed:
            continue
        yield _finding(obj, pod, len(pods), udp, tcp, assumed)


def _finding(obj: str, pod: Pod, count: int, udp: Verdict, tcp: Verdict, assumed: bool) -> Finding:
    blocked = [name for name, v in (("UDP 53", udp), ("TCP 53", tcp)) if not v.allowed]
    first = udp if not udp.allowed else tcp
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
