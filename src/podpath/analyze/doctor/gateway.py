"""Checklist step 4 (Gateway API): routes accepted by their Gateways, references resolved,
listener certificates valid (the Gateway's own listeners and its ListenerSets'). Every status
comes from :func:`podpath.engine.gateway_attach.route_status` and
:func:`podpath.engine.gateway_refs.listener_tls`
(https://gateway-api.sigs.k8s.io/reference/spec/); listeners and ListenerSets:
:mod:`podpath.analyze.doctor.gateway_listeners`; BackendTLSPolicy:
:mod:`podpath.analyze.doctor.gateway_backend_tls`.

- Accepted false: NoMatchingParent (no such Gateway, ListenerSet or listener; a ListenerSet
  its Gateway does not accept), NotAllowedByListeners
  (``allowedRoutes`` forbids the namespace or kind), NoMatchingListenerHostname;
- ResolvedRefs false: BackendNotFound, RefNotPermitted (a cross-namespace backend without a
  ReferenceGrant), InvalidKind.
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.analyze.doctor.ingress import SECRET_NOT_IN_INPUT, secret_not_in_input
from podpath.engine.gateway_attach import IDLE, Parents, parents, route_status, routes
from podpath.engine.gateway_listener_sets import gateway_listeners
from podpath.engine.gateway_listeners import listener_conflict_notes
from podpath.engine.gateway_refs import listener_tls
from podpath.model.gateway import Gateway, Route

STEP = "4-ingress"
OUTAGE = 100
NOT_ACCEPTED = rule(
    "route-not-accepted",
    Severity.ERROR,
    STEP,
    "A Gateway API route is not accepted by its parent (no parent, listener or hostname match).",
)
UNRESOLVED = rule(
    "route-refs-unresolved",
    Severity.ERROR,
    STEP,
    "A Gateway API route has backendRefs that do not resolve (missing, no ReferenceGrant).",
)
LISTENER_TLS = rule(
    "gateway-tls-invalid",
    Severity.ERROR,
    STEP,
    "A Gateway listener's certificate is missing, not permitted, not covering or expired.",
)

PARENT_NOT_MODELLED = rule(
    "route-parent-not-modelled",
    Severity.INFO,
    STEP,
    "A route's parentRef is not a Gateway (a mesh Service as in GAMMA, a Mesh): not modelled.",
)
LISTENER_CONFLICT = rule(
    "gateway-listener-conflicted",
    Severity.ERROR,
    STEP,
    "Listeners of one Gateway share port, protocol and hostname: all are Conflicted, none serves.",
)

_HINTS = {
    "NoMatchingParent": "fix spec.parentRefs[{i}] (kind, name, namespace, sectionName, port) to "
    "name an existing Gateway or accepted ListenerSet listener",
    "NotAllowedByListeners": "allow the route's namespace in the Gateway's "
    "spec.listeners[].allowedRoutes.namespaces (from: All or a selector), or move the route",
    "NoMatchingListenerHostname": "make spec.hostnames intersect the listener's hostname",
}
_REF_HINTS = {
    "RefNotPermitted": "create a ReferenceGrant in the backend's namespace from this route's "
    "kind and namespace to kind Service",
    "BackendNotFound": "fix spec.rules[].backendRefs[] (name and port of an existing Service)",
    "InvalidKind": "spec.rules[].backendRefs[] must reference a Service",
}


@check(STEP, NOT_ACCEPTED, UNRESOLVED, PARENT_NOT_MODELLED)
def route_statuses(ctx: DoctorContext) -> Iterator[Finding]:
    index = parents(ctx.cluster)
    for route in routes(ctx.cluster):
        yield from _route_findings(ctx, route, index)


def _route_findings(ctx: DoctorContext, route: Route, index: Parents) -> Iterator[Finding]:
    if not route.parent_refs:
        yield make(
            NOT_ACCEPTED,
            str(route.ref),
            "route has no parentRefs: no Gateway serves it",
            "add spec.parentRefs naming the Gateway (and listener sectionName) it attaches to",
            source=route.source,
            impact=OUTAGE,
        )
        return
    status = route_status(ctx.cluster, route, index)
    unresolved: set[str] = set()
    for i, parent in enumerate(status.parents):
        if not parent.modelled:
            yield make(
                PARENT_NOT_MODELLED,
                str(route.ref),
                parent.messages[0] if parent.messages else parent.parent,
                "nothing to change: podpath does not model this parent (its routing is the "
                "mesh's or the implementation's)",
                source=route.source,
            )
            continue
        if not parent.accepted:
            detail = "; ".join(parent.messages[:1]) or parent.accepted_reason
            yield make(
                NOT_ACCEPTED,
                str(route.ref),
                f"not accepted by {parent.parent} ({parent.accepted_reason}): {detail}",
                _HINTS.get(parent.accepted_reason, "fix spec.parentRefs[{i}]").format(i=i),
                source=route.source,
                impact=OUTAGE,
                related=[parent.parent],
            )
        if not parent.resolved_refs and parent.resolved_reason not in unresolved:
            unresolved.add(parent.resolved_reason)
            first = (
                1
                if parent.messages and (not parent.accepted or parent.messages[0].startswith(IDLE))
                else 0
            )
            msgs = list(dict.fromkeys(parent.messages[first:]))
            why = "; ".join(msgs) or parent.resolved_reason
            yield make(
                UNRESOLVED,
                str(route.ref),
                f"ResolvedRefs false ({parent.resolved_reason}): {why}",
                _REF_HINTS.get(parent.resolved_reason, "fix spec.rules[].backendRefs[]"),
                source=route.source,
                impact=OUTAGE,
            )


@check(STEP, LISTENER_TLS, SECRET_NOT_IN_INPUT)
def gateway_listener_tls(ctx: DoctorContext) -> Iterator[Finding]:
    """The certificate of every TLS-terminating listener, the Gateway's own and its
    ListenerSets' (GEP-1713: a ListenerSet's cross-namespace Secret needs a ReferenceGrant from
    the ListenerSet)."""
    gateways: tuple[Gateway, ...] = ctx.cluster.of_kind("Gateway")
    for gw in sorted(gateways, key=lambda g: g.key):
        own = {lis.name: i for i, lis in enumerate(gw.listeners)}
        for m in gateway_listeners(ctx.cluster, gw)[0]:
            lis = m.listener
            if lis.protocol not in ("HTTPS", "TLS") or lis.tls_mode != "Terminate":
                continue
            host = lis.hostname or "*"
            tls = listener_tls(ctx.cluster, m.owner, lis, host.replace("*", "wildcard"), ctx.now)
            is_own = m.owner.startswith("Gateway/")
            field = (
                f"spec.listeners[{own[lis.name] if is_own else lis.name}].tls.certificateRefs[0]"
            )
            source = gw.source if is_own else None
            if not tls.checked:
                where = f"listener {lis.name} ({host})"
                yield secret_not_in_input(ctx, tls, m.owner, where, field, source=source)
                continue
            problems = [p for p in tls.problems if lis.hostname or "does not cover" not in p]
            if not problems:
                continue
            yield make(
                LISTENER_TLS,
                m.owner,
                f"listener {lis.name} ({host}): {'; '.join(problems)}",
                f"set {field} to a kubernetes.io/tls Secret whose "
                f"certificate covers {host} and is valid (a ReferenceGrant for another namespace)",
                source=source,
                impact=OUTAGE,
                related=[f"Secret/{tls.secret}"] if tls.secret else [],
            )


@check(STEP, LISTENER_CONFLICT)
def gateway_listener_conflicts(ctx: DoctorContext) -> Iterator[Finding]:
    """GatewaySpec.listeners "Distinct Listeners": indistinct listeners are Conflicted and
    none of them is accepted (:func:`podpath.engine.gateway_attach.conflicted_listeners`)."""
    for note in listener_conflict_notes(ctx.cluster):
        yield make(
            LISTENER_CONFLICT,
            note.object,
            note.message,
            "give each listener on a port its own hostname (or another port); listeners of "
            "one protocol must differ in port or hostname",
            source=note.source,
            impact=OUTAGE,
        )
