"""Checklist step 4: the ingress controller, Gateways and load balancers.

Verdicts come from the routing engines (:mod:`podpath.engine.ingress`,
:mod:`podpath.engine.backends`, :mod:`podpath.engine.tls`):

- a backend must name an existing Service and one of its ports, and that port needs ready
  endpoints (https://kubernetes.io/docs/concepts/services-networking/ingress/#resource-backend);
- an Ingress needs a class: ``spec.ingressClassName`` or a default IngressClass
  (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class),
  and a class it names must exist, else no controller serves it (the closest existing class
  is suggested: usually a typo);
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
from podpath.engine.ingress import CLASS_NOT_FOUND as INGRESS_CLASS_NOT_FOUND
from podpath.engine.ingress import (
    ingress_backend,
    ingress_tls_checks,
    ingresses_by_class,
)
from podpath.engine.ingress_nginx import is_ingress_nginx, routing_conflicts
from podpath.engine.near_miss import MAX_SUGGEST_DISTANCE, edit_distance
from podpath.engine.tls import manifests_hold_secrets
from podpath.model.core import SourceRef
from podpath.model.ingress import Ingress, IngressBackend
from podpath.model.routing import TLSCheck
from podpath.normalize.ingress_nginx import CHANGES_ROUTING

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
SECRET_NOT_IN_INPUT = rule(
    "tls-secret-not-in-input",
    Severity.INFO,
    STEP,
    "A TLS Secret an Ingress or Gateway references is not in the input: TLS not checked.",
)
NGINX_NOT_MODELLED = rule(
    "ingress-nginx-annotation-not-modelled",
    Severity.INFO,
    STEP,
    "An ingress-nginx annotation podpath does not model changes how requests are routed.",
)
NGINX_INVALID = rule(
    "ingress-nginx-annotation-invalid",
    Severity.WARNING,
    STEP,
    "An ingress-nginx annotation has a value the controller rejects (its default applies).",
)
CLASS_NOT_FOUND = rule(
    "ingress-class-not-found",
    Severity.ERROR,
    STEP,
    "An Ingress names an IngressClass that does not exist: no controller serves it.",
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


def closest_class(wanted: str, names: list[str]) -> str | None:
    """The existing IngressClass nearest to ``wanted`` by edit distance (a typo), if close:
    within a third of the name, at least 2 (a swapped pair of letters), at most 3."""
    best = min(((edit_distance(wanted, n), n) for n in names), default=None)
    if best is None or best[0] > max(2, min(MAX_SUGGEST_DISTANCE, len(wanted) // 3)):
        return None
    return best[1]


def _class_not_found(ctx: DoctorContext, ing: Ingress, message: str) -> Finding:
    names = sorted(c.name for c in ctx.cluster.of_kind("IngressClass"))
    near = closest_class(ing.class_name or "", names)
    if near is not None:
        hint = f"did you mean IngressClass {near}? set spec.ingressClassName: {near}"
    elif names:
        hint = f"set spec.ingressClassName to one of the IngressClasses ({', '.join(names)})"
    else:
        hint = (
            f"add IngressClass {ing.class_name} (the controller's chart creates it) to the "
            "input, or set spec.ingressClassName to the controller's class"
        )
    return make(
        CLASS_NOT_FOUND,
        str(ing.ref),
        message,
        hint,
        source=ing.source,
        impact=OUTAGE,
        severity=None if names else Severity.WARNING,
        related=[f"IngressClass/{near}"] if near else [],
    )


@check(STEP, NO_CLASS, CLASS_NOT_FOUND)
def ingress_classes(ctx: DoctorContext) -> Iterator[Finding]:
    _, notes = ingresses_by_class(ctx.cluster)
    by_ref = {str(i.ref): i for i in ctx.cluster.of_kind("Ingress")}
    for note in notes:
        ing = by_ref.get(note.object)
        if note.code == INGRESS_CLASS_NOT_FOUND and ing is not None:
            yield _class_not_found(ctx, ing, note.message)
            continue
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
    for note in routing_conflicts(ctx.cluster):
        yield make(
            CONFLICT,
            note.object,
            note.message,
            "remove the duplicate spec.rules[].host/paths[].path from one Ingress, or give it "
            "another host",
            source=sources.get(note.object),
            impact=10,
        )


CERT_MANAGER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")


def secret_not_in_input(
    ctx: DoctorContext,
    tls: TLSCheck,
    obj: str,
    where: str,
    field: str,
    issuer: bool = False,
    source: SourceRef | None = None,
) -> Finding:
    """A referenced TLS Secret the input lacks: an error when the input holds Secrets (it is
    probably missing: the controller then serves its default certificate); info when the
    input holds none, or cert-manager is asked to issue it."""
    missing = manifests_hold_secrets(ctx.cluster) and not issuer
    why = (
        "cert-manager is asked to issue it (cert-manager.io annotation)"
        if issuer
        else "the input holds other Secrets, so it is probably missing: the controller then "
        "serves its default certificate"
        if missing
        else "the input holds no Secrets"
    )
    return make(
        SECRET_NOT_IN_INPUT,
        obj,
        f"{where} host {tls.host}: Secret {tls.secret} is not in the input ({why}); "
        "TLS not checked",
        f"create the kubernetes.io/tls Secret {tls.secret}, or point {field} at an existing one"
        if missing
        else f"add Secret {tls.secret} to the input (kubectl get secret) to check its certificate",
        source=source,
        impact=OUTAGE if missing else 0,
        severity=Severity.ERROR if missing else None,
        related=[f"Secret/{tls.secret}"],
    )


@check(STEP, TLS_PROBLEM, SECRET_NOT_IN_INPUT)
def ingress_tls(ctx: DoctorContext) -> Iterator[Finding]:
    ingresses = {str(i.ref): i for i in ctx.cluster.of_kind("Ingress")}
    sources = {k: i.source for k, i in ingresses.items()}
    for tls in ingress_tls_checks(ctx.cluster, ctx.now):
        obj, _, entry = tls.source.partition(" ")
        if not tls.checked:
            ing = ingresses.get(obj)
            issuer = ing is not None and any(a in ing.annotations for a in CERT_MANAGER_ANNOTATIONS)
            field = f"{entry.replace('tls', 'spec.tls')}.secretName"
            yield secret_not_in_input(ctx, tls, obj, entry, field, issuer, sources.get(obj))
            continue
        if not tls.problems:
            continue
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


@check(STEP, NGINX_NOT_MODELLED, NGINX_INVALID)
def ingress_nginx_annotations(ctx: DoctorContext) -> Iterator[Finding]:
    """ingress-nginx annotations (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/)
    on Ingresses of an ingress-nginx class: the ones podpath ignores although they change
    routing (:data:`podpath.normalize.ingress_nginx.CHANGES_ROUTING`), and invalid values."""
    by_class, _ = ingresses_by_class(ctx.cluster)
    for cls, ingresses in by_class.items():
        if not is_ingress_nginx(ctx.cluster, cls):
            continue
        for ing in ingresses:
            ignored = [a for a in ing.nginx.not_modelled if a in CHANGES_ROUTING]
            if ignored:
                yield make(
                    NGINX_NOT_MODELLED,
                    str(ing.ref),
                    "ingress-nginx annotations podpath does not model change its routing: "
                    + ", ".join(f"nginx.ingress.kubernetes.io/{a}" for a in ignored)
                    + "; route, trace and migrate answer without them",
                    "nothing to change: check these by hand (a migration must reproduce them)",
                    source=ing.source,
                )
            for invalid in ing.nginx.invalid:
                yield make(
                    NGINX_INVALID,
                    str(ing.ref),
                    f"nginx.ingress.kubernetes.io/{invalid}: the controller ignores it and "
                    "applies the default",
                    "fix the annotation's value (annotation values are strings: quote them)",
                    source=ing.source,
                )
