"""The bundled example, examples/shop: it loads, it is what its README says, everything but
the six planted mistakes is correct, and ``doctor`` finds exactly those mistakes."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from podpath.api import load_cluster
from podpath.cli import COMMANDS, main
from podpath.cluster import Cluster
from podpath.engine.selectors import selector_matches
from podpath.model.policy import Direction
from podpath.model.services import ServiceType
from podpath.sources.manifests import load_paths

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
SENSITIVE = ("data", "payments", "shop")

# The planted mistakes (examples/shop/README.md): the object each one is about.
PLANTED = {
    "selector-typo": "Service/shop/cart",
    "target-port-not-exposed": "Service/shop/checkout",
    "ingress-backend-port": "Ingress/shop/storefront",
    "missing-reference-grant": "HTTPRoute/shop/storefront",
    "service-port-in-policy": "NetworkPolicy/payments/allow-checkout",
}
DNS_MISTAKE_OBJECTS = (
    "Namespace/payments",
    "Deployment/payments/payments",
    "NetworkPolicy/payments/default-deny-all",
)


@pytest.fixture(scope="module")
def shop() -> Cluster:
    return load_cluster([str(SHOP)])


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    return [d.data for d in load_paths([str(SHOP)])]


def of_kind(raw: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in raw if d.get("kind") == kind]


# -- what the README says ---------------------------------------------------------------------


def test_shape(shop: Cluster) -> None:
    assert len(shop.pods) == 33
    assert {n.name for n in shop.namespaces} == {
        "data",
        "default",
        "gateway-system",
        "ingress-nginx",
        "kube-system",
        "monitoring",
        "payments",
        "reviews",
        "shop",
    }
    sensitive = {n.name for n in shop.namespaces if n.labels.get("podpath.io/sensitive") == "true"}
    assert sensitive == set(SENSITIVE)
    assert [(n.name, n.pod_cidrs, n.internal_ips) for n in shop.nodes] == [
        ("cp-1", ("10.244.0.0/24",), ("192.168.10.10",)),
        ("worker-1", ("10.244.1.0/24",), ("192.168.10.11",)),
        ("worker-2", ("10.244.2.0/24",), ("192.168.10.12",)),
    ]
    assert all(p.ips for p in shop.pods)
    assert not [n for n in shop.notes if n.severity in ("warning", "error")]


def test_every_service_type_is_present(shop: Cluster) -> None:
    types = {s.type for s in shop.services}
    assert types == set(ServiceType)
    assert any(s.headless for s in shop.services)
    lbs = [s for s in shop.services if s.type is ServiceType.LOAD_BALANCER]
    assert all(s.lb_ingress for s in lbs) and len(lbs) == 2


def test_coredns_as_kubeadm_installs_it(shop: Cluster) -> None:
    dns = shop.service_by_key["kube-system/kube-dns"]
    assert dns.cluster_ips == ("10.96.0.10",) == (shop.dns_ip,)
    assert [(p.name, p.port, str(p.protocol)) for p in dns.ports] == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
    ]
    pods = [p for p in shop.pods if p.labels.get("k8s-app") == "kube-dns"]
    assert len(pods) == 2 and all(p.namespace == "kube-system" for p in pods)
    assert all(len(pe.ready) == 2 for pe in shop.endpoints["kube-system/kube-dns"])


def test_node_exporter_runs_on_every_node_with_the_node_ip(shop: Cluster) -> None:
    pods = [p for p in shop.pods if p.owner and p.owner.name == "node-exporter"]
    assert sorted((p.node_name, p.ips) for p in pods) == [
        (n.name, n.internal_ips) for n in shop.nodes
    ]
    assert all(p.host_network for p in pods)


def test_statefulsets_are_governed_by_headless_services(
    shop: Cluster, raw: list[dict[str, Any]]
) -> None:
    for sts in of_kind(raw, "StatefulSet"):
        ns, service_name = sts["metadata"]["namespace"], sts["spec"]["serviceName"]
        assert shop.service_by_key[f"{ns}/{service_name}"].headless
        pods = [p for p in shop.pods if p.owner and p.owner.name == sts["metadata"]["name"]]
        assert all(p.subdomain == service_name and p.hostname == p.name for p in pods)


def test_ingress_class_nginx_is_the_default(raw: list[dict[str, Any]]) -> None:
    (cls,) = of_kind(raw, "IngressClass")
    assert cls["metadata"]["name"] == "nginx"
    annotation = "ingressclass.kubernetes.io/is-default-class"
    assert cls["metadata"]["annotations"][annotation] == "true"


def test_tls_certificate_covers_shop_example_com_for_20_years(raw: list[dict[str, Any]]) -> None:
    import base64

    secrets = of_kind(raw, "Secret")
    assert {s["metadata"]["namespace"] for s in secrets} == {"shop", "gateway-system"}
    for secret in secrets:
        assert secret["type"] == "kubernetes.io/tls"
        cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
        key = serialization.load_pem_private_key(
            base64.b64decode(secret["data"]["tls.key"]), password=None
        )
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["shop.example.com"]
        life = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert life >= datetime.timedelta(days=365 * 20)
        assert cert.not_valid_after_utc.year == 2046
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]


# -- everything but the planted mistakes is correct -------------------------------------------


def test_every_service_but_the_planted_typo_has_ready_endpoints(shop: Cluster) -> None:
    empty = [
        s.key
        for s in shop.services
        if s.type is not ServiceType.EXTERNAL_NAME
        and not any(pe.ready for pe in shop.endpoints[s.key])
    ]
    assert empty == ["shop/cart"]
    # the typo: one edit away from the pods' label
    assert shop.service_by_key["shop/cart"].selector == {"app": "cart-api"}
    assert any(p.labels.get("app") == "cartapi" for p in shop.pods_in("shop"))


def test_target_ports_exist_on_the_selected_containers_but_checkouts(shop: Cluster) -> None:
    wrong = []
    for svc in shop.services:
        for pe in shop.endpoints[svc.key]:
            assert not pe.excluded, (svc.key, pe.excluded)  # named ports resolve on every pod
            for e in pe.endpoints:
                if e.pod is None:  # default/kubernetes: the API server on the nodes
                    continue
                pod = shop.pod_by_key[e.pod]
                if e.port not in {p.container_port for p in pod.ports}:
                    wrong.append((svc.key, e.port))
    assert sorted(set(wrong)) == [("shop/checkout", 8081)]


def test_every_network_policy_selects_pods_and_peers_match(shop: Cluster) -> None:
    for policy in shop.network_policies:
        selected = [
            p
            for p in shop.pods_in(policy.namespace)
            if selector_matches(policy.pod_selector, p.labels)
        ]
        assert selected, policy.key
        for direction in (Direction.INGRESS, Direction.EGRESS):
            for rule in policy.rules(direction):
                for peer in rule.peers:
                    if peer.ip_block is not None:
                        continue
                    namespaces = [
                        n.name
                        for n in shop.namespaces
                        if (
                            n.name == policy.namespace
                            if peer.namespace_selector is None
                            else selector_matches(peer.namespace_selector, n.labels)
                        )
                    ]
                    pods = [
                        p
                        for p in shop.pods
                        if p.namespace in namespaces
                        and (
                            peer.pod_selector is None
                            or selector_matches(peer.pod_selector, p.labels)
                        )
                    ]
                    assert pods, (policy.key, direction, peer)


def test_sensitive_namespaces_deny_by_default_and_only_payments_forgets_dns(
    shop: Cluster,
) -> None:
    for ns in SENSITIVE:
        deny = shop.namespace_by_name[ns]
        policies = [p for p in shop.network_policies if p.namespace == deny.name]
        baseline = [
            p for p in policies if p.pod_selector.is_empty and not p.ingress and not p.egress
        ]
        assert baseline and set(baseline[0].policy_types) == {Direction.INGRESS, Direction.EGRESS}
        allows_dns = any(
            port.port == 53 for p in policies for rule in p.egress for port in rule.ports
        )
        assert allows_dns == (ns != "payments"), ns


def test_ingress_backend_port_8080_is_not_a_catalog_service_port(shop: Cluster) -> None:
    assert [p.port for p in shop.service_by_key["shop/catalog"].ports] == [80, 9102]


# -- the doctor finds exactly the planted mistakes ---------------------------------------------


def test_doctor_finds_every_planted_mistake_and_nothing_else(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if "doctor" not in COMMANDS:
        pytest.skip("podpath doctor is not there yet")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["doctor", "-f", str(SHOP), "--format", "json", "--fail-on", "error"])
    assert exit_info.value.code == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    serious = [f for f in findings if f["severity"] in ("error", "warning")]
    objects = {f["object"] for f in serious}
    for mistake, obj in PLANTED.items():
        assert obj in objects, f"planted mistake {mistake} ({obj}) not found"
    assert objects & set(DNS_MISTAKE_OBJECTS), "payments without DNS egress not found"
    false_alarms = objects - set(PLANTED.values()) - set(DNS_MISTAKE_OBJECTS)
    assert not false_alarms, [f for f in serious if f["object"] in false_alarms]


def test_load_cluster_takes_one_path_as_a_string(shop: Cluster) -> None:
    """``load_cluster("dir")`` is ``load_cluster(["dir"])``, never the string's characters
    (``"/"`` among them: the whole file system)."""
    assert [p.key for p in load_cluster(str(SHOP)).pods] == [p.key for p in shop.pods]
