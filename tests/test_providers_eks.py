"""EKS profile (podpath.engine.providers.eks, .alb): one table per documented behaviour, each
citing the page that states it. Pages:

- NLB: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/nlb/
- Service annotations: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/
- client IP preservation: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation
- Ingress annotations: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/
- Ingress rule order: https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/spec/
"""

from __future__ import annotations

import pytest

from podpath.engine.providers import choose
from podpath.engine.providers.alb import (
    alb_decision,
    alb_groups,
    alb_path_matches,
    alb_rules,
    shadowed,
    target_type,
)
from podpath.engine.providers.base import Path, Seen
from podpath.engine.providers.eks import (
    eks_service,
    lbc_takes_service,
    nlb_scheme,
    nlb_target_type,
    preserve_client_ip,
)
from podpath.model.core import Labels, Protocol
from podpath.model.ingress import Ingress, IngressBackend, IngressClass, IngressPath, IngressRule
from podpath.model.services import Service, ServicePort, ServiceType

A = "service.beta.kubernetes.io/"
ALB = "alb.ingress.kubernetes.io/"
PARAMS = choose("eks").params


def svc(
    annotations: dict[str, str] | None = None,
    lb_class: str | None = None,
    etp: str = "Cluster",
    protocol: Protocol = Protocol.TCP,
    ranges: tuple[str, ...] = (),
    stype: ServiceType = ServiceType.LOAD_BALANCER,
) -> Service:
    return Service(
        "shop",
        "web",
        stype,
        ports=(ServicePort(80, 8080, protocol, node_port=30080),),
        lb_source_ranges=ranges,
        external_traffic_policy=etp,
        annotations=Labels(annotations or {}),
        lb_class=lb_class,
    )


# nlb page, "Configuration": which controller reconciles the Service.
@pytest.mark.parametrize(
    ("lb_class", "annotations", "lbc"),
    [
        ("service.k8s.aws/nlb", {}, True),
        ("example.com/other", {A + "aws-load-balancer-type": "external"}, False),
        (None, {A + "aws-load-balancer-type": "external"}, True),
        (None, {A + "aws-load-balancer-type": "nlb-ip"}, True),
        (None, {A + "aws-load-balancer-type": "nlb"}, False),
        (None, {}, False),
    ],
)
def test_which_controller_takes_the_service(
    lb_class: str | None, annotations: dict[str, str], lbc: bool
) -> None:
    assert (lbc_takes_service(svc(annotations, lb_class)) is not None) is lbc


def test_a_class_the_controller_does_not_know_is_not_eks() -> None:
    # nlb page: "If the spec.loadBalancerClass is set to a loadBalancerClass that isn't
    # recognized by the LBC, it ignores the Service resource".
    assert eks_service(svc(lb_class="example.com/other"), PARAMS) is None


# annotations #lb-scheme, #lb-internal; nlb page "Secure by default".
@pytest.mark.parametrize(
    ("annotations", "scheme", "default"),
    [
        ({}, "internal", True),
        ({A + "aws-load-balancer-scheme": "internet-facing"}, "internet-facing", False),
        ({A + "aws-load-balancer-scheme": "internal"}, "internal", False),
        ({A + "aws-load-balancer-internal": "false"}, "internet-facing", False),
        ({A + "aws-load-balancer-internal": "true"}, "internal", False),
        (
            {
                A + "aws-load-balancer-internal": "true",
                A + "aws-load-balancer-scheme": "internet-facing",
            },
            "internet-facing",
            False,
        ),
    ],
)
def test_nlb_scheme(annotations: dict[str, str], scheme: str, default: bool) -> None:
    got, why = nlb_scheme(svc(annotations, "service.k8s.aws/nlb"))
    assert got == scheme
    assert why.startswith("default") is default


# annotations #nlb-target-type: instance by default with loadBalancerClass; nlb-ip means ip.
@pytest.mark.parametrize(
    ("annotations", "target"),
    [
        ({}, "instance"),
        ({A + "aws-load-balancer-nlb-target-type": "ip"}, "ip"),
        ({A + "aws-load-balancer-nlb-target-type": "instance"}, "instance"),
        (
            {
                A + "aws-load-balancer-type": "nlb-ip",
                A + "aws-load-balancer-nlb-target-type": "instance",
            },
            "ip",
        ),
    ],
)
def test_nlb_target_type(annotations: dict[str, str], target: str) -> None:
    assert nlb_target_type(svc(annotations))[0] == target


# AWS target group attributes, "Client IP preservation": default settings.
@pytest.mark.parametrize(
    ("target", "protocol", "attributes", "preserved"),
    [
        ("instance", Protocol.TCP, None, True),
        ("ip", Protocol.TCP, None, False),
        ("ip", Protocol.UDP, None, True),
        ("ip", Protocol.TCP, "preserve_client_ip.enabled=true", True),
        ("instance", Protocol.TCP, "preserve_client_ip.enabled=false", False),
    ],
)
def test_client_ip_preservation_defaults(
    target: str, protocol: Protocol, attributes: str | None, preserved: bool
) -> None:
    ann = {A + "aws-load-balancer-target-group-attributes": attributes} if attributes else {}
    assert preserve_client_ip(svc(ann, protocol=protocol), target)[0] is preserved


# annotations #lb-source-ranges: "ignored in case preserve client IP is not enabled" and "if
# aws-load-balancer-security-groups is specified"; the spec field, else the annotation.
@pytest.mark.parametrize(
    ("annotations", "ranges", "ignored", "cidrs"),
    [
        (
            {A + "aws-load-balancer-nlb-target-type": "instance"},
            ("198.51.100.0/24",),
            None,
            ("198.51.100.0/24",),
        ),
        (
            {A + "aws-load-balancer-nlb-target-type": "ip"},
            ("198.51.100.0/24",),
            "client IP preservation is off",
            ("198.51.100.0/24",),
        ),
        (
            {
                A + "aws-load-balancer-nlb-target-type": "ip",
                A + "aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
            },
            ("198.51.100.0/24",),
            None,
            ("198.51.100.0/24",),
        ),
        (
            {A + "aws-load-balancer-security-groups": "sg-1"},
            ("198.51.100.0/24",),
            "service.beta.kubernetes.io/aws-load-balancer-security-groups is given",
            ("198.51.100.0/24",),
        ),
        (
            {A + "load-balancer-source-ranges": "10.0.0.0/24, 10.1.0.0/24"},
            (),
            None,
            ("10.0.0.0/24", "10.1.0.0/24"),
        ),
    ],
)
def test_nlb_source_ranges(
    annotations: dict[str, str],
    ranges: tuple[str, ...],
    ignored: str | None,
    cidrs: tuple[str, ...],
) -> None:
    d = eks_service(svc(annotations, "service.k8s.aws/nlb", ranges=ranges), PARAMS)
    assert d is not None
    assert d.ranges.ignored == ignored
    assert d.ranges.cidrs == cidrs
    assert d.ranges.admits("203.0.113.1") is (ignored is not None)


# annotations #healthcheck-protocol, #healthcheck-port; nlb "Worker node security groups
# rules": health checks come from the NLB subnets.
@pytest.mark.parametrize(
    ("etp", "target", "annotations", "protocol", "port", "to_pods"),
    [
        ("Cluster", "instance", {}, "TCP", "traffic-port", False),
        ("Local", "instance", {}, "HTTP", "healthCheckNodePort", False),
        ("Cluster", "ip", {}, "TCP", "traffic-port", True),
        ("Local", "ip", {}, "HTTP", "healthCheckNodePort", False),
        ("Cluster", "ip", {A + "aws-load-balancer-healthcheck-port": "9000"}, "TCP", "9000", True),
        (
            "Cluster",
            "instance",
            {A + "aws-load-balancer-healthcheck-protocol": "http"},
            "HTTP",
            "traffic-port",
            False,
        ),
    ],
)
def test_nlb_health_check_defaults(
    etp: str, target: str, annotations: dict[str, str], protocol: str, port: str, to_pods: bool
) -> None:
    ann = {A + "aws-load-balancer-nlb-target-type": target, **annotations}
    d = eks_service(svc(ann, "service.k8s.aws/nlb", etp=etp), PARAMS)
    assert d is not None and d.health is not None
    assert (d.health.protocol, d.health.port, d.health.to_pods) == (protocol, port, to_pods)
    assert d.health.sources == ("192.168.0.0/16",)  # lb-subnets defaults to the VPC


def test_nlb_path_and_seen_per_target_type() -> None:
    instance = eks_service(svc({}, "service.k8s.aws/nlb"), PARAMS)
    ip = eks_service(
        svc({A + "aws-load-balancer-nlb-target-type": "ip"}, "service.k8s.aws/nlb"), PARAMS
    )
    assert instance is not None and ip is not None
    assert (instance.path, instance.seen) == (Path.NODE_PORT, Seen.CLIENT)
    assert (ip.path, ip.seen) == (Path.POD_DIRECT, Seen.LOAD_BALANCER)
    assert ip.seen_addresses("203.0.113.1") == ("192.168.0.1",)
    assert instance.seen_addresses("203.0.113.1") == ("203.0.113.1",)


def test_internal_nlb_serves_only_the_vpc() -> None:
    d = eks_service(svc({}, "service.k8s.aws/nlb"), choose("eks", ("vpc-cidr=10.0.0.0/16",)).params)
    assert d is not None and d.internal
    assert not d.reachable("203.0.113.1")
    assert d.reachable("10.0.3.4")


# in-tree provider (https://cloud-provider-aws.sigs.k8s.io/service_controller/): a Classic
# ELB, internet-facing unless aws-load-balancer-internal is set.
@pytest.mark.parametrize(
    ("annotations", "scheme", "implementation", "seen"),
    [
        ({}, "internet-facing", "in-tree AWS cloud provider Classic ELB", Seen.LOAD_BALANCER),
        (
            {A + "aws-load-balancer-internal": "0.0.0.0/0"},
            "internal",
            "in-tree AWS cloud provider Classic ELB",
            Seen.LOAD_BALANCER,
        ),
        (
            {A + "aws-load-balancer-type": "nlb"},
            "internet-facing",
            "in-tree AWS cloud provider NLB",
            Seen.CLIENT,
        ),
    ],
)
def test_in_tree_provider(
    annotations: dict[str, str], scheme: str, implementation: str, seen: Seen
) -> None:
    d = eks_service(svc(annotations), PARAMS)
    assert d is not None
    assert (d.scheme, d.implementation, d.seen) == (scheme, implementation, seen)


# --- ALB -------------------------------------------------------------------------------


def ing(
    name: str,
    ns: str = "shop",
    annotations: dict[str, str] | None = None,
    paths: tuple[tuple[str, str], ...] = (("/", "Prefix"),),
    host: str | None = "www.example.com",
) -> Ingress:
    rule = IngressRule(
        host,
        tuple(IngressPath(p, t, IngressBackend(f"{name}-svc", 80)) for p, t in paths),
    )
    return Ingress(ns, name, "alb", rules=(rule,), annotations=Labels(annotations or {}))


ALB_CLASS = IngressClass("alb", "ingress.k8s.aws/alb")


# ingress annotations #scheme (default internal), #target-type (default instance; the
# Service's annotation has "higher priority"), #inbound-cidrs (ignored with security-groups).
@pytest.mark.parametrize(
    ("ing_ann", "svc_ann", "scheme", "target", "cidrs", "ignored"),
    [
        ({}, {}, "internal", "instance", (), None),
        ({ALB + "scheme": "internet-facing"}, {}, "internet-facing", "instance", (), None),
        ({ALB + "target-type": "ip"}, {}, "internal", "ip", (), None),
        (
            {ALB + "target-type": "ip"},
            {ALB + "target-type": "instance"},
            "internal",
            "instance",
            (),
            None,
        ),
        (
            {ALB + "inbound-cidrs": "198.51.100.0/24"},
            {},
            "internal",
            "instance",
            ("198.51.100.0/24",),
            None,
        ),
        (
            {ALB + "inbound-cidrs": "198.51.100.0/24", ALB + "security-groups": "sg-1"},
            {},
            "internal",
            "instance",
            ("198.51.100.0/24",),
            "alb.ingress.kubernetes.io/security-groups is given",
        ),
    ],
)
def test_alb_annotations(
    ing_ann: dict[str, str],
    svc_ann: dict[str, str],
    scheme: str,
    target: str,
    cidrs: tuple[str, ...],
    ignored: str | None,
) -> None:
    backend = svc(svc_ann, stype=ServiceType.NODE_PORT)
    d = alb_decision(ing("a", annotations=ing_ann), ALB_CLASS, backend, PARAMS)
    assert d is not None
    assert (d.scheme, d.target, d.ranges.cidrs, d.ranges.ignored) == (
        scheme,
        target,
        cidrs,
        ignored,
    )
    assert d.seen is Seen.LOAD_BALANCER  # the ALB is a proxy
    assert target_type(ing("a", annotations=ing_ann), backend)[0] == target


def test_alb_instance_target_needs_a_node_port_service() -> None:
    d = alb_decision(ing("a"), ALB_CLASS, svc(stype=ServiceType.CLUSTER_IP), PARAMS)
    assert d is not None
    assert any("cannot register targets" in n for n in d.notes)


def test_alb_only_for_its_controller() -> None:
    other = IngressClass("nginx", "k8s.io/ingress-nginx")
    assert alb_decision(ing("a"), other, None, PARAMS) is None


# #group.name / #group.order: explicit groups merge namespaces; implicit: one Ingress each;
# order ascending, ties by namespace/name.
def test_alb_groups_and_order() -> None:
    a = ing("a", "team-b", {ALB + "group.name": "public", ALB + "group.order": "10"})
    b = ing("b", "team-a", {ALB + "group.name": "public"})
    c = ing("c", "team-c", {ALB + "group.name": "public", ALB + "group.order": "-5"})
    alone = ing("alone", "team-a")
    groups = {g.name: g for g in alb_groups([a, b, c, alone])}
    assert [i.key for i in groups["public"].ingresses] == ["team-c/c", "team-a/b", "team-b/a"]
    assert groups["public"].explicit
    assert groups["public"].namespaces == ("team-a", "team-b", "team-c")
    assert not groups["team-a/alone"].explicit


# spec page: Exact first, then Prefix longest first, then ImplementationSpecific as listed.
def test_alb_rule_order_within_an_ingress() -> None:
    one = ing(
        "a",
        paths=(
            ("/*", "ImplementationSpecific"),
            ("/a", "Prefix"),
            ("/a/b", "Prefix"),
            ("/x", "Exact"),
        ),
    )
    rules = alb_rules(next(iter(alb_groups([one]))))
    assert [(r.path.path, r.path.path_type) for r in rules] == [
        ("/x", "Exact"),
        ("/a/b", "Prefix"),
        ("/a", "Prefix"),
        ("/*", "ImplementationSpecific"),
    ]


@pytest.mark.parametrize(
    ("path", "kind", "request_path", "match"),
    [
        ("/api", "Prefix", "/api/v1", True),
        ("/api", "Prefix", "/apis", False),
        ("/api", "Exact", "/api/", False),
        ("/api/*", "ImplementationSpecific", "/api/v1", True),
        ("/api", "ImplementationSpecific", "/api/v1", False),  # an ALB path pattern, no wildcard
        ("/img/?.png", "ImplementationSpecific", "/img/a.png", True),
    ],
)
def test_alb_path_matching(path: str, kind: str, request_path: str, match: bool) -> None:
    assert alb_path_matches(IngressPath(path, kind, IngressBackend("s", 80)), request_path) is match


def test_a_rule_shadowed_by_an_earlier_ingress_of_its_group() -> None:
    first = ing("catchall", "shop", {ALB + "group.name": "g"}, (("/", "Prefix"),))
    later = ing(
        "api", "blog", {ALB + "group.name": "g", ALB + "group.order": "5"}, (("/api", "Prefix"),)
    )
    found = shadowed(next(iter(alb_groups([first, later]))))
    assert [(r.ingress.key, by.ingress.key) for r, by in found] == [("blog/api", "shop/catchall")]
    earlier = ing(
        "api", "blog", {ALB + "group.name": "g", ALB + "group.order": "-5"}, (("/api", "Prefix"),)
    )
    assert shadowed(next(iter(alb_groups([first, earlier])))) == ()
