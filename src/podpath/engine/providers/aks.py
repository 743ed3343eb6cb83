"""AKS: the Azure cloud provider's Standard Load Balancer for Services, and the Application
Gateway Ingress Controller (AGIC).

Azure Load Balancer (https://kubernetes-sigs.github.io/cloud-provider-azure/topics/loadbalancer/,
"LoadBalancer annotations"; https://learn.microsoft.com/en-us/azure/aks/configure-load-balancer-standard):

- public unless ``service.beta.kubernetes.io/azure-load-balancer-internal: "true"`` (an
  internal load balancer takes a private address of the VNet and serves only the VNet and
  peered networks: https://learn.microsoft.com/en-us/azure/aks/internal-lb);
- floating IP is on unless ``azure-disable-load-balancer-floating-ip: "true"``: the packet
  reaches the node with the load-balancer address as destination (kube-proxy's load-balancer
  rules); off, it is sent to the NodePort. A layer-4 pass-through: the client IP is kept, and
  ``externalTrafficPolicy: Cluster`` then masquerades to the node ("Maintain the client's IP on
  inbound connections");
- ``loadBalancerSourceRanges``: an NSG rule *and* kube-proxy's host rules ("Restrict inbound
  traffic to specific IP ranges", "Customize allowed IP ranges"); the
  ``azure-allowed-ip-ranges`` annotation: the NSG only. The NSG's default rule 65000 still
  admits every client of the VNet unless ``azure-deny-all-except-load-balancer-source-ranges:
  "true"`` (cloud-provider-azure annotations table) -- so a VNet client outside the ranges gets
  through wherever kube-proxy does not check them (the annotation alone, or floating IP off);
- health probes ("Default health probe behavior"): HTTP ``/healthz`` on ``healthCheckNodePort``
  for ``externalTrafficPolicy: Local`` (answered on the node), TCP on the NodePort for Cluster
  TCP Services (kube-proxy forwards it to a pod), HTTP(S) ``/`` with an http/https
  ``appProtocol``, none for Cluster UDP; they come from 168.63.129.16
  (https://learn.microsoft.com/en-us/azure/load-balancer/load-balancer-custom-probe-overview#probe-source-ip-address).

Pod networking (https://learn.microsoft.com/en-us/azure/aks/concepts-network-cni-overview):
Azure CNI Overlay -- the default (https://learn.microsoft.com/en-us/azure/aks/azure-cni-overlay)
-- and kubenet hide pods behind the node's address; flat Azure CNI (node subnet or pod subnet)
gives pods VNet addresses, reachable from the VNet.

AGIC (https://learn.microsoft.com/en-us/azure/application-gateway/ingress-controller-overview):
"Application Gateway talks to pods using their private IP address directly and doesn't require
NodePort or KubeProxy services" -- a proxy in its own subnet; public unless
``appgw.ingress.kubernetes.io/use-private-ip: "true"``.
"""

from __future__ import annotations

from podpath.engine.providers.base import (
    HEALTH_CHECK_NODE_PORT,
    INTERNAL,
    INTERNET_FACING,
    TRAFFIC_PORT,
    Cite,
    Decision,
    HealthCheck,
    Params,
    ParamSpec,
    Path,
    Profile,
    Ranges,
    Seen,
    annotation_bool,
    annotation_list,
)
from podpath.model.core import Protocol
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.services import Service

A = "service.beta.kubernetes.io/"
INTERNAL_ANN = A + "azure-load-balancer-internal"
NO_FLOATING_IP = A + "azure-disable-load-balancer-floating-ip"
ALLOWED_RANGES = A + "azure-allowed-ip-ranges"
DENY_ALL = A + "azure-deny-all-except-load-balancer-source-ranges"
PROBE_PATH = A + "azure-load-balancer-health-probe-request-path"
AGIC_CONTROLLER = "azure/application-gateway"
AGIC_PRIVATE = "appgw.ingress.kubernetes.io/use-private-ip"
PROBE_SOURCE = "168.63.129.16/32"
NODE_PORT = "nodePort"  # the probe of a Cluster Service: the node's NodePort

CPA = "https://kubernetes-sigs.github.io/cloud-provider-azure/topics/loadbalancer/"
LEARN = "https://learn.microsoft.com/en-us/azure/"
ANNOTATIONS_CITE = Cite(CPA + "#loadbalancer-annotations", "LoadBalancer annotations")
INTERNAL_CITE = Cite(LEARN + "aks/internal-lb", "Create an internal load balancer")
RANGES_CITE = Cite(
    LEARN + "aks/configure-load-balancer-standard#restrict-inbound-traffic-to-specific-ip-ranges",
    "Restrict inbound traffic to specific IP ranges; Customize allowed IP ranges",
)
CLIENT_IP_CITE = Cite(
    LEARN + "aks/configure-load-balancer-standard#maintain-the-clients-ip-on-inbound-connections",
    "Maintain the client's IP on inbound connections",
)
PROBE_CITE = Cite(
    LEARN + "aks/configure-load-balancer-standard#default-health-probe-behavior",
    "Default health probe behavior",
)
PROBE_SOURCE_CITE = Cite(
    LEARN + "load-balancer/load-balancer-custom-probe-overview#probe-source-ip-address",
    "Probe source IP address",
)
CNI_CITE = Cite(LEARN + "aks/concepts-network-cni-overview", "Overlay networks; Flat networks")
AGIC_CITE = Cite(
    LEARN + "application-gateway/ingress-controller-overview",
    "Benefits of Application Gateway Ingress Controller",
)

PARAMS = (
    ParamSpec("vnet-cidr", "10.224.0.0/12", "the VNet's CIDR(s) (the AKS-managed VNet's space)"),
    ParamSpec(
        "network-plugin",
        "overlay",
        "overlay (Azure CNI Overlay, the default), kubenet, or azure (flat: pods on the VNet)",
    ),
    ParamSpec("appgw-subnet", "10.225.0.0/16", "the Application Gateway's subnet (AGIC)"),
)


def azure_scheme(service: Service) -> tuple[str, str]:
    internal = annotation_bool(service, INTERNAL_ANN)
    if internal:
        return INTERNAL, f'annotation {INTERNAL_ANN}: "true"'
    return INTERNET_FACING, f"default public: no {INTERNAL_ANN} annotation"


def floating_ip(service: Service) -> bool:
    """Floating IP: on unless the disable annotation is ``"true"``."""
    return annotation_bool(service, NO_FLOATING_IP) is not True


def azure_ranges(service: Service, params: Params) -> Ranges:
    """Where source ranges are enforced, and the VNet clients the default NSG rule still
    admits (module docstring)."""
    deny_all = annotation_bool(service, DENY_ALL) is True
    vnet = () if deny_all else params.cidrs("vnet-cidr")
    if service.lb_source_ranges:
        host = floating_ip(service)
        at = "the NSG and kube-proxy" if host else "the NSG (kube-proxy does not check a NodePort)"
        return Ranges(
            service.lb_source_ranges,
            "spec.loadBalancerSourceRanges",
            at,
            None,
            () if host else vnet,
            RANGES_CITE,
        )
    allowed = annotation_list(service, ALLOWED_RANGES)
    if allowed:
        return Ranges(allowed, f"annotation {ALLOWED_RANGES}", "the NSG", None, vnet, RANGES_CITE)
    return Ranges(at="the NSG", cite=RANGES_CITE)


def azure_probe(service: Service) -> HealthCheck | None:
    """The health probe ("Default health probe behavior")."""
    if service.external_traffic_policy == "Local":
        return HealthCheck(
            (PROBE_SOURCE,), HEALTH_CHECK_NODE_PORT, "HTTP", False, "/healthz", PROBE_CITE
        )
    if service.ports and all(p.protocol is Protocol.UDP for p in service.ports):
        return None
    proto = next((p.app_protocol for p in service.ports if p.app_protocol), None)
    if proto is not None and proto.lower() in ("http", "https"):
        path = service.annotations.get(PROBE_PATH) or "/"
        return HealthCheck((PROBE_SOURCE,), NODE_PORT, proto.upper(), False, path, PROBE_CITE, True)
    return HealthCheck((PROBE_SOURCE,), NODE_PORT, "TCP", False, None, PROBE_CITE, True)


def aks_service(service: Service, params: Params) -> Decision | None:
    """The Azure Standard Load Balancer for a LoadBalancer Service (module docstring); a
    Service with another ``loadBalancerClass`` is not Azure's."""
    if service.lb_class is not None:
        return None
    scheme, scheme_why = azure_scheme(service)
    floating = floating_ip(service)
    notes = ["floating IP on (default)" if floating else f"floating IP off ({NO_FLOATING_IP})"]
    ranges = azure_ranges(service, params)
    if ranges.bypass:
        notes.append(
            "the NSG's default rule 65000 admits the VNet "
            f"({', '.join(ranges.bypass)}) unless {DENY_ALL} is true"
        )
    return Decision(
        "aks",
        "Azure Standard Load Balancer" + (" (internal)" if scheme == INTERNAL else ""),
        "the Azure cloud provider (no loadBalancerClass)",
        scheme,
        scheme_why,
        Path.PASSTHROUGH if floating else Path.NODE_PORT,
        "floating IP" if floating else "NodePort",
        Seen.CLIENT,
        ranges,
        azure_probe(service),
        params.cidrs("vnet-cidr") if scheme == INTERNAL else (),
        (),
        tuple(notes),
        (
            ANNOTATIONS_CITE,
            INTERNAL_CITE,
            CLIENT_IP_CITE,
            RANGES_CITE,
            PROBE_CITE,
            PROBE_SOURCE_CITE,
        ),
    )


def agic_decision(
    ingress: Ingress, cls: IngressClass | None, backend: Service | None, params: Params
) -> Decision | None:
    """The Application Gateway in front of an Ingress of AGIC's class (module docstring)."""
    name = ingress.class_name or ingress.class_annotation
    if cls is not None and cls.controller != AGIC_CONTROLLER:
        return None
    if cls is None and name != "azure-application-gateway":
        return None
    private = annotation_bool(ingress, AGIC_PRIVATE) is True
    scheme = INTERNAL if private else INTERNET_FACING
    subnet = params.cidrs("appgw-subnet")
    health = HealthCheck(subnet, TRAFFIC_PORT, "HTTP", True, "/", AGIC_CITE)
    return Decision(
        "aks",
        "Azure Application Gateway (AGIC)",
        f"IngressClass controller {AGIC_CONTROLLER}",
        scheme,
        f'annotation {AGIC_PRIVATE}: "true"' if private else "default: public frontend",
        Path.POD_DIRECT,
        "pod IP",
        Seen.LOAD_BALANCER,
        Ranges(at="the Application Gateway subnet's NSG or WAF (not modelled)"),
        health,
        params.cidrs("vnet-cidr") if private else (),
        subnet,
        ("Application Gateway talks to the pods' IPs directly, without NodePort or kube-proxy",),
        (AGIC_CITE,),
    )


def vnet_pods(params: Params) -> tuple[str, ...]:
    """Flat Azure CNI gives pods VNet addresses; overlay and kubenet do not."""
    return params.cidrs("vnet-cidr") if params.get("network-plugin") == "azure" else ()


PROFILE = Profile(
    "aks",
    "Azure Kubernetes Service",
    PARAMS,
    aks_service,
    agic_decision,
    ingress_controllers=(AGIC_CONTROLLER,),
    pods_routable=vnet_pods,
    docs=(ANNOTATIONS_CITE, RANGES_CITE, PROBE_CITE, CNI_CITE, AGIC_CITE),
)
