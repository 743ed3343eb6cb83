"""Every entry path a provider builds a load balancer for, with its decision: each
LoadBalancer Service, each backend of an Ingress the provider's controller implements, each
backend of a route on a Gateway of the provider's GatewayClass.

Shared by ``doctor`` (:mod:`podpath.analyze.doctor.provider`) and ``report``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from podpath.engine.gateway_attach import attachments, resolve_backend_ref
from podpath.engine.ingress import ingress_backend, ingresses_by_class
from podpath.engine.providers.alb import alb_groups, is_alb, with_group_annotations
from podpath.engine.providers.base import Choice, Decision
from podpath.model.core import SourceRef
from podpath.model.services import Service, ServiceType

if TYPE_CHECKING:
    from podpath.cluster import Cluster


@dataclass(frozen=True, slots=True)
class EntryPath:
    """``object``: what the load balancer is for (``Service/NS/NAME``, ``Ingress/NS/NAME``,
    ``HTTPRoute/NS/NAME``); ``service`` and ``port``: the Service (port) whose endpoints it
    reaches; ``hosts``: the host names it serves (Ingress rules), ``tls``: whether it
    terminates TLS."""

    object: str
    decision: Decision
    service: Service
    port: int | None
    source: SourceRef | None = None
    hosts: tuple[str, ...] = ()
    tls: bool = False


def entry_paths(cluster: Cluster, choice: Choice) -> Iterator[EntryPath]:
    """Every entry path of the provider, in a stable order (module docstring)."""
    for svc in cluster.services:
        if svc.type is not ServiceType.LOAD_BALANCER:
            continue
        decision = choice.service(svc)
        if decision is not None:
            for sp in svc.ports:
                yield EntryPath(str(svc.ref), decision, svc, sp.port, svc.source)
    yield from _ingress_paths(cluster, choice)
    yield from _gateway_paths(cluster, choice)


def _ingress_paths(cluster: Cluster, choice: Choice) -> Iterator[EntryPath]:
    """Each backend of each Ingress of a class the provider implements; an ALB Ingress
    with its IngressGroup's load-balancer-wide annotations (scheme, inbound-cidrs)."""
    classes = {c.name: c for c in cluster.of_kind("IngressClass")}
    by_class, _ = ingresses_by_class(cluster)
    for name in sorted(by_class):
        groups = alb_groups(by_class[name]) if is_alb(classes.get(name), name) else ()
        for original in by_class[name]:
            group = next((g for g in groups if original in g.ingresses), None)
            ing = with_group_annotations(group, original) if group else original
            hosts = tuple(sorted({r.host for r in ing.rules if r.host}))
            refs = [p.backend for r in ing.rules for p in r.paths]
            if ing.default_backend is not None:
                refs.insert(0, ing.default_backend)
            for ref in refs:
                wb = ingress_backend(cluster, ing, ref)
                svc = cluster.service_by_key.get(wb.service or "")
                decision = choice.ingress(ing, classes.get(name), svc)
                if decision is None or svc is None:
                    continue
                yield EntryPath(
                    str(ing.ref), decision, svc, wb.port, ing.source, hosts, bool(ing.tls)
                )


def _gateway_paths(cluster: Cluster, choice: Choice) -> Iterator[EntryPath]:
    classes = {c.name: c for c in cluster.of_kind("GatewayClass")}
    for att in attachments(cluster):
        gcls = classes.get(att.gateway.class_name)
        decision = choice.gateway(att.gateway, gcls) if gcls is not None else None
        if decision is None:
            continue
        for rule in att.route.rules:
            for ref in rule.backend_refs:
                wb = resolve_backend_ref(cluster, att.route, ref)[0]
                svc = cluster.service_by_key.get(wb.service or "")
                if svc is not None:
                    yield EntryPath(str(att.route.ref), decision, svc, wb.port)
