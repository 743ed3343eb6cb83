"""kind with cloud-provider-kind (https://github.com/kubernetes-sigs/cloud-provider-kind#readme): a
LoadBalancer Service gets an Envoy container on the kind network whose address is the
load-balancer address; Envoy proxies TCP/UDP to every node's NodePort, checks the nodes on
kube-proxy's port 10256 (``healthCheckNodePort`` for Local) and matches
``loadBalancerSourceRanges`` itself
(https://github.com/kubernetes-sigs/cloud-provider-kind/blob/main/pkg/loadbalancer/proxy.go).
It implements Ingress (class ``cloud-provider-kind``, ``docs/user/ingress/ingress.md``) and
Gateway (controller ``kind.sigs.k8s.io/gateway-controller``) with Envoy sending to the
backend's ClusterIP (``pkg/gateway/gateway.go``), which kube-proxy masquerades (traffic to a
ClusterIP from outside the cluster CIDR:
https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/, ``--cluster-cidr``).
The kind network is reachable from the host only.
"""

from __future__ import annotations

from podpath.engine.providers.base import (
    HEALTH_CHECK_NODE_PORT,
    INTERNAL,
    KUBE_PROXY_HEALTHZ,
    KUBE_PROXY_MASQ,
    Cite,
    Decision,
    HealthCheck,
    Params,
    ParamSpec,
    Path,
    Profile,
    Ranges,
    Seen,
)
from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.services import Service

KIND_README = Cite(
    "https://github.com/kubernetes-sigs/cloud-provider-kind#readme", "Creating a Service"
)
KIND_PROXY = Cite(
    "https://github.com/kubernetes-sigs/cloud-provider-kind/blob/main/pkg/loadbalancer/proxy.go",
    "generateConfig: NodePort backends, health check port, source ranges",
)
KIND_GATEWAY = Cite(
    "https://github.com/kubernetes-sigs/cloud-provider-kind/blob/main/pkg/gateway/gateway.go",
    "backend clusters: the Service's ClusterIP",
)
KIND_INGRESS_CONTROLLER = "kind.sigs.k8s.io/ingress-controller"
KIND_GATEWAY_CONTROLLER = "kind.sigs.k8s.io/gateway-controller"


def kind_network(params: Params) -> tuple[str, ...]:
    return params.cidrs("network")


def kind_service(service: Service, params: Params) -> Decision | None:
    """cloud-provider-kind's Envoy load balancer (module docstring)."""
    if service.lb_class is not None:
        return None
    local = service.external_traffic_policy == "Local"
    health = HealthCheck(
        tuple(f"{a}/32" for a in service.lb_ingress),
        HEALTH_CHECK_NODE_PORT if local else KUBE_PROXY_HEALTHZ,
        "HTTP",
        False,
        "/healthz",
        KIND_PROXY,
    )
    return Decision(
        "kind",
        "cloud-provider-kind (Envoy container)",
        "cloud-provider-kind takes every LoadBalancer Service without loadBalancerClass",
        INTERNAL,
        "the load balancer is a container on the kind network: reachable from the host",
        Path.NODE_PORT,
        "NodePort",
        Seen.LOAD_BALANCER,
        Ranges(
            service.lb_source_ranges,
            "spec.loadBalancerSourceRanges" if service.lb_source_ranges else "",
            "the Envoy container (filter chain source ranges)",
            cite=KIND_PROXY,
        ),
        health,
        kind_network(params),
        tuple(f"{a}/32" for a in service.lb_ingress),
        (
            "Envoy proxies to the NodePort: pods see the load balancer's address, or the node's "
            "after kube-proxy's source NAT",
        ),
        (KIND_README, KIND_PROXY),
    )


def _kind_proxy(what: str, why: str, params: Params) -> Decision:
    return Decision(
        "kind",
        what,
        why,
        INTERNAL,
        "an Envoy container on the kind network: reachable from the host",
        Path.CLUSTER_IP,
        "ClusterIP",
        Seen.LOAD_BALANCER,
        Ranges(at="(none)"),
        None,
        kind_network(params),
        kind_network(params),
        ("Envoy sends to the backend's ClusterIP; kube-proxy masquerades it to the node",),
        (KIND_README, KIND_GATEWAY, KUBE_PROXY_MASQ),
    )


def kind_ingress(
    ingress: Ingress, cls: IngressClass | None, backend: Service | None, params: Params
) -> Decision | None:
    if cls is None or cls.controller != KIND_INGRESS_CONTROLLER:
        return None
    return _kind_proxy("cloud-provider-kind Ingress (Envoy)", f"IngressClass {cls.name}", params)


def kind_gateway(gateway: Gateway, cls: GatewayClass, params: Params) -> Decision | None:
    if cls.controller_name != KIND_GATEWAY_CONTROLLER:
        return None
    return _kind_proxy("cloud-provider-kind Gateway (Envoy)", f"GatewayClass {cls.name}", params)


PROFILE = Profile(
    "kind",
    "kind with cloud-provider-kind",
    (ParamSpec("network", "172.18.0.0/16", "the kind docker network (reachable from the host)"),),
    kind_service,
    kind_ingress,
    kind_gateway,
    (KIND_INGRESS_CONTROLLER,),
    (KIND_GATEWAY_CONTROLLER,),
    nodes_reachable=kind_network,
    docs=(KIND_README, KIND_PROXY, KIND_GATEWAY),
)
