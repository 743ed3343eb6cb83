"""Checklist step 3: DNS from a pod.

- A pod isolated for egress needs a NetworkPolicy egress rule allowing the cluster DNS pods
  on UDP *and* TCP 53 (large answers retry over TCP); without it every name lookup times out
  -- the most common breakage of a default-deny rollout
  (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
  The verdict comes from the policy engine (:mod:`podpath.analyze.doctor.dns_egress`).
- ``dnsPolicy: Default`` gives the pod the node's resolver, which does not know cluster
  names (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy).
  The cluster DNS server itself runs with ``Default`` on purpose and is exempt.
- The cluster DNS Service must have ready endpoints, or no pod resolves anything.
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.cluster.service_network import is_dns_service
from podpath.engine.resolver import effective_dns_policy
from podpath.engine.services import service_selects_pod
from podpath.model.core import DNSPolicy

STEP = "3-dns"
DNS_POLICY_DEFAULT = rule(
    "pod-dns-policy-default",
    Severity.WARNING,
    STEP,
    "A pod with dnsPolicy Default uses the node's resolver and cannot resolve cluster names.",
)
DNS_SERVICE_NO_ENDPOINTS = rule(
    "dns-service-no-endpoints",
    Severity.ERROR,
    STEP,
    "The cluster DNS Service has no ready endpoints: no pod can resolve names.",
)
DNS_OUTAGE = 1000  # every pod of the cluster


@check(STEP, DNS_POLICY_DEFAULT)
def dns_policy_default(ctx: DoctorContext) -> Iterator[Finding]:
    dns_services = [s for s in ctx.cluster.services if is_dns_service(s)]
    for pod in ctx.cluster.pods:
        policy, _ = effective_dns_policy(pod)
        if pod.dns_policy is not DNSPolicy.DEFAULT or policy is not DNSPolicy.DEFAULT:
            continue
        if pod.host_network or any(service_selects_pod(s, pod) for s in dns_services):
            continue  # node agents and the DNS server itself use the node's resolver on purpose
        yield make(
            DNS_POLICY_DEFAULT,
            str(pod.ref),
            "dnsPolicy is Default: the pod uses the node's resolver, so names like "
            f"<service>.{pod.namespace}.svc.{ctx.cluster.settings.cluster_domain} do not resolve",
            "remove spec.dnsPolicy (ClusterFirst is the default) unless the pod must not use "
            "the cluster DNS",
            source=pod.source,
            impact=10,
        )


@check(STEP, DNS_SERVICE_NO_ENDPOINTS)
def dns_service_endpoints(ctx: DoctorContext) -> Iterator[Finding]:
    for svc in ctx.cluster.services:
        if not is_dns_service(svc):
            continue
        ports = ctx.cluster.endpoints.get(svc.key, ())
        if any(pe.ready for pe in ports):
            continue
        yield make(
            DNS_SERVICE_NO_ENDPOINTS,
            str(svc.ref),
            "the cluster DNS Service has no ready endpoint: every name lookup in the cluster fails",
            "check the DNS pods (CoreDNS Deployment in kube-system) and that spec.selector "
            "matches their labels (k8s-app=kube-dns)",
            source=svc.source,
            impact=DNS_OUTAGE,
            severity=Severity.ERROR,
        )
