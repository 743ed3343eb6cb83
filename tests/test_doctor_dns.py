"""Doctor checklist step 3: DNS from a pod."""

from __future__ import annotations

from doctor_helpers import codes, pod, service

DEFAULT_POLICY = pod("web-1", extra="\n  dnsPolicy: Default")
COREDNS = pod(
    "coredns-1", ns="kube-system", labels="k8s-app: kube-dns", extra="\n  dnsPolicy: Default"
)
DNS_SVC = service(
    "kube-dns",
    ns="kube-system",
    selector="k8s-app: kube-dns",
    ports="{port: 53, protocol: UDP, name: dns}",
)


def test_dns_policy_default_fires() -> None:
    assert ("pod-dns-policy-default", "Pod/shop/web-1") in codes(DEFAULT_POLICY)


def test_dns_policy_default_quiet_for_cluster_first_and_dns_server() -> None:
    found = codes(pod("web-1") + COREDNS + DNS_SVC)
    assert not {c for c in found if c[0] == "pod-dns-policy-default"}


def test_dns_service_without_endpoints() -> None:
    assert ("dns-service-no-endpoints", "Service/kube-system/kube-dns") in codes(DNS_SVC)
    assert not {c for c in codes(DNS_SVC + COREDNS) if c[0] == "dns-service-no-endpoints"}
