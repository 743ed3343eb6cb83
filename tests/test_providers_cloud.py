"""AKS and GKE profiles: one table per documented behaviour, citing its page.

AKS pages:
- annotations: https://kubernetes-sigs.github.io/cloud-provider-azure/topics/loadbalancer/#loadbalancer-annotations
- ranges, probes: https://learn.microsoft.com/en-us/azure/aks/configure-load-balancer-standard
- probe source: https://learn.microsoft.com/en-us/azure/load-balancer/load-balancer-custom-probe-overview#probe-source-ip-address
- CNI: https://learn.microsoft.com/en-us/azure/aks/concepts-network-cni-overview
- AGIC: https://learn.microsoft.com/en-us/azure/application-gateway/ingress-controller-overview

GKE pages:
- parameters: https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters
- passthrough: https://cloud.google.com/load-balancing/docs/passthrough-network-load-balancer
- health-check ranges: https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges
- container-native: https://cloud.google.com/kubernetes-engine/docs/concepts/container-native-load-balancing
- firewall rules: https://cloud.google.com/load-balancing/docs/firewall-rules
- GatewayClasses: https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities
"""

from __future__ import annotations

import pytest

from podpath.engine.providers import choose
from podpath.engine.providers.aks import agic_decision, aks_service
from podpath.engine.providers.base import Path, Seen
from podpath.engine.providers.gke import gke_gateway, gke_ingress, gke_service
from podpath.model.core import Labels, Protocol
from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.services import Service, ServicePort, ServiceType

A = "service.beta.kubernetes.io/"
AKS = choose("aks").params
GKE = choose("gke").params


def svc(
    annotations: dict[str, str] | None = None,
    etp: str = "Cluster",
    ranges: tuple[str, ...] = (),
    lb_class: str | None = None,
    protocol: Protocol = Protocol.TCP,
    app_protocol: str | None = None,
) -> Service:
    port = ServicePort(80, 8080, protocol, node_port=30080, app_protocol=app_protocol)
    return Service(
        "shop",
        "web",
        ServiceType.LOAD_BALANCER,
        ports=(port,),
        lb_source_ranges=ranges,
        external_traffic_policy=etp,
        annotations=Labels(annotations or {}),
        lb_class=lb_class,
    )


# --- AKS -------------------------------------------------------------------------------


# annotations table: azure-load-balancer-internal ("defaulting to public"),
# azure-disable-load-balancer-floating-ip; another loadBalancerClass is not Azure's.
@pytest.mark.parametrize(
    ("annotations", "scheme", "path"),
    [
        ({}, "internet-facing", Path.PASSTHROUGH),
        ({A + "azure-load-balancer-internal": "true"}, "internal", Path.PASSTHROUGH),
        (
            {A + "azure-disable-load-balancer-floating-ip": "true"},
            "internet-facing",
            Path.NODE_PORT,
        ),
    ],
)
def test_aks_scheme_and_floating_ip(annotations: dict[str, str], scheme: str, path: Path) -> None:
    d = aks_service(svc(annotations), AKS)
    assert d is not None
    assert (d.scheme, d.path, d.seen) == (scheme, path, Seen.CLIENT)


def test_aks_ignores_another_class() -> None:
    assert aks_service(svc(lb_class="example.com/lb"), AKS) is None


# "Restrict inbound traffic" / "Customize allowed IP ranges": the spec field is enforced in
# the NSG and by kube-proxy; the annotation by the NSG only; the default rule 65000 admits the
# VNet unless azure-deny-all-except-load-balancer-source-ranges is true.
@pytest.mark.parametrize(
    ("annotations", "ranges", "vnet_client_gets_in", "at"),
    [
        ({}, ("198.51.100.0/24",), False, "the NSG and kube-proxy"),
        (
            {A + "azure-disable-load-balancer-floating-ip": "true"},
            ("198.51.100.0/24",),
            True,
            "the NSG (kube-proxy does not check a NodePort)",
        ),
        ({A + "azure-allowed-ip-ranges": "198.51.100.0/24"}, (), True, "the NSG"),
        (
            {
                A + "azure-allowed-ip-ranges": "198.51.100.0/24",
                A + "azure-deny-all-except-load-balancer-source-ranges": "true",
            },
            (),
            False,
            "the NSG",
        ),
    ],
)
def test_aks_source_ranges(
    annotations: dict[str, str], ranges: tuple[str, ...], vnet_client_gets_in: bool, at: str
) -> None:
    d = aks_service(svc(annotations, ranges=ranges), AKS)
    assert d is not None
    assert d.ranges.at == at
    assert d.ranges.admits("198.51.100.9")
    assert not d.ranges.admits("203.0.113.1")
    assert d.ranges.admits("10.224.1.5") is vnet_client_gets_in


# "Default health probe behavior" table.
@pytest.mark.parametrize(
    ("etp", "protocol", "app_protocol", "probe"),
    [
        ("Local", Protocol.TCP, None, ("HTTP", "healthCheckNodePort", "/healthz")),
        ("Cluster", Protocol.TCP, None, ("TCP", "nodePort", None)),
        ("Cluster", Protocol.TCP, "http", ("HTTP", "nodePort", "/")),
        ("Cluster", Protocol.UDP, None, None),
        ("Local", Protocol.UDP, None, ("HTTP", "healthCheckNodePort", "/healthz")),
    ],
)
def test_aks_health_probe(
    etp: str,
    protocol: Protocol,
    app_protocol: str | None,
    probe: tuple[str, str, str | None] | None,
) -> None:
    d = aks_service(svc(etp=etp, protocol=protocol, app_protocol=app_protocol), AKS)
    assert d is not None
    if probe is None:
        assert d.health is None
        return
    assert d.health is not None
    assert (d.health.protocol, d.health.port, d.health.path) == probe
    assert d.health.sources == ("168.63.129.16/32",)


# CNI overview: overlay (the default) and kubenet hide pods behind the node; flat Azure CNI
# gives them VNet addresses.
@pytest.mark.parametrize(
    ("plugin", "routable"), [("overlay", False), ("kubenet", False), ("azure", True)]
)
def test_aks_pod_networking(plugin: str, routable: bool) -> None:
    choice = choose("aks", (f"network-plugin={plugin}",))
    assert choice.pods_routable_from("10.224.0.9") is routable
    assert not choice.pods_routable_from("203.0.113.1")


# AGIC overview: "talks to pods using their private IP address directly"; public unless
# use-private-ip.
@pytest.mark.parametrize(
    ("annotations", "scheme"),
    [({}, "internet-facing"), ({"appgw.ingress.kubernetes.io/use-private-ip": "true"}, "internal")],
)
def test_agic(annotations: dict[str, str], scheme: str) -> None:
    cls = IngressClass("azure-application-gateway", "azure/application-gateway")
    d = agic_decision(
        Ingress("shop", "web", cls.name, annotations=Labels(annotations)), cls, None, AKS
    )
    assert d is not None
    assert (d.path, d.seen, d.scheme) == (Path.POD_DIRECT, Seen.LOAD_BALANCER, scheme)
    assert d.lb_sources == ("10.225.0.0/16",)
    nginx = IngressClass("nginx", "k8s.io/ingress-nginx")
    assert agic_decision(Ingress("shop", "web", "nginx"), nginx, None, AKS) is None


# --- GKE -------------------------------------------------------------------------------


# "Service parameters": internal by loadBalancerClass or annotation; another class is not GKE's.
@pytest.mark.parametrize(
    ("annotations", "lb_class", "scheme"),
    [
        ({}, None, "internet-facing"),
        ({"networking.gke.io/load-balancer-type": "Internal"}, None, "internal"),
        ({"cloud.google.com/load-balancer-type": "Internal"}, None, "internal"),
        ({}, "networking.gke.io/l4-regional-internal", "internal"),
        ({}, "networking.gke.io/l4-regional-external", "internet-facing"),
        ({}, "example.com/lb", None),
    ],
)
def test_gke_scheme(annotations: dict[str, str], lb_class: str | None, scheme: str | None) -> None:
    d = gke_service(svc(annotations, lb_class=lb_class), GKE)
    assert (d.scheme if d else None) == scheme


# passthrough NLB: client IP kept, destination the LB address; health checks from Google's
# ranges (internal vs external), to the nodes.
@pytest.mark.parametrize(
    ("annotations", "etp", "sources", "port"),
    [
        ({}, "Cluster", ("35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"), "10256"),
        (
            {},
            "Local",
            ("35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"),
            "healthCheckNodePort",
        ),
        (
            {"networking.gke.io/load-balancer-type": "Internal"},
            "Cluster",
            ("35.191.0.0/16", "130.211.0.0/22"),
            "10256",
        ),
    ],
)
def test_gke_passthrough_and_health_checks(
    annotations: dict[str, str], etp: str, sources: tuple[str, ...], port: str
) -> None:
    d = gke_service(svc(annotations, etp=etp), GKE)
    assert d is not None and d.health is not None
    assert (d.path, d.seen) == (Path.PASSTHROUGH, Seen.CLIENT)
    assert (d.health.sources, d.health.port, d.health.to_pods) == (sources, port, False)


# container-native load balancing and the proxies' sources (firewall rules page).
@pytest.mark.parametrize(
    ("cls_name", "neg", "params", "path", "sources"),
    [
        ("gce", None, (), Path.POD_DIRECT, ("35.191.0.0/16", "130.211.0.0/22")),
        ("gce", '{"ingress": false}', (), Path.NODE_PORT, ("35.191.0.0/16", "130.211.0.0/22")),
        ("gce", None, ("vpc-native=false",), Path.NODE_PORT, ("35.191.0.0/16", "130.211.0.0/22")),
        ("gce-internal", '{"ingress": true}', (), Path.POD_DIRECT, ("10.129.0.0/23",)),
    ],
)
def test_gke_ingress(
    cls_name: str, neg: str | None, params: tuple[str, ...], path: Path, sources: tuple[str, ...]
) -> None:
    backend = svc({"cloud.google.com/neg": neg} if neg else {})
    d = gke_ingress(
        Ingress("shop", "web", None, class_annotation=cls_name),
        None,
        backend,
        choose("gke", params).params,
    )
    assert d is not None
    assert (d.path, d.seen, d.lb_sources) == (path, Seen.LOAD_BALANCER, sources)
    assert d.internal is (cls_name == "gce-internal")
    # "the GKE Ingress controller creates a Google Cloud HTTP(S) Load Balancer" per Ingress
    # (https://cloud.google.com/kubernetes-engine/docs/concepts/ingress)
    assert d.implementation.endswith("Load Balancer of Ingress/shop/web")
    assert any(n.startswith("one load balancer per Ingress: Ingress/shop/web") for n in d.notes)
    assert "https://cloud.google.com/kubernetes-engine/docs/concepts/ingress" in {
        c.url for c in d.cites
    }


@pytest.mark.parametrize(
    ("cls_name", "scheme", "sources"),
    [
        ("gke-l7-global-external-managed", "internet-facing", ("35.191.0.0/16", "130.211.0.0/22")),
        ("gke-l7-rilb", "internal", ("10.129.0.0/23",)),
        ("gke-l7-regional-external-managed", "internet-facing", ("10.129.0.0/23",)),
    ],
)
def test_gke_gateway_classes(cls_name: str, scheme: str, sources: tuple[str, ...]) -> None:
    gcls = GatewayClass(cls_name, "networking.gke.io/gateway")
    d = gke_gateway(Gateway("shop", "gw", cls_name), gcls, GKE)
    assert d is not None
    assert (d.scheme, d.path, d.lb_sources) == (scheme, Path.POD_DIRECT, sources)
    assert gke_gateway(Gateway("shop", "gw", "x"), GatewayClass("x", "example.com/gw"), GKE) is None
