"""What NetworkPolicy says of a pod's DNS queries to the cluster DNS pods, per protocol: one
verdict per DNS pod for UDP 53 and TCP 53 (truncated answers retry over TCP, RFC 7766).

A pod whose ``dnsPolicy`` sends its queries to the cluster DNS
(https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy)
sends them to the DNS Service's ClusterIP, which kube-proxy forwards to one of the DNS pods;
policy applies to the connection to that pod
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
When the input holds no DNS pod, :func:`podpath.engine.resolver.dns_pods` assumes a CoreDNS
stand-in. Doctor's ``dns-egress-blocked`` and trace's DNS hop and notes read these verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.cluster import Cluster
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import PodPeer, Verdict
from podpath.engine.resolver import dns_pods, uses_cluster_dns
from podpath.model.core import Pod, Protocol

DNS_PORT = 53
DNS_PROTOCOLS = (Protocol.UDP, Protocol.TCP)


@dataclass(frozen=True, slots=True)
class DnsVerdicts:
    """``verdicts[i]``: the protocol ``DNS_PROTOCOLS[i]`` and one verdict per DNS pod of
    ``servers`` (in their order); ``assumed``: the servers are the CoreDNS stand-in."""

    servers: tuple[Pod, ...]
    assumed: bool
    verdicts: tuple[tuple[Protocol, tuple[Verdict, ...]], ...]

    def denied_to_all(self) -> tuple[Protocol, ...]:
        """The protocols policy denies to every DNS pod (the lookup over it fails)."""
        return tuple(p for p, vs in self.verdicts if vs and not any(v.allowed for v in vs))

    def of(self, protocol: Protocol) -> tuple[Verdict, ...]:
        return next((vs for p, vs in self.verdicts if p is protocol), ())


def dns_verdicts(cluster: Cluster, pod: Pod) -> DnsVerdicts | None:
    """The policy verdicts of ``pod``'s DNS to each cluster DNS pod (module docstring); None
    when the pod does not use the cluster DNS or is one of its pods."""
    servers, assumed = dns_pods(cluster)
    if not uses_cluster_dns(pod) or pod.key in {s.key for s in servers}:
        return None
    verdicts = tuple(
        (
            protocol,
            tuple(evaluate(cluster, PodPeer(pod), PodPeer(s), DNS_PORT, protocol) for s in servers),
        )
        for protocol in DNS_PROTOCOLS
    )
    return DnsVerdicts(servers, assumed, verdicts)
