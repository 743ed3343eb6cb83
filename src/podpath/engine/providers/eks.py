"""EKS: the AWS Load Balancer Controller (NLB for Services, ALB for Ingress and Gateway) and,
for Services it does not take, the in-tree AWS cloud provider.

Which controller takes a LoadBalancer Service
(https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/nlb/,
"Configuration"): ``spec.loadBalancerClass: service.k8s.aws/nlb``, or the annotation
``service.beta.kubernetes.io/aws-load-balancer-type: external`` (or the legacy ``nlb-ip``); a
``loadBalancerClass`` the controller does not know is ignored by it; without either, the
in-tree cloud provider makes a Classic ELB (or an NLB with ``aws-load-balancer-type: nlb``).

The controller's NLB (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/):

- scheme ``internal`` unless ``aws-load-balancer-scheme: internet-facing`` ("Secure by
  default", #lb-scheme; the deprecated ``aws-load-balancer-internal`` when the scheme is not
  given, #lb-internal);
- target type (#nlb-target-type): ``instance`` -- the NodePort, kube-proxy forwards (the
  default with ``loadBalancerClass``) -- or ``ip`` -- straight to the pod IPs (needs pods with
  VPC addresses: the VPC CNI);
- client IP preservation (``preserve_client_ip.enabled`` in
  ``aws-load-balancer-target-group-attributes``): by default on for instance targets and for
  ip targets over UDP, off for ip targets over TCP/TLS
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation);
  off, targets see the NLB's private address;
- source ranges (``spec.loadBalancerSourceRanges``, else the
  ``service.beta.kubernetes.io/load-balancer-source-ranges`` annotation, #lb-source-ranges):
  security group rules, *ignored* when client IP preservation is off or
  ``aws-load-balancer-security-groups`` is given;
- health check (#healthcheck-protocol, #healthcheck-port): TCP on the traffic port for
  ``externalTrafficPolicy: Cluster``, HTTP on ``healthCheckNodePort`` for ``Local``; it comes
  from the NLB's subnets (nlb page, "Worker node security groups rules").

The ALB for Ingress (:mod:`podpath.engine.providers.alb`) and Gateway follow the same
scheme and target-type defaults.
"""

from __future__ import annotations

from podpath.engine.providers.alb import ALB_CONTROLLER, alb_decision, lb_subnets
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
    annotation_map,
)
from podpath.model.core import Protocol
from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.services import Service

NLB_CLASS = "service.k8s.aws/nlb"
GATEWAY_ALB = "gateway.k8s.aws/alb"
GATEWAY_NLB = "gateway.k8s.aws/nlb"
A = "service.beta.kubernetes.io/"
TYPE = A + "aws-load-balancer-type"
SCHEME = A + "aws-load-balancer-scheme"
INTERNAL_ANN = A + "aws-load-balancer-internal"
TARGET_TYPE = A + "aws-load-balancer-nlb-target-type"
TG_ATTRIBUTES = A + "aws-load-balancer-target-group-attributes"
SOURCE_RANGES_ANN = A + "load-balancer-source-ranges"
SECURITY_GROUPS = A + "aws-load-balancer-security-groups"
HC_PROTOCOL = A + "aws-load-balancer-healthcheck-protocol"
HC_PORT = A + "aws-load-balancer-healthcheck-port"
HC_PATH = A + "aws-load-balancer-healthcheck-path"

LBC = "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide"
ANNOTATIONS = f"{LBC}/service/annotations/"
NLB_PAGE = Cite(f"{LBC}/service/nlb/", "Configuration; Security group")
SCHEME_CITE = Cite(ANNOTATIONS + "#lb-scheme", "aws-load-balancer-scheme: default internal")
TARGET_CITE = Cite(ANNOTATIONS + "#nlb-target-type", "nlb-target-type")
RANGES_CITE = Cite(ANNOTATIONS + "#lb-source-ranges", "Access control: load-balancer-source-ranges")
HC_CITE = Cite(ANNOTATIONS + "#healthcheck-port", "Health Check: protocol and port defaults")
PRESERVE_CITE = Cite(
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/"
    "edit-target-group-attributes.html#client-ip-preservation",
    "Client IP preservation: default settings",
)
IN_TREE = Cite(
    "https://cloud-provider-aws.sigs.k8s.io/service_controller/",
    "Service annotations (in-tree controller)",
)

PARAMS = (
    ParamSpec("vpc-cidr", "192.168.0.0/16", "the VPC's CIDR(s) (eksctl's default VPC)"),
    ParamSpec(
        "lb-subnets",
        "",
        "the load balancers' subnet CIDR(s): their private addresses and health checks "
        "(default: vpc-cidr)",
    ),
    ParamSpec("cni", "vpc-cni", "vpc-cni (pods get VPC addresses) or overlay"),
)


def lbc_takes_service(service: Service) -> str | None:
    """Why the AWS Load Balancer Controller reconciles this Service, or None (module
    docstring)."""
    if service.lb_class is not None:
        return f"spec.loadBalancerClass {NLB_CLASS}" if service.lb_class == NLB_CLASS else None
    kind = (service.annotations.get(TYPE) or "").strip().lower()
    if kind in ("external", "nlb-ip"):
        return f"annotation {TYPE}: {kind}"
    return None


def nlb_scheme(service: Service) -> tuple[str, str]:
    """The NLB's scheme and why: the scheme annotation, else the deprecated internal one,
    else ``internal`` ("Secure by default")."""
    given = (service.annotations.get(SCHEME) or "").strip().lower()
    if given in (INTERNAL, INTERNET_FACING):
        return given, f"annotation {SCHEME}"
    internal = annotation_bool(service, INTERNAL_ANN)
    if internal is not None:
        return (INTERNAL if internal else INTERNET_FACING), f"annotation {INTERNAL_ANN}"
    return INTERNAL, f"default: no {SCHEME} annotation"


def nlb_target_type(service: Service) -> tuple[str, str]:
    """``instance`` or ``ip``, and why (#nlb-target-type; ``nlb-ip`` means ip)."""
    if (service.annotations.get(TYPE) or "").strip().lower() == "nlb-ip":
        return "ip", f"annotation {TYPE}: nlb-ip"
    given = (service.annotations.get(TARGET_TYPE) or "").strip().lower()
    if given in ("instance", "ip"):
        return given, f"annotation {TARGET_TYPE}"
    return "instance", f"default: no {TARGET_TYPE} annotation"


def preserve_client_ip(service: Service, target: str) -> tuple[bool, str]:
    """Client IP preservation and why: the target group attribute, else the default per
    target type and protocol (on for instance, and for ip over UDP; off for ip over TCP)."""
    attrs = annotation_map(service, TG_ATTRIBUTES)
    given = attrs.get("preserve_client_ip.enabled")
    if given is not None:
        return given.lower() == "true", f"{TG_ATTRIBUTES} preserve_client_ip.enabled={given}"
    udp = bool(service.ports) and all(p.protocol is Protocol.UDP for p in service.ports)
    if target == "instance" or udp:
        return True, f"default for {target} targets{' over UDP' if udp else ''}: on"
    return False, "default for ip targets over TCP: off"


def nlb_ranges(service: Service, preserved: bool) -> Ranges:
    """Source ranges on the NLB (#lb-source-ranges): the spec field, else the annotation;
    ignored without client IP preservation or with custom security groups."""
    cidrs, origin = service.lb_source_ranges, "spec.loadBalancerSourceRanges"
    if not cidrs:
        cidrs, origin = (
            annotation_list(service, SOURCE_RANGES_ANN),
            f"annotation {SOURCE_RANGES_ANN}",
        )
    ignored = None
    if cidrs and not preserved:
        ignored = "client IP preservation is off"
    elif cidrs and service.annotations.get(SECURITY_GROUPS):
        ignored = f"{SECURITY_GROUPS} is given"
    return Ranges(
        cidrs, origin if cidrs else "", "the NLB's security group rules", ignored, (), RANGES_CITE
    )


def nlb_health(service: Service, target: str, params: Params) -> HealthCheck:
    """The target group health check (#healthcheck-protocol, #healthcheck-port)."""
    local = service.external_traffic_policy == "Local"
    protocol = (service.annotations.get(HC_PROTOCOL) or ("HTTP" if local else "TCP")).upper()
    port = service.annotations.get(HC_PORT) or (HEALTH_CHECK_NODE_PORT if local else TRAFFIC_PORT)
    path = service.annotations.get(HC_PATH) or ("/" if protocol.startswith("HTTP") else None)
    to_pods = target == "ip" and port != HEALTH_CHECK_NODE_PORT
    forwarded = target == "instance" and port == TRAFFIC_PORT
    return HealthCheck(lb_subnets(params), port, protocol, to_pods, path, HC_CITE, forwarded)


def lbc_nlb(service: Service, why: str, params: Params) -> Decision:
    """The controller's NLB for a Service (module docstring)."""
    scheme, scheme_why = nlb_scheme(service)
    target, target_why = nlb_target_type(service)
    preserved, preserve_why = preserve_client_ip(service, target)
    notes = [f"target type {target} ({target_why})", f"client IP preservation {preserve_why}"]
    if target == "ip" and params.get("cni") != "vpc-cni":
        notes.append("ip targets need pods with VPC addresses (the VPC CNI)")
    if target == "instance" and not service.allocate_lb_node_ports:
        notes.append("instance targets need NodePorts; allocateLoadBalancerNodePorts is false")
    return Decision(
        "eks",
        "AWS Load Balancer Controller NLB",
        why,
        scheme,
        scheme_why,
        Path.NODE_PORT if target == "instance" else Path.POD_DIRECT,
        target,
        Seen.CLIENT if preserved else Seen.LOAD_BALANCER,
        nlb_ranges(service, preserved),
        nlb_health(service, target, params),
        params.cidrs("vpc-cidr") if scheme == INTERNAL else (),
        lb_subnets(params),
        tuple(notes),
        (NLB_PAGE, SCHEME_CITE, TARGET_CITE, PRESERVE_CITE, RANGES_CITE, HC_CITE),
    )


def in_tree(service: Service, params: Params) -> Decision:
    """The in-tree AWS cloud provider: a Classic ELB (a proxy: targets see its address), or
    an NLB with ``aws-load-balancer-type: nlb`` (client IP kept); both on the NodePort, and
    internet-facing unless ``aws-load-balancer-internal`` is set."""
    nlb = (service.annotations.get(TYPE) or "").strip().lower() == "nlb"
    value = (service.annotations.get(INTERNAL_ANN) or "").strip().lower()
    internal = value not in ("", "false")
    scheme = INTERNAL if internal else INTERNET_FACING
    local = service.external_traffic_policy == "Local"
    health = HealthCheck(
        lb_subnets(params),
        HEALTH_CHECK_NODE_PORT if local else TRAFFIC_PORT,
        "HTTP" if local else "TCP",
        False,
        "/healthz" if local else None,
        IN_TREE,
        not local,
    )
    ranges = Ranges(
        service.lb_source_ranges,
        "spec.loadBalancerSourceRanges" if service.lb_source_ranges else "",
        "the load balancer's security group rules",
        cite=IN_TREE,
    )
    return Decision(
        "eks",
        "in-tree AWS cloud provider " + ("NLB" if nlb else "Classic ELB"),
        f"no loadBalancerClass and no {TYPE}: external/nlb-ip annotation",
        scheme,
        f"annotation {INTERNAL_ANN}" if internal else f"default: no {INTERNAL_ANN} annotation",
        Path.NODE_PORT,
        "instance",
        Seen.CLIENT if nlb else Seen.LOAD_BALANCER,
        ranges,
        health,
        params.cidrs("vpc-cidr") if internal else (),
        lb_subnets(params),
        (
            "the in-tree controller; the AWS Load Balancer Controller takes only Services with "
            f"loadBalancerClass {NLB_CLASS} or {TYPE}: external",
        ),
        (IN_TREE,),
    )


def eks_service(service: Service, params: Params) -> Decision | None:
    """The load balancer EKS builds for a LoadBalancer Service (module docstring)."""
    why = lbc_takes_service(service)
    if why is not None:
        return lbc_nlb(service, why, params)
    if service.lb_class is not None:
        return None  # another controller's class: neither the LBC nor the in-tree provider
    return in_tree(service, params)


GATEWAY_CITE = Cite(f"{LBC}/gateway/loadbalancerconfig/", "Scheme: default internal")
TARGET_GROUP_CITE = Cite(f"{LBC}/gateway/targetgroupconfig/", "TargetType: default instance")


def eks_gateway(gateway: Gateway, cls: GatewayClass, params: Params) -> Decision | None:
    """A Gateway of the controller's GatewayClasses: an ALB (``gateway.k8s.aws/alb``) or an
    NLB (``gateway.k8s.aws/nlb``); without a LoadBalancerConfiguration (not read by podpath)
    the scheme is ``internal`` and the target type ``instance``."""
    if cls.controller_name not in (GATEWAY_ALB, GATEWAY_NLB):
        return None
    alb = cls.controller_name == GATEWAY_ALB
    health = HealthCheck(
        lb_subnets(params), TRAFFIC_PORT, "HTTP" if alb else "TCP", False, "/" if alb else None
    )
    return Decision(
        "eks",
        "AWS Load Balancer Controller " + ("ALB" if alb else "NLB") + " (Gateway API)",
        f"GatewayClass {cls.name} controllerName {cls.controller_name}",
        INTERNAL,
        "default (a LoadBalancerConfiguration may set the scheme; podpath does not read it)",
        Path.NODE_PORT,
        "instance",
        Seen.LOAD_BALANCER if alb else Seen.CLIENT,
        Ranges(at="the load balancer's security group rules"),
        health,
        params.cidrs("vpc-cidr"),
        lb_subnets(params),
        ("LoadBalancerConfiguration and TargetGroupConfiguration are not read",),
        (GATEWAY_CITE, TARGET_GROUP_CITE),
    )


def vpc_pods(params: Params) -> tuple[str, ...]:
    """With the VPC CNI pods have VPC addresses, routed from the VPC."""
    return params.cidrs("vpc-cidr") if params.get("cni") == "vpc-cni" else ()


PROFILE = Profile(
    "eks",
    "Amazon EKS (AWS Load Balancer Controller)",
    PARAMS,
    eks_service,
    alb_decision,
    eks_gateway,
    (ALB_CONTROLLER,),
    (GATEWAY_ALB, GATEWAY_NLB),
    vpc_pods,
    docs=(NLB_PAGE, SCHEME_CITE, TARGET_CITE, PRESERVE_CITE, RANGES_CITE, HC_CITE),
)
