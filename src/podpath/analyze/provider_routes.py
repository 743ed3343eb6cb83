"""``route --provider``: the routing answers as the provider's load balancers give them.

- An ALB (EKS, IngressClass controller ``ingress.k8s.aws/alb``) is one IngressGroup: the
  Ingresses sharing ``alb.ingress.kubernetes.io/group.name`` -- from any namespace -- or one
  Ingress alone. Each ALB serving the host gives its own answer, its rules evaluated in the
  ALB's order (group.order, namespace/name, then Exact / longest Prefix / listed
  ImplementationSpecific; :mod:`podpath.engine.providers.alb`), which may pick another rule
  than the Ingress API's "longest matching path" over the whole class.
- Every answer through a provider's load balancer -- one the provider implements itself, or
  the LoadBalancer Service in front of an in-cluster controller -- carries ``load_balancer``:
  the provider, the load balancer, its scheme and target mode, the source ranges and where
  they are enforced, and with ``--client-ip`` whether that client gets in
  (``client_admitted``: the scheme and the ranges; ``alb.ingress.kubernetes.io/inbound-cidrs``
  for an ALB).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from podpath.cluster import Cluster
from podpath.engine.entrypoints import entry_points
from podpath.engine.ingress import ingress_host_matches, ingresses_by_class
from podpath.engine.providers.alb import (
    AlbGroup,
    alb_groups,
    alb_route,
    group_order,
    is_alb,
    with_group_annotations,
)
from podpath.engine.providers.base import Choice, Decision
from podpath.engine.providers.paths import entry_paths
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.routing import EntryPoint, Request, RouteAnswer
from podpath.model.services import ServiceType


def lb_json(decision: Decision, request: Request, name: str) -> dict[str, Any]:
    """The ``load_balancer`` object of an answer (module docstring)."""
    ip = request.client_ip
    admitted = None if ip is None else decision.reachable(ip) and decision.ranges.admits(ip)
    r = decision.ranges
    return {
        "provider": decision.provider,
        "name": name,
        "implementation": decision.implementation,
        "scheme": decision.scheme,
        "scheme_why": decision.scheme_why,
        "reachable_from": list(decision.reachable_from),
        "target": decision.target,
        "path": str(decision.path),
        "source_ranges": list(r.cidrs),
        "source_ranges_at": r.at,
        "source_ranges_ignored": r.ignored,
        "client_admitted": admitted,
        "notes": list(decision.notes),
        "docs": [str(c) for c in decision.cites],
    }


def _serves(group: AlbGroup, host: str) -> bool:
    return any(ingress_host_matches(r.host, host) for i in group.ingresses for r in i.rules) or any(
        i.default_backend is not None for i in group.ingresses
    )


def _alb_answers(
    cluster: Cluster,
    choice: Choice,
    cls: IngressClass | None,
    ingresses: tuple[Ingress, ...],
    request: Request,
    generic: RouteAnswer,
) -> list[tuple[RouteAnswer, dict[str, Any] | None]]:
    out: list[tuple[RouteAnswer, dict[str, Any] | None]] = []
    for group in alb_groups(ingresses):
        if not _serves(group, request.host):
            continue
        answer = replace(alb_route(cluster, group, request), tls=generic.tls)
        ing = with_group_annotations(
            group,
            next(
                (i for i in group.ingresses if answer.match and i.key == answer.match.object),
                group.ingresses[0],
            ),
        )
        backend = (
            cluster.service_by_key.get(answer.backend.service or "") if answer.backend else None
        )
        decision = choice.ingress(ing, cls, backend)
        if decision is None:
            continue
        extra = lb_json(decision, request, group.label)
        extra["ingresses"] = [f"{i.key} (order {group_order(i)})" for i in group.ingresses]
        extra["namespaces"] = list(group.namespaces)
        if generic.match is not None and answer.match != generic.match:
            extra["ingress_api_match"] = (
                f"{generic.match.kind}/{generic.match.object} rule {generic.match.rule}"
            )
        out.append((answer, extra))
    return out or [(generic, None)]


def _front(
    cluster: Cluster, choice: Choice, ep: EntryPoint, request: Request
) -> dict[str, Any] | None:
    """A Gateway the provider implements itself, else the provider's load balancer in front
    of an in-cluster controller (its Service)."""
    if ep.kind == "Gateway":
        gw = next((g for g in cluster.of_kind("Gateway") if g.key == ep.name), None)
        gcls = next((c for c in cluster.of_kind("GatewayClass") if c.name == ep.class_name), None)
        decision = choice.gateway(gw, gcls) if gw is not None and gcls is not None else None
        if decision is not None:
            return lb_json(decision, request, ep.label)
    for key in ep.services:
        svc = cluster.service_by_key.get(key)
        if svc is None or svc.type is not ServiceType.LOAD_BALANCER:
            continue
        decision = choice.service(svc)
        if decision is not None:
            return lb_json(decision, request, f"Service/{svc.key}")
    return None


def provider_answers(
    cluster: Cluster, choice: Choice, request: Request, answers: tuple[RouteAnswer, ...]
) -> list[tuple[RouteAnswer, dict[str, Any] | None]]:
    """Each answer with its ``load_balancer`` object (None: no provider load balancer), an
    ALB IngressClass answer replaced by one answer per ALB serving the host (module
    docstring)."""
    classes = {c.name: c for c in cluster.of_kind("IngressClass")}
    by_class, _ = ingresses_by_class(cluster)
    eps = {ep.label: ep for ep in entry_points(cluster)}
    out: list[tuple[RouteAnswer, dict[str, Any] | None]] = []
    for answer in answers:
        ep = eps.get(answer.entry_point)
        if ep is None:
            out.append((answer, None))
            continue
        if ep.kind == "IngressClass":
            cls = classes.get(ep.class_name)
            ingresses = by_class.get(ep.class_name, ())
            if choice.name == "eks" and is_alb(cls, ep.class_name):
                out.extend(_alb_answers(cluster, choice, cls, ingresses, request, answer))
                continue
            own = _own_ingress(cluster, choice, cls, ingresses, answer, request)
            if own is not None:
                out.append((answer, own))
                continue
        out.append((answer, _front(cluster, choice, ep, request)))
    return out


def _own_ingress(
    cluster: Cluster,
    choice: Choice,
    cls: IngressClass | None,
    ingresses: tuple[Ingress, ...],
    answer: RouteAnswer,
    request: Request,
) -> dict[str, Any] | None:
    """An Ingress class the provider implements itself (AGIC, GKE Ingress, kind)."""
    ing = next(
        (i for i in ingresses if answer.match and i.key == answer.match.object),
        ingresses[0] if ingresses else None,
    )
    if ing is None:
        return None
    backend = cluster.service_by_key.get(answer.backend.service or "") if answer.backend else None
    decision = choice.ingress(ing, cls, backend)
    return lb_json(decision, request, f"Ingress/{ing.key}") if decision is not None else None


def load_balancer_rows(cluster: Cluster, choice: Choice) -> list[dict[str, Any]]:
    """``report``'s ``load_balancers``: one row per object and Service behind a provider load
    balancer (the object, the Service, the load balancer, scheme, target, the source the pods
    see, the source ranges and the health check)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for path in entry_paths(cluster, choice):
        d = path.decision
        key = (path.object, path.service.key)
        if key in rows:
            continue
        rows[key] = {
            "object": path.object,
            "service": path.service.key,
            "load_balancer": d.label,
            "scheme": d.scheme,
            "target": d.target,
            "path": str(d.path),
            "pods_see": "client" if d.seen.value == "client" else ", ".join(d.lb_sources),
            "source_ranges": list(d.ranges.cidrs),
            "source_ranges_at": d.ranges.at,
            "source_ranges_ignored": d.ranges.ignored,
            "health_check": str(d.health) if d.health else None,
        }
    return list(rows.values())
