"""Checklist step 4: the ingress controller, Gateways and load balancers.

Verdicts come from the routing engines (:mod:`podpath.engine.ingress`,
:mod:`podpath.engine.backends`, :mod:`podpath.engine.tls`):

- a backend must name an existing Service and one of its ports, and that port needs ready
  endpoints (https://kubernetes.io/docs/concepts/services-networking/ingress/#resource-backend);
- an Ingress needs a class: ``spec.ingressClassName`` or a default IngressClass
  (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class);
- the same host and path defined twice within one class is a conflict;
- a TLS Secret must exist, cover the host and not be expired
  (https://kubernetes.io/docs/concepts/services-networking/ingress/#tls).
Gateway API checks live in :mod:`podpath.analyze.doctor.gateway`.
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.backends import STATUS_INVALID, STATUS_NO_ENDPOINTS
from podpath.engine.ingress import (
    ingress_backend,
    ingress_conflicts,
    ingress_tls_checks,
    ingresses_by_class,
)
from podpath.model.ingress import Ingress, IngressBackend

STEP = "4-ingress"
OUTAGE = 100
BACKEND_INVALID = rule(
    "ingress-backend-invalid",
    Severity.ERROR,
    STEP,
    "An Ingress backend names a Service or port that does not exist.",
)
BACKEND_NO_ENDPOINTS = rule(
    "ingress-backend-no-endpoints",
    Severity.ERROR,
    STEP,
    "An Ingress backend's Service port has no ready endpoints (503).",
)
NO_CLASS = rule(
    "ingress-no-class",
    Severity.WARNING,
    STEP,
    "An Ingress has no class and there is no single default IngressClass.",
)
CONFLICT = rule(
    "ingress-conflict",
    Severity.WARNING,
    STEP,
    "Two Ingresses of one class define the same host/path.",
)
TLS_PROBLEM = rule(
    "ingress-tls-invalid",
    Severity.ERROR,
    STEP,
    "An Ingress TLS Secret is missing, does not cover the host, or has expired.",
)


def _backends(ing: Ingress) -> Iterator[tuple[str, IngressBackend]]:
    if ing.default_backend is not None:
        yield "spec.defaultBackend", ing.default_backend
    for ri, r in enumerate(ing.rules):
        for pi, p in enumerate(r.paths):
            yield f"spec.rules[{ri}].http.paths[{pi}].backend", p.backend


@check(STEP, BACKEND_INVALID, BACKEND_NO_ENDPOINTS)
def ingress_backends(ctx: DoctorContext) -> Iterator[Finding]:
    for ing in ctx.cluster.of_kind("Ingress"):
        seen: set[str] = set()
        for field, backend in _backends(ing):
            wb = ingress_backend(ctx.cluster, ing, backend)
            if wb.status is None or str(backend) in seen:
                continue
            seen.add(str(backend))
            if wb.status == STATUS_INVALID:
                svc = ctx.cluster.service_by_key.get(f"{ing.namespace}/{backend.service_name}")
                ports = (
                    ", ".join(f"{p.name or ''}{'=' if p.name else ''}{p.port}" for p in svc.ports)
                    if svc
                    else ""
                )
                hint = (
                    f"set {field}.service.port to one of the Service's ports ({ports})"
                    if svc is not None
                    else f"set {field}.service.name to an existing Service in {ing.namespace}"
                )
                yield make(
                    BACKEND_INVALID,
                    str(ing.ref),
                    f"backend {backend}: {wb.reason}",
                    hint,
                    source=ing.source,
                    impact=OUTAGE,
                    related=[f"Service/{wb.service}"] if wb.service else [],
                )
            elif wb.status == STATUS_NO_ENDPOINTS:
                yield make(
                    BACKEND_NO_ENDPOINTS,
                    str(ing.ref),
                    f"backend {backend}: {wb.reason}; the controller answers 503",
                    f"fix Service/{wb.service} (its spec.selector or its pods' readiness) "
                    "-- see the findings on that Service",
                    source=ing.source,
                    impact=OUTAGE,
                    related=[f"Service/{wb.service}"],
                )


@check(STEP, NO_CLASS)
def ingress_classes(ctx: DoctorContext) -> Iterator[Finding]:
    _, notes = ingresses_by_class(ctx.cluster)
    for note in notes:
        yield make(
            NO_CLASS,
            note.object,
            note.message,
            "set spec.ingressClassName to the controller's IngressClass, or annotate exactly one "
            'IngressClass with ingressclass.kubernetes.io/is-default-class: "true"',
            source=note.source,
            impact=OUTAGE,
        )


@check(STEP, CONFLICT)
def ingress_host_conflicts(ctx: DoctorContext) -> Iterator[Finding]:
    sources = {str(i.ref): i.source for i in ctx.cluster.of_kind("Ingress")}
    for note in ingress_conflicts(ctx.cluster):
        yield make(
            CONFLICT,
            note.object,
            note.message,
            "remove the duplicate spec.rules[].host/paths[].path from one Ingress, or give it "
            "another host",
            source=sources.get(note.object),
            impact=10,
        )


@check(STEP, TLS_PROBLEM)
def ingress_tls(ctx: DoctorContext) -> Iterator[Finding]:
    sources = {str(i.ref): i.source for i in ctx.cluster.of_kind("Ingress")}
    for tls in ingress_tls_checks(ctx.cluster, ctx.now):
        if not tls.problems:
            continue
        obj, _, entry = tls.source.partition(" ")
        yield make(
            TLS_PROBLEM,
            obj,
            f"{entry} host {tls.host}: {'; '.join(tls.problems)}",
            f"point {entry.replace('tls', 'spec.tls')}.secretName at a kubernetes.io/tls Secret "
            f"whose certificate covers {tls.host} and is valid",
            source=sources.get(obj),
            impact=OUTAGE,
            related=[f"Secret/{tls.secret}"] if tls.secret else [],
        )
