"""Dual-stack Services and pods, and ServiceCIDR objects: the cases of the dual-stack concept
page and the Service API reference, and KEP-1880's ServiceCIDR.

https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services
https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec
https://kubernetes.io/docs/reference/kubernetes-api/networking/service-cidr-v1/
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.test_cluster import load, node, pod, service

from podpath.analyze.doctor import diagnose
from podpath.cluster.settings import Settings
from podpath.errors import InputError

DUAL = Settings(
    service_cidr="10.96.0.0/16,fd00:10:96::/112", pod_cidr="10.244.0.0/16,fd00:10:244::/56"
)
V6_FIRST = Settings(service_cidr="fd00:10:96::/112,10.96.0.0/16")


def _families(ips: tuple[str, ...]) -> list[int]:
    return [ipaddress.ip_address(ip).version for ip in ips]


# (spec of the Service, cluster settings, expected families of spec.clusterIPs in order)
SERVICE_CASES = [
    # SingleStack: a cluster IP from the first configured service cluster IP range
    ("ports: [{port: 80}]", DUAL, [4]),
    ("ports: [{port: 80}], ipFamilyPolicy: SingleStack", V6_FIRST, [6]),
    # ipFamilies [IPv6] on a dual-stack cluster: single-stack IPv6
    ("ports: [{port: 80}], ipFamilies: [IPv6]", DUAL, [6]),
    # PreferDualStack: both families, primary first
    ("ports: [{port: 80}], ipFamilyPolicy: PreferDualStack", DUAL, [4, 6]),
    ("ports: [{port: 80}], ipFamilyPolicy: PreferDualStack", V6_FIRST, [6, 4]),
    # ... and on a single-stack cluster it falls back to one family
    ("ports: [{port: 80}], ipFamilyPolicy: PreferDualStack", Settings(), [4]),
    # RequireDualStack with ipFamilies [IPv6, IPv4]: IPv6 first (the first family is primary)
    (
        "ports: [{port: 80}], ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv6, IPv4]",
        DUAL,
        [6, 4],
    ),
    # two ipFamilies without a policy: RequireDualStack
    ("ports: [{port: 80}], ipFamilies: [IPv4, IPv6]", DUAL, [4, 6]),
]


@pytest.mark.parametrize(("spec", "cfg", "families"), SERVICE_CASES)
def test_ip_family_policy_and_ip_families_decide_cluster_ips(
    spec: str, cfg: Settings, families: list[int]
) -> None:
    svc = load(service("web", spec=spec), cfg).service_by_key["default/web"]
    assert _families(svc.cluster_ips) == families
    assert list(svc.ip_families) == families
    nets = [ipaddress.ip_network(c) for c in cfg.service_cidr.split(",")]
    assert all(any(ipaddress.ip_address(ip) in n for n in nets) for ip in svc.cluster_ips)


def test_headless_without_selector_is_dual_stack_on_a_dual_stack_cluster() -> None:
    """ "Headless Services without selectors ... .spec.ipFamilyPolicy defaults to
    RequireDualStack"; with selectors it is SingleStack in the primary family."""
    c = load(
        service("manual", spec="clusterIP: None, ports: [{port: 80}]")
        + service("sel", spec="clusterIP: None, selector: {app: a}, ports: [{port: 80}]"),
        DUAL,
    )
    assert c.service_by_key["default/manual"].ip_families == (4, 6)
    assert c.service_by_key["default/sel"].ip_families == (4,)
    assert c.service_by_key["default/manual"].cluster_ips == ()


def test_require_dual_stack_on_a_single_stack_cluster_is_reported() -> None:
    c = load(service("web", spec="ports: [{port: 80}], ipFamilyPolicy: RequireDualStack"))
    notes = [n for n in c.notes if n.code == "service-ip-family"]
    assert notes and "dual-stack cluster" in notes[0].message
    assert _families(c.service_by_key["default/web"].cluster_ips) == [4]
    codes = [f.code for f in diagnose(c)]
    assert "service-ip-family" in codes


def test_single_stack_with_two_families_is_reported() -> None:
    spec = "ports: [{port: 80}], ipFamilyPolicy: SingleStack, ipFamilies: [IPv4, IPv6]"
    c = load(service("web", spec=spec), DUAL)
    assert any("SingleStack allows one" in n.message for n in c.notes)
    assert _families(c.service_by_key["default/web"].cluster_ips) == [4]


def test_given_cluster_ips_keep_their_order_and_the_missing_family_is_allocated() -> None:
    spec = "clusterIPs: [fd00:10:96::50], ipFamilyPolicy: PreferDualStack, ports: [{port: 80}]"
    svc = load(service("web", spec=spec), DUAL).service_by_key["default/web"]
    assert svc.cluster_ips[0] == "fd00:10:96::50"
    assert _families(svc.cluster_ips) == [6, 4]


def test_kubernetes_and_dns_services_take_the_primary_range() -> None:
    c = load(
        service("kube-dns", ns="kube-system", spec="ports: [{port: 53, protocol: UDP}]"), V6_FIRST
    )
    assert c.service_by_key["default/kubernetes"].cluster_ips == ("fd00:10:96::1",)
    assert c.dns_ip == "fd00:10:96::a"


@pytest.mark.parametrize(
    ("field", "value"),
    [("ipFamilyPolicy", "DualStack"), ("ipFamilies", "[IPv5]"), ("ipFamilies", "[IPv4, IPv4]")],
)
def test_bad_family_fields_are_input_errors(field: str, value: str) -> None:
    with pytest.raises(InputError, match=field):
        load(service("web", spec=f"ports: [{{port: 80}}], {field}: {value}"))


@pytest.mark.parametrize("text", ["10.96.0.0/12,10.100.0.0/16", "fd00::/64,fd01::/64"])
def test_two_cidrs_of_one_family_are_an_input_error(text: str) -> None:
    with pytest.raises(InputError, match="one CIDR per IP family"):
        load(service("web"), Settings(service_cidr=text))


# -- pods: one IP per family ------------------------------------------------------------------


def test_dual_stack_pod_cidr_gives_each_node_a_cidr_and_each_pod_an_ip_per_family() -> None:
    c = load(node("n1", "172.18.0.2") + pod("a", extra_spec="nodeName: n1"), DUAL)
    assert c.node_by_name["n1"].pod_cidrs == ("10.244.0.0/24", "fd00:10:244::/64")
    assert c.pod_by_key["default/a"].ips == ("10.244.0.2", "fd00:10:244::2")


# -- ServiceCIDR ------------------------------------------------------------------------------


def service_cidr(name: str, *cidrs: str) -> str:
    return (
        f"---\napiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {{name: {name}}}\n"
        f"spec: {{cidrs: [{', '.join(cidrs)}]}}\n"
    )


def test_cluster_ips_come_from_the_service_cidrs_when_present() -> None:
    """KEP-1880: ServiceCIDR objects are the ranges (the flag made only the default one)."""
    c = load(service_cidr("kubernetes", "10.0.0.0/24", "fd00::/120") + service("web"))
    assert c.service_by_key["default/kubernetes"].cluster_ips == ("10.0.0.1",)
    assert c.service_by_key["default/web"].cluster_ips == ("10.0.0.2",)
    spec = "ports: [{port: 80}], ipFamilyPolicy: RequireDualStack"
    c = load(service_cidr("kubernetes", "10.0.0.0/24", "fd00::/120") + service("web", spec=spec))
    assert c.service_by_key["default/web"].cluster_ips == ("10.0.0.2", "fd00::1")
    assert not [n for n in c.notes if n.code == "service-ip-family"]


def test_a_full_service_cidr_continues_in_the_next_one() -> None:
    docs = service_cidr("kubernetes", "10.0.0.0/29") + service_cidr("extra", "10.1.0.0/24")
    docs += "".join(service(f"s{i}") for i in range(8))
    c = load(docs)
    ips = sorted(ip for s in c.services for ip in s.cluster_ips)
    assert len(set(ips)) == len(ips) == 9  # with default/kubernetes
    assert "10.1.0.1" in ips and "10.0.0.7" not in ips  # .7 is the broadcast address


def test_cluster_ip_outside_every_service_cidr_is_reported() -> None:
    c = load(
        service_cidr("kubernetes", "10.0.0.0/24")
        + service("web", spec="clusterIP: 10.96.0.50, ports: [{port: 80}]")
    )
    note = next(n for n in c.notes if n.code == "cluster-ip-outside-service-cidr")
    assert note.object == "Service/default/web" and "ServiceCIDR/kubernetes" in note.message
    findings = [f for f in diagnose(c) if f.code == "cluster-ip-outside-service-cidr"]
    assert findings and findings[0].object == "Service/default/web"


def test_cluster_ip_outside_the_flag_range_is_reported() -> None:
    c = load(service("web", spec="clusterIP: 192.168.0.5, ports: [{port: 80}]"))
    assert any("--service-cidr 10.96.0.0/12" in n.message for n in c.notes)


def test_service_cidr_with_two_cidrs_of_one_family_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cidrs"):
        load(service_cidr("x", "10.0.0.0/24", "10.1.0.0/24"))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(["SingleStack", "PreferDualStack", "RequireDualStack", None]),
        min_size=1,
        max_size=12,
    )
)
def test_every_allocated_cluster_ip_is_unique_and_in_its_range(policies: list[str | None]) -> None:
    docs = ""
    for i, policy in enumerate(policies):
        extra = f", ipFamilyPolicy: {policy}" if policy else ""
        docs += service(f"s{i}", spec=f"ports: [{{port: 80}}]{extra}")
    c = load(docs, DUAL)
    ips = [ip for s in c.services for ip in s.cluster_ips]
    assert len(ips) == len(set(ips))
    for svc in c.services:
        assert len(svc.cluster_ips) == len(svc.ip_families)
        assert _families(svc.cluster_ips) == list(svc.ip_families)
    assert not [
        n for n in c.notes if n.code in ("service-ip-family", "cluster-ip-outside-service-cidr")
    ]
