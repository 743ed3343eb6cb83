"""The AWS Load Balancer Controller's ALB for Ingress (class controller ``ingress.k8s.aws/alb``).

From https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/:

- IngressGroup (#group.name): Ingresses with the same ``alb.ingress.kubernetes.io/group.name``
  share one ALB -- from any namespace ("Security Risk": whoever may create an Ingress can join
  the group and add rules); without it an Ingress is its own implicit group, its own ALB;
- ``group.order`` (#group.order): -1000..1000, default 0, smaller first; equal orders sorted by
  the Ingress's namespace/name;
- ``scheme`` (#scheme): ``internal`` by default;
- ``target-type`` (#target-type): ``instance`` by default (the Service's NodePort, so the
  Service must be NodePort or LoadBalancer) or ``ip`` (the pod IPs); a Service annotation wins
  over the Ingress's ("Annotations applied to Service have higher priority");
- ``inbound-cidrs`` (#inbound-cidrs): the security group's allowed CIDRs, default everything;
  ignored with ``alb.ingress.kubernetes.io/security-groups``;
- health check (#healthcheck-port): HTTP on the traffic port, path ``/``.

The ALB is a proxy: targets see its private addresses (from the load balancers' subnets).

Rule order within an ALB (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/spec/):
the Ingresses in group order, and within each Ingress ``Exact`` paths first, then ``Prefix``
paths longest first, then ``ImplementationSpecific`` ones as listed; the first rule whose
host and path match wins -- unlike the Ingress API's "longest matching path" across every
Ingress of the class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from podpath.engine.backends import outcome
from podpath.engine.ingress import ingress_backend, ingress_host_matches, ingress_path_matches
from podpath.engine.providers.base import (
    INTERNAL,
    INTERNET_FACING,
    TRAFFIC_PORT,
    Cite,
    Decision,
    HealthCheck,
    Params,
    Path,
    Ranges,
    Seen,
    annotation_list,
)
from podpath.model.core import Labels
from podpath.model.ingress import Ingress, IngressBackend, IngressClass, IngressPath
from podpath.model.routing import MatchRef, Request, RouteAnswer
from podpath.model.services import Service, ServiceType

if TYPE_CHECKING:
    from podpath.cluster import Cluster

ALB_CONTROLLER = "ingress.k8s.aws/alb"
ALB_CLASS = "alb"
ANN = "alb.ingress.kubernetes.io/"
GROUP_NAME, GROUP_ORDER = ANN + "group.name", ANN + "group.order"
SCHEME, TARGET_TYPE, INBOUND = ANN + "scheme", ANN + "target-type", ANN + "inbound-cidrs"
SECURITY_GROUPS, HC_PORT, HC_PATH = (
    ANN + "security-groups",
    ANN + "healthcheck-port",
    ANN + "healthcheck-path",
)
HC_PROTOCOL = ANN + "healthcheck-protocol"

PAGE = "https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/"
GROUP_CITE = Cite(PAGE + "annotations/#group.name", "IngressGroup: group.name, Security Risk")
ORDER_CITE = Cite(PAGE + "annotations/#group.order", "IngressGroup: group.order")
SCHEME_CITE = Cite(PAGE + "annotations/#scheme", "Access control: scheme (default internal)")
TARGET_CITE = Cite(PAGE + "annotations/#target-type", "Traffic Routing: target-type")
INBOUND_CITE = Cite(PAGE + "annotations/#inbound-cidrs", "Access control: inbound-cidrs")
HC_CITE = Cite(PAGE + "annotations/#healthcheck-port", "Health Check: healthcheck-port")
ORDER_RULES_CITE = Cite(PAGE + "spec/", "Ingress specification: rule order")


def lb_subnets(params: Params) -> tuple[str, ...]:
    """The subnets the load balancers' private addresses come from (default: the VPC)."""
    return params.cidrs("lb-subnets") or params.cidrs("vpc-cidr")


def is_alb(cls: IngressClass | None, class_name: str | None) -> bool:
    """An Ingress class the ALB controller implements: an IngressClass with controller
    ``ingress.k8s.aws/alb``, or the class name ``alb`` with no IngressClass object."""
    if cls is not None:
        return cls.controller == ALB_CONTROLLER
    return class_name == ALB_CLASS


def group_of(ingress: Ingress) -> tuple[str, bool]:
    """The IngressGroup (its name, and whether it is explicit) of an Ingress (#group.name)."""
    name = (ingress.annotations.get(GROUP_NAME) or "").strip()
    return (name, True) if name else (ingress.key, False)


def group_order(ingress: Ingress) -> int:
    """``group.order`` (default 0; a value that is not a number counts as 0)."""
    text = (ingress.annotations.get(GROUP_ORDER) or "0").strip()
    try:
        return int(text)
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class AlbGroup:
    """One ALB: its IngressGroup name, whether it is explicit, and its Ingresses in the order
    their rules are evaluated (group.order, then namespace/name)."""

    name: str
    explicit: bool
    ingresses: tuple[Ingress, ...]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return tuple(sorted({i.namespace for i in self.ingresses}))

    @property
    def label(self) -> str:
        kind = "IngressGroup" if self.explicit else "implicit IngressGroup"
        return f"ALB of {kind} {self.name}"


def alb_groups(ingresses: Sequence[Ingress]) -> tuple[AlbGroup, ...]:
    """The ALBs the controller makes of the Ingresses of its classes (module docstring)."""
    by_group: dict[tuple[str, bool], list[Ingress]] = {}
    for ing in ingresses:
        by_group.setdefault(group_of(ing), []).append(ing)
    return tuple(
        AlbGroup(name, explicit, tuple(sorted(ings, key=lambda i: (group_order(i), i.key))))
        for (name, explicit), ings in sorted(by_group.items())
    )


GROUP_KEYS = (SCHEME, INBOUND, SECURITY_GROUPS, ANN + "ip-address-type")


def with_group_annotations(group: AlbGroup, ingress: Ingress) -> Ingress:
    """The Ingress with the group's load-balancer-wide annotations (scheme, inbound-cidrs,
    security groups, address type: "Exclusive" or per listen-port, one value for the whole
    ALB, #annotations MergeBehavior) taken from the first Ingress of the group that sets
    each."""
    merged = dict(ingress.annotations)
    for key in GROUP_KEYS:
        value = next((i.annotations[key] for i in group.ingresses if key in i.annotations), None)
        if value is not None:
            merged[key] = value
    return replace(ingress, annotations=Labels(merged))


@dataclass(frozen=True, slots=True)
class AlbRule:
    ingress: Ingress
    rule: int
    index: int
    host: str | None
    path: IngressPath


def _rule_rank(rule: AlbRule) -> tuple[int, int, int, int]:
    kind = rule.path.path_type
    if kind == "Exact":
        return (0, 0, rule.rule, rule.index)
    if kind == "Prefix":
        return (1, -len(rule.path.path.rstrip("/")), rule.rule, rule.index)
    return (2, 0, rule.rule, rule.index)


def alb_rules(group: AlbGroup) -> tuple[AlbRule, ...]:
    """The group's rules in evaluation order (module docstring)."""
    out: list[AlbRule] = []
    for ing in group.ingresses:
        rules = [
            AlbRule(ing, r, p, rule.host, path)
            for r, rule in enumerate(ing.rules)
            for p, path in enumerate(rule.paths)
        ]
        out.extend(sorted(rules, key=_rule_rank))
    return tuple(out)


def covers(earlier: AlbRule, later: AlbRule) -> bool:
    """Whether every request ``later`` matches is matched by ``earlier`` first: the same host
    (or ``earlier`` has none) and a path that takes all of ``later``'s (a Prefix that is an
    element-wise prefix of it, or the same Exact path)."""
    if earlier.host is not None and earlier.host != later.host:
        return False
    e, lt = earlier.path, later.path
    if e.path_type == "Prefix" and lt.path_type in ("Prefix", "Exact"):
        return ingress_path_matches("Prefix", e.path, lt.path)
    return e.path_type == lt.path_type == "Exact" and e.path == lt.path


def shadowed(group: AlbGroup) -> tuple[tuple[AlbRule, AlbRule], ...]:
    """(rule, the earlier rule that takes all its requests) for each rule of another Ingress
    that the group's order makes unreachable."""
    rules = alb_rules(group)
    out = []
    for i, rule in enumerate(rules):
        by = next(
            (e for e in rules[:i] if e.ingress.key != rule.ingress.key and covers(e, rule)), None
        )
        if by is not None:
            out.append((rule, by))
    return tuple(out)


def alb_path_matches(path: IngressPath, request_path: str) -> bool:
    """``Exact`` and ``Prefix`` as the Ingress API; ``ImplementationSpecific`` is the ALB path
    pattern itself (``*`` and ``?`` wildcards, case-sensitive)."""
    if path.path_type == "ImplementationSpecific":
        return fnmatchcase(request_path, path.path)
    return ingress_path_matches(path.path_type, path.path, request_path)


def alb_route(cluster: Cluster, group: AlbGroup, request: Request) -> RouteAnswer:
    """Where the group's ALB sends ``request``: the first rule in evaluation order whose host
    and path match, else the first defaultBackend, else the ALB's fixed 404."""
    label = f"IngressClass/{ALB_CLASS}"
    for rule in alb_rules(group):
        if ingress_host_matches(rule.host, request.host) and alb_path_matches(
            rule.path, request.path
        ):
            detail = f"host {rule.host or '*'} path {rule.path.path} ({rule.path.path_type})"
            match = MatchRef("Ingress", rule.ingress.key, rule.rule, rule.index, detail)
            why = (
                f"{group.label}: first matching rule in evaluation order is "
                f"{rule.ingress.ref} rule {rule.rule} path {rule.index}"
            )
            return _answer(cluster, label, rule.ingress, rule.path.backend, match, why, request)
    for ing in group.ingresses:
        if ing.default_backend is not None:
            match = MatchRef("Ingress", ing.key, None, None, "defaultBackend")
            why = f"{group.label}: no rule matches; {ing.ref} spec.defaultBackend"
            return _answer(cluster, label, ing, ing.default_backend, match, why, request)
    return RouteAnswer(
        label, 404, reasons=(f"{group.label}: no rule matches: the ALB answers 404",)
    )


def _answer(
    cluster: Cluster,
    label: str,
    ing: Ingress,
    backend: IngressBackend,
    match: MatchRef,
    why: str,
    request: Request,
) -> RouteAnswer:
    wb = ingress_backend(cluster, ing, backend)
    status, primary, problem = outcome((wb,))
    reasons = tuple(r for r in (why, wb.reason, problem) if r)
    path = request.path if status == 200 else None
    return RouteAnswer(label, status, match, primary, (wb,), reasons=reasons, path=path)


def target_type(ingress: Ingress, backend: Service | None) -> tuple[str, str]:
    """``instance`` or ``ip`` and why: the Service's annotation, else the Ingress's, else
    ``instance`` (#target-type)."""
    for obj, what in ((backend, "Service"), (ingress, "Ingress")):
        value = (obj.annotations.get(TARGET_TYPE) or "").strip().lower() if obj else ""
        if value in ("instance", "ip"):
            return value, f"{what} annotation {TARGET_TYPE}"
    return "instance", f"default: no {TARGET_TYPE} annotation"


def alb_scheme(ingress: Ingress) -> tuple[str, str]:
    given = (ingress.annotations.get(SCHEME) or "").strip().lower()
    if given in (INTERNAL, INTERNET_FACING):
        return given, f"annotation {SCHEME}"
    return INTERNAL, f"default: no {SCHEME} annotation"


def alb_ranges(ingress: Ingress) -> Ranges:
    """inbound-cidrs (default: everything), ignored with custom security groups."""
    cidrs = annotation_list(ingress, INBOUND)
    ignored = (
        f"{SECURITY_GROUPS} is given"
        if cidrs and ingress.annotations.get(SECURITY_GROUPS)
        else None
    )
    return Ranges(
        cidrs,
        f"annotation {INBOUND}" if cidrs else "",
        "the ALB's security group rules",
        ignored,
        (),
        INBOUND_CITE,
    )


def alb_decision(
    ingress: Ingress, cls: IngressClass | None, backend: Service | None, params: Params
) -> Decision | None:
    """The ALB in front of one Ingress's backend (module docstring)."""
    if not is_alb(cls, ingress.class_name or ingress.class_annotation):
        return None
    scheme, scheme_why = alb_scheme(ingress)
    target, target_why = target_type(ingress, backend)
    group, explicit = group_of(ingress)
    notes = [f"target type {target} ({target_why})"]
    notes.append(
        f"IngressGroup {group}" if explicit else f"implicit IngressGroup {group} (its own ALB)"
    )
    if (
        target == "instance"
        and backend is not None
        and backend.type
        not in (
            ServiceType.NODE_PORT,
            ServiceType.LOAD_BALANCER,
        )
    ):
        notes.append(
            f"target type instance needs a NodePort or LoadBalancer Service; {backend.key} "
            f"is {backend.type}: the controller cannot register targets"
        )
    port = (
        (backend.annotations.get(HC_PORT) if backend else None)
        or ingress.annotations.get(HC_PORT)
        or TRAFFIC_PORT
    )
    protocol = (ingress.annotations.get(HC_PROTOCOL) or "HTTP").upper()
    path = ingress.annotations.get(HC_PATH) or "/"
    instance = target == "instance"
    health = HealthCheck(lb_subnets(params), port, protocol, not instance, path, HC_CITE, instance)
    return Decision(
        "eks",
        "AWS Load Balancer Controller ALB",
        f"IngressClass controller {ALB_CONTROLLER}",
        scheme,
        scheme_why,
        Path.NODE_PORT if target == "instance" else Path.POD_DIRECT,
        target,
        Seen.LOAD_BALANCER,
        alb_ranges(ingress),
        health,
        params.cidrs("vpc-cidr") if scheme == INTERNAL else (),
        lb_subnets(params),
        tuple(notes),
        (GROUP_CITE, SCHEME_CITE, TARGET_CITE, INBOUND_CITE, HC_CITE, ORDER_RULES_CITE),
    )
