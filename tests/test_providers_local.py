"""MetalLB, kind (cloud-provider-kind), minikube, detection and parameters.

Pages: https://metallb.universe.tf/usage/#traffic-policies, https://metallb.universe.tf/concepts/layer2/,
https://github.com/kubernetes-sigs/cloud-provider-kind#readme (and pkg/loadbalancer/proxy.go),
https://minikube.sigs.k8s.io/docs/handbook/accessing/#loadbalancer-access,
https://minikube.sigs.k8s.io/docs/commands/tunnel/.
"""

from __future__ import annotations

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.api import load_cluster
from podpath.engine.providers import CHOICES, choose
from podpath.engine.providers.base import Path, Seen
from podpath.engine.providers.detect import detect
from podpath.engine.providers.kind import kind_gateway, kind_ingress, kind_service
from podpath.engine.providers.metallb import metallb_service
from podpath.engine.providers.minikube import minikube_service
from podpath.errors import InputError
from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.services import Service, ServicePort, ServiceType


def svc(etp: str = "Cluster", lb_class: str | None = None, ranges: tuple[str, ...] = ()) -> Service:
    return Service(
        "shop",
        "web",
        ServiceType.LOAD_BALANCER,
        ports=(ServicePort(80, 8080, node_port=30080),),
        lb_ingress=("172.18.0.5",),
        lb_source_ranges=ranges,
        external_traffic_policy=etp,
        lb_class=lb_class,
    )


# MetalLB traffic policies: layer 2, one node; BGP, every node or the nodes with endpoints;
# passthrough with the client's address; kube-proxy enforces the ranges.
@pytest.mark.parametrize(
    ("mode", "etp", "note"),
    [
        ("l2", "Cluster", "layer 2: one node (the leader MetalLB elects) attracts all the traffic"),
        ("l2", "Local", "only that node's pods serve"),
        ("bgp", "Cluster", "BGP: every node announce the address"),
        ("bgp", "Local", "BGP: the nodes with a ready endpoint announce the address"),
    ],
)
def test_metallb(mode: str, etp: str, note: str) -> None:
    d = metallb_service(
        svc(etp, ranges=("10.0.0.0/8",)), choose("metallb", (f"mode={mode}",)).params
    )
    assert d is not None
    assert (d.path, d.seen, d.health) == (Path.PASSTHROUGH, Seen.CLIENT, None)
    assert any(note in n for n in d.notes)
    assert d.ranges.at.startswith("kube-proxy")


def test_metallb_lb_class() -> None:
    params = choose("metallb").params
    assert metallb_service(svc(lb_class="example.com/other"), params) is None
    classed = choose("metallb", ("lb-class=metallb",)).params
    assert metallb_service(svc(lb_class="metallb"), classed) is not None


# cloud-provider-kind: Envoy proxies to the NodePorts (pods see the LB address), health check
# on kube-proxy's 10256 or healthCheckNodePort, source ranges in Envoy, the kind network.
@pytest.mark.parametrize(("etp", "port"), [("Cluster", "10256"), ("Local", "healthCheckNodePort")])
def test_cloud_provider_kind(etp: str, port: str) -> None:
    d = kind_service(svc(etp, ranges=("172.18.0.1/32",)), choose("kind").params)
    assert d is not None and d.health is not None
    assert (d.path, d.seen, d.health.port) == (Path.NODE_PORT, Seen.LOAD_BALANCER, port)
    assert d.seen_addresses("172.18.0.1") == ("172.18.0.5",)
    assert d.ranges.at.startswith("the Envoy container")
    assert d.reachable("172.18.0.1") and not d.reachable("203.0.113.1")


def test_cloud_provider_kind_ingress_and_gateway() -> None:
    params = choose("kind").params
    cls = IngressClass("cloud-provider-kind", "kind.sigs.k8s.io/ingress-controller")
    d = kind_ingress(Ingress("shop", "web", cls.name), cls, None, params)
    assert d is not None and d.path is Path.CLUSTER_IP
    gcls = GatewayClass("cloud-provider-kind", "kind.sigs.k8s.io/gateway-controller")
    assert kind_gateway(Gateway("shop", "gw", gcls.name), gcls, params) is not None
    assert (
        kind_ingress(Ingress("shop", "web", "nginx"), IngressClass("nginx", "x"), None, params)
        is None
    )


# minikube tunnel: "sets their Ingress to their ClusterIP"; the host only; without the tunnel
# nothing is reachable; the ranges are not on the path (the ClusterIP).
@pytest.mark.parametrize(("tunnel", "host_reaches"), [("on", True), ("off", False)])
def test_minikube_tunnel(tunnel: str, host_reaches: bool) -> None:
    d = minikube_service(
        svc(ranges=("10.0.0.0/8",)), choose("minikube", (f"tunnel={tunnel}",)).params
    )
    assert d is not None
    assert d.path is Path.CLUSTER_IP
    assert d.reachable("192.168.49.1") is host_reaches
    assert not d.reachable("203.0.113.1")
    assert d.ranges.ignored is not None


def test_parameters() -> None:
    assert CHOICES[:2] == ("auto", "none")
    choice = choose("eks", ("vpc-cidr=10.0.0.0/16", "lb-subnets=10.0.200.0/24"))
    assert choice.params.cidrs("vpc-cidr") == ("10.0.0.0/16",)
    assert choice.params.get("cni") == "vpc-cni"  # the documented default
    with pytest.raises(InputError, match="unknown parameter 'vnet-cidr' for provider eks"):
        choose("eks", ("vnet-cidr=10.0.0.0/16",))
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        choose("eks", ("vpc-cidr",))
    with pytest.raises(InputError, match="unknown provider"):
        choose("openstack")


NODE = """
apiVersion: v1
kind: Node
metadata: {{name: n1, labels: {{{label}: x}}}}
status: {{addresses: [{{type: InternalIP, address: 10.0.0.10}}]}}
"""


@pytest.mark.parametrize(
    ("label", "provider"),
    [
        ("eks.amazonaws.com/nodegroup", "eks"),
        ("kubernetes.azure.com/agentpool", "aks"),
        ("cloud.google.com/gke-nodepool", "gke"),
        ("minikube.k8s.io/name", "minikube"),
        ("example.com/pool", "none"),
    ],
)
def test_detect_from_node_labels(tmp_path, label: str, provider: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "n.yaml").write_text(NODE.format(label=label))
    found = detect(load_cluster((str(tmp_path),)))
    assert found.provider == provider
    assert ("detected " + provider) in found.note or provider == "none"


ING_CLASS = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {{name: c}}\n"
GW_CLASS = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {{name: c}}\n"
LB_SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata: {{name: s, annotations: {{{ann}}}}}\n"
    "spec: {{type: LoadBalancer, {cls}ports: [{{port: 80}}]}}\n"
)


@pytest.mark.parametrize(
    ("doc", "provider"),
    [
        (ING_CLASS.format() + "spec: {controller: ingress.k8s.aws/alb}\n", "eks"),
        (ING_CLASS.format() + "spec: {controller: azure/application-gateway}\n", "aks"),
        (GW_CLASS.format() + "spec: {controllerName: networking.gke.io/gateway}\n", "gke"),
        (
            GW_CLASS.format() + "spec: {controllerName: kind.sigs.k8s.io/gateway-controller}\n",
            "kind",
        ),
        (LB_SERVICE.format(ann="metallb.universe.tf/address-pool: p", cls=""), "metallb"),
        (
            LB_SERVICE.format(
                ann="", cls="loadBalancerClass: networking.gke.io/l4-regional-internal, "
            ),
            "gke",
        ),
    ],
)
def test_detect_from_objects(tmp_path, doc: str, provider: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "o.yaml").write_text(doc)
    assert detect(load_cluster((str(tmp_path),))).provider == provider


ADDON = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: minikube, labels: {minikube.k8s.io/name: minikube}}
  status: {addresses: [{type: InternalIP, address: NODE_IP}]}
- apiVersion: v1
  kind: Pod
  metadata:
    name: ingress-nginx-controller-0
    namespace: ingress-nginx
    labels: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}
  spec:
    nodeName: minikube
    containers: [{name: c, image: i, ports: [{containerPort: 80, hostPort: 80}]}]
  status: {podIP: 10.244.0.9}
- apiVersion: v1
  kind: Pod
  metadata: {name: hello-0, namespace: default, labels: {app: hello}}
  spec: {nodeName: minikube, containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
  status: {podIP: 10.244.0.5}
- apiVersion: v1
  kind: Service
  metadata: {name: hello, namespace: default}
  spec: {selector: {app: hello}, ports: [{port: 80, targetPort: 8080}]}
- apiVersion: networking.k8s.io/v1
  kind: IngressClass
  metadata: {name: nginx}
  spec: {controller: k8s.io/ingress-nginx}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: hello, namespace: default}
  spec:
    ingressClassName: nginx
    rules:
    - host: hello.local
      http:
        paths:
        - {path: /, pathType: Prefix, backend: {service: {name: hello, port: {number: 80}}}}
"""


# The minikube ingress addon and kind's legacy recipe (extraPortMappings to the controller's
# hostPorts): the controller is reached on the node, and the nodes only from the host.
@pytest.mark.parametrize(
    ("provider", "node_ip", "host"),
    [("minikube", "192.168.49.2", "192.168.49.1"), ("kind", "172.18.0.2", "172.18.0.1")],
)
def test_host_ports_of_a_local_cluster_are_reached_from_the_host_only(
    tmp_path,
    provider: str,
    node_ip: str,
    host: str,  # type: ignore[no-untyped-def]
) -> None:
    (tmp_path / "c.yaml").write_text(ADDON.replace("NODE_IP", node_ip))
    cluster = load_cluster([str(tmp_path)])
    choice = choose(provider)
    outside = trace(cluster, "internet", "http://hello.local/", None, None, choice)
    assert (outside.verdict, outside.drop) == ("unreachable", "no route")
    assert "host's private network" in outside.hops[-1].detail
    assert trace(cluster, host, "http://hello.local/", None, None, choice).verdict == "allowed"
    assert trace(cluster, host, "http://hello.local/").verdict == "allowed"  # generic model
