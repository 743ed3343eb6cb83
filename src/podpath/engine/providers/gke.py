"""GKE: passthrough Network Load Balancers for Services, GKE Ingress (``gce``,
``gce-internal``) and the GKE Gateway controller's GatewayClasses.

LoadBalancer Services (https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters,
"Service parameters"; https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer):

- internal with ``spec.loadBalancerClass: networking.gke.io/l4-regional-internal`` or the
  annotation ``networking.gke.io/load-balancer-type: "Internal"`` (``cloud.google.com/...``
  before GKE 1.17): an internal passthrough NLB, reachable from the VPC network
  (https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing); else an
  external passthrough NLB (``networking.gke.io/l4-regional-external`` or none);
- passthrough: "Load-balanced packets are received by backend VMs with the packet's source and
  destination IP addresses ... unchanged" (https://cloud.google.com/load-balancing/docs/passthrough-network-load-balancer):
  the node gets the packet for the load-balancer address, with the client's address;
- ``loadBalancerSourceRanges``: VPC firewall rules GKE creates ("Firewall rules and source IP
  address allowlist"), and kube-proxy checks them too (the destination is the LB address);
- health checks: to the nodes, on ``healthCheckNodePort`` for ``externalTrafficPolicy: Local``
  and on kube-proxy's health port otherwise, from Google's health-check ranges
  (https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges): 35.191.0.0/16
  and 130.211.0.0/22 for internal passthrough NLBs, 35.191.0.0/16, 209.85.152.0/22 and
  209.85.204.0/22 for external ones.

GKE Ingress and Gateway are proxies. Container-native load balancing (NEGs: the default on
VPC-native clusters, https://cloud.google.com/kubernetes-engine/docs/concepts/container-native-load-balancing)
sends straight to pod IPs; otherwise to the Service's NodePort (instance groups). Google Front
Ends and health checks come from 35.191.0.0/16 and 130.211.0.0/22; the Envoy-based regional load
balancers (``gce-internal``, ``gke-l7-rilb``, ``gke-l7-regional-external-managed``) send from
the region's proxy-only subnet (https://cloud.google.com/load-balancing/docs/firewall-rules).
GatewayClasses: https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities.
"""

from __future__ import annotations

from podpath.engine.providers.base import (
    HEALTH_CHECK_NODE_PORT,
    INTERNAL,
    INTERNET_FACING,
    KUBE_PROXY_HEALTHZ,
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
)
from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.services import Service

INTERNAL_CLASS = "networking.gke.io/l4-regional-internal"
EXTERNAL_CLASS = "networking.gke.io/l4-regional-external"
LB_TYPE = "networking.gke.io/load-balancer-type"
LB_TYPE_LEGACY = "cloud.google.com/load-balancer-type"
NEG = "cloud.google.com/neg"
INGRESS_CONTROLLER = "k8s.io/ingress-gce"
GATEWAY_CONTROLLER = "networking.gke.io/gateway"
GFE_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
EXTERNAL_NLB_CHECKS = ("35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22")

GKE = "https://cloud.google.com/kubernetes-engine/docs/"
PARAMS_CITE = Cite(GKE + "concepts/service-load-balancer-parameters", "Service parameters")
INTERNAL_CITE = Cite(GKE + "how-to/internal-load-balancing", "Internal passthrough NLB")
PASSTHROUGH_CITE = Cite(
    "https://cloud.google.com/load-balancing/docs/passthrough-network-load-balancer",
    "Passthrough Network Load Balancer overview",
)
CHECKS_CITE = Cite(
    "https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges",
    "Probe IP ranges and firewall rules",
)
FIREWALL_CITE = Cite(
    "https://cloud.google.com/load-balancing/docs/firewall-rules",
    "Firewall rules per load balancer",
)
NEG_CITE = Cite(GKE + "concepts/container-native-load-balancing", "Container-native load balancing")
GATEWAY_CITE = Cite(GKE + "how-to/gatewayclass-capabilities", "GatewayClass capabilities")

# GatewayClass -> (scheme, Envoy-based regional: sends from the proxy-only subnet)
GATEWAY_CLASSES: dict[str, tuple[str, bool]] = {
    "gke-l7-global-external-managed": (INTERNET_FACING, False),
    "gke-l7-gxlb": (INTERNET_FACING, False),
    "gke-l7-regional-external-managed": (INTERNET_FACING, True),
    "gke-l7-rilb": (INTERNAL, True),
    "gke-l7-global-external-managed-mc": (INTERNET_FACING, False),
    "gke-l7-gxlb-mc": (INTERNET_FACING, False),
    "gke-l7-regional-external-managed-mc": (INTERNET_FACING, True),
    "gke-l7-rilb-mc": (INTERNAL, True),
    "gke-l7-cross-regional-internal-managed-mc": (INTERNAL, True),
}

PARAMS = (
    ParamSpec("vpc-cidr", "10.128.0.0/9", "the VPC network's CIDR(s) (an auto-mode VPC's range)"),
    ParamSpec(
        "proxy-only-subnet",
        "10.129.0.0/23",
        "the region's proxy-only subnet (Envoy-based regional load balancers)",
    ),
    ParamSpec("vpc-native", "true", "true: pod IPs are VPC alias IPs (NEGs are the default)"),
)


def gke_scheme(service: Service) -> tuple[str, str] | None:
    """Internal or external and why; None for a ``loadBalancerClass`` that is not GKE's."""
    if service.lb_class == INTERNAL_CLASS:
        return INTERNAL, f"spec.loadBalancerClass {INTERNAL_CLASS}"
    if service.lb_class == EXTERNAL_CLASS:
        return INTERNET_FACING, f"spec.loadBalancerClass {EXTERNAL_CLASS}"
    if service.lb_class is not None:
        return None
    for key in (LB_TYPE, LB_TYPE_LEGACY):
        if (service.annotations.get(key) or "").strip().lower() == "internal":
            return INTERNAL, f'annotation {key}: "Internal"'
    return INTERNET_FACING, f"default external: no {LB_TYPE} annotation"


def gke_service(service: Service, params: Params) -> Decision | None:
    """The passthrough NLB GKE makes for a LoadBalancer Service (module docstring)."""
    scheme = gke_scheme(service)
    if scheme is None:
        return None
    kind, why = scheme
    local = service.external_traffic_policy == "Local"
    checks = GFE_RANGES if kind == INTERNAL else EXTERNAL_NLB_CHECKS
    health = HealthCheck(
        checks,
        HEALTH_CHECK_NODE_PORT if local else KUBE_PROXY_HEALTHZ,
        "HTTP",
        False,
        "/healthz",
        CHECKS_CITE,
    )
    ranges = Ranges(
        service.lb_source_ranges,
        "spec.loadBalancerSourceRanges" if service.lb_source_ranges else "",
        "VPC firewall rules and kube-proxy",
        cite=PARAMS_CITE,
    )
    label = "internal" if kind == INTERNAL else "external"
    return Decision(
        "gke",
        f"{label} passthrough Network Load Balancer",
        why,
        kind,
        why,
        Path.PASSTHROUGH,
        "passthrough",
        Seen.CLIENT,
        ranges,
        health,
        params.cidrs("vpc-cidr") if kind == INTERNAL else (),
        (),
        (),
        (PARAMS_CITE, INTERNAL_CITE, PASSTHROUGH_CITE, CHECKS_CITE),
    )


def neg_enabled(backend: Service | None, params: Params) -> tuple[bool, str]:
    """Container-native load balancing for an Ingress backend: the Service's
    ``cloud.google.com/neg`` annotation, else the VPC-native default."""
    value = (backend.annotations.get(NEG) if backend else None) or ""
    compact = value.replace(" ", "").lower()
    if '"ingress":true' in compact:
        return True, f"annotation {NEG} on {backend.key if backend else ''}"
    if '"ingress":false' in compact:
        return False, f"annotation {NEG} on {backend.key if backend else ''}"
    native = params.get("vpc-native").lower() == "true"
    return native, "default on VPC-native clusters" if native else "routes-based cluster"


def _proxy(
    what: str,
    why: str,
    scheme: str,
    regional: bool,
    neg: tuple[bool, str],
    params: Params,
    cite: Cite,
    notes: tuple[str, ...] = (),
) -> Decision:
    sources = params.cidrs("proxy-only-subnet") if regional else GFE_RANGES
    direct, neg_why = neg
    health = HealthCheck(GFE_RANGES, TRAFFIC_PORT, "HTTP", direct, "/", CHECKS_CITE, not direct)
    return Decision(
        "gke",
        what,
        why,
        scheme,
        why,
        Path.POD_DIRECT if direct else Path.NODE_PORT,
        "NEG" if direct else "instance group",
        Seen.LOAD_BALANCER,
        Ranges(at="Cloud Armor (a BackendConfig/GCPBackendPolicy; not modelled)"),
        health,
        params.cidrs("vpc-cidr") if scheme == INTERNAL else (),
        sources,
        (f"container-native load balancing {'on' if direct else 'off'} ({neg_why})", *notes),
        (cite, NEG_CITE, FIREWALL_CITE, CHECKS_CITE),
    )


def gke_ingress(
    ingress: Ingress, cls: IngressClass | None, backend: Service | None, params: Params
) -> Decision | None:
    """GKE Ingress: ``gce`` an external Application Load Balancer (Google Front Ends),
    ``gce-internal`` a regional internal one (Envoy, the proxy-only subnet).

    One load balancer per Ingress: "When you create an Ingress object, the GKE Ingress
    controller creates a Google Cloud HTTP(S) Load Balancer and configures it according to
    the information in the Ingress and its associated Services"
    (https://cloud.google.com/kubernetes-engine/docs/concepts/ingress). Unlike ingress-nginx,
    which serves every Ingress of its class from one address, each Ingress has its own address
    (its ``status.loadBalancer.ingress``) and its own URL map, built from its rules alone."""
    name = ingress.class_name or ingress.class_annotation or ""
    if cls is not None and cls.controller != INGRESS_CONTROLLER:
        return None
    if cls is None and name not in ("gce", "gce-internal"):
        return None
    internal = name == "gce-internal"
    what = (
        "internal Application Load Balancer" if internal else "external Application Load Balancer"
    )
    scheme = INTERNAL if internal else INTERNET_FACING
    cite = Cite(GKE + "concepts/ingress", "GKE Ingress")
    own = (
        f"one load balancer per Ingress: {ingress.ref} has its own address and URL map "
        "(its rules only; other Ingresses of the class are other load balancers)"
    )
    return _proxy(
        f"{what} of {ingress.ref}",
        f"Ingress class {name}",
        scheme,
        internal,
        neg_enabled(backend, params),
        params,
        cite,
        (own,),
    )


def gke_gateway(gateway: Gateway, cls: GatewayClass, params: Params) -> Decision | None:
    """A Gateway of one of GKE's GatewayClasses (container-native by default)."""
    if cls.controller_name != GATEWAY_CONTROLLER:
        return None
    scheme, regional = GATEWAY_CLASSES.get(cls.name, (INTERNET_FACING, False))
    return _proxy(
        f"Gateway class {cls.name}",
        f"GatewayClass {cls.name} controllerName {GATEWAY_CONTROLLER}",
        scheme,
        regional,
        (True, "GKE Gateways use NEGs"),
        params,
        GATEWAY_CITE,
    )


def vpc_pods(params: Params) -> tuple[str, ...]:
    """VPC-native clusters give pods alias IPs of the VPC."""
    return params.cidrs("vpc-cidr") if params.get("vpc-native").lower() == "true" else ()


PROFILE = Profile(
    "gke",
    "Google Kubernetes Engine",
    PARAMS,
    gke_service,
    gke_ingress,
    gke_gateway,
    (INGRESS_CONTROLLER,),
    (GATEWAY_CONTROLLER,),
    vpc_pods,
    docs=(PARAMS_CITE, PASSTHROUGH_CITE, CHECKS_CITE, NEG_CITE, FIREWALL_CITE, GATEWAY_CITE),
)
