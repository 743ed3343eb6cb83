"""Checklist step 4 (Gateway API listeners): listeners that serve nothing, ListenerSets that
are not accepted, routes attached only to such listeners, TCP/UDP routes shadowed on a
listener. Every verdict comes from :mod:`podpath.engine.gateway_listener_sets`,
:mod:`podpath.engine.gateway_listeners` and :mod:`podpath.engine.gateway_attach`
(https://gateway-api.sigs.k8s.io/reference/spec/#listenerstatus, GEP-1713):

- ``gateway-listener-invalid``: Accepted/Programmed False -- HTTPS without ``tls`` (v1.6),
  an unsupported protocol, a TLS mode that does not fit the protocol;
- ``gateway-listener-route-kinds``: ``allowedRoutes.kinds`` the protocol cannot carry
  (ResolvedRefs False, InvalidRouteKinds);
- ``listener-set-not-accepted``: NotAllowed (the Gateway's ``allowedListeners``),
  ListenersNotValid (no valid listener), Pending (no such Gateway);
- ``listener-set-listener-conflicted``: a ListenerSet listener indistinct from an earlier
  listener of the Gateway (the earlier one keeps serving);
- ``route-listeners-not-programmed``: a route Accepted, but every listener it attached to
  serves nothing;
- ``route-shadowed``: a TCPRoute/UDPRoute attached to a listener an older route is bound to.
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.gateway_attach import (
    IDLE,
    L4_KINDS,
    attachments,
    parents,
    route_status,
    routes,
)
from podpath.engine.gateway_listener_sets import gateway_listeners, listener_set_statuses
from podpath.engine.gateway_listeners import invalid_route_kinds
from podpath.model.core import SourceRef
from podpath.model.gateway import Gateway, ListenerSet

STEP = "4-ingress"
OUTAGE = 100

LISTENER_INVALID = rule(
    "gateway-listener-invalid",
    Severity.ERROR,
    STEP,
    "A Gateway or ListenerSet listener is invalid (HTTPS without tls, unsupported protocol): "
    "it serves nothing.",
)
ROUTE_KINDS = rule(
    "gateway-listener-route-kinds",
    Severity.WARNING,
    STEP,
    "A listener's allowedRoutes.kinds names route kinds its protocol cannot carry.",
)
SET_NOT_ACCEPTED = rule(
    "listener-set-not-accepted",
    Severity.ERROR,
    STEP,
    "A ListenerSet is not accepted by its Gateway (not allowed, no valid listener, no Gateway).",
)
SET_CONFLICTED = rule(
    "listener-set-listener-conflicted",
    Severity.ERROR,
    STEP,
    "A ListenerSet listener conflicts with an earlier listener of the Gateway: it serves nothing.",
)
NOT_PROGRAMMED = rule(
    "route-listeners-not-programmed",
    Severity.ERROR,
    STEP,
    "A route is accepted, but every listener it attached to is Conflicted or invalid.",
)
SHADOWED = rule(
    "route-shadowed",
    Severity.WARNING,
    STEP,
    "A TCPRoute/UDPRoute shares a listener with an older route: only the oldest gets traffic.",
)


@check(STEP, LISTENER_INVALID, ROUTE_KINDS, SET_CONFLICTED)
def listener_validity(ctx: DoctorContext) -> Iterator[Finding]:
    gateways: tuple[Gateway, ...] = ctx.cluster.of_kind("Gateway")
    for gw in sorted(gateways, key=lambda g: g.key):
        for m in gateway_listeners(ctx.cluster, gw)[0]:
            obj = m.owner
            source = gw.source if obj.startswith("Gateway/") else _set_source(ctx, obj)
            lis = m.listener
            if m.problem is not None:
                yield make(
                    LISTENER_INVALID,
                    obj,
                    f"listener {lis.name} ({lis.protocol} {lis.port}): Accepted False "
                    f"({m.problem[0]}), Programmed False ({m.problem[1]}): {m.problem[2]}",
                    "give an HTTPS listener tls.certificateRefs (mode Terminate), a TLS listener "
                    "tls.mode; use HTTP, HTTPS, TLS, TCP or UDP",
                    source=source,
                    impact=OUTAGE,
                )
            elif m.conflict is not None and obj.startswith("ListenerSet/"):
                yield make(
                    SET_CONFLICTED,
                    obj,
                    f"listener {lis.name} ({lis.protocol} {lis.port} {lis.hostname or '*'}) is "
                    f"Conflicted ({m.conflict}); the earlier listener keeps serving",
                    "give the listener another hostname or port (GEP-1713: the Gateway's "
                    "listeners, then older ListenerSets, take precedence)",
                    source=source,
                    impact=OUTAGE,
                    related=[f"Gateway/{gw.key}"],
                )
            if bad := invalid_route_kinds(lis):
                yield make(
                    ROUTE_KINDS,
                    obj,
                    f"listener {lis.name} ({lis.protocol}): allowedRoutes.kinds "
                    f"{', '.join(k.kind for k in bad)} cannot attach (ResolvedRefs False, "
                    "InvalidRouteKinds)",
                    "remove them, or use a listener protocol that carries them",
                    source=source,
                )


def _set_source(ctx: DoctorContext, owner: str) -> SourceRef | None:
    key = owner.split("/", 1)[1]
    sets: tuple[ListenerSet, ...] = ctx.cluster.of_kind("ListenerSet")
    return next((ls.source for ls in sets if ls.key == key), None)


_SET_HINTS = {
    "NotAllowed": "set spec.allowedListeners.namespaces on Gateway {gw} (from: Same, All or "
    "Selector); the default allows no ListenerSets",
    "ListenersNotValid": "fix the ListenerSet's listeners (conflicts, tls, certificate "
    "ReferenceGrants)",
    "Pending": "fix spec.parentRef to name an existing Gateway",
}


@check(STEP, SET_NOT_ACCEPTED)
def listener_sets_accepted(ctx: DoctorContext) -> Iterator[Finding]:
    sets = {ls.key: ls for ls in ctx.cluster.of_kind("ListenerSet")}
    for st in listener_set_statuses(ctx.cluster):
        if st.accepted:
            continue
        ls = sets.get(st.listener_set)
        yield make(
            SET_NOT_ACCEPTED,
            f"ListenerSet/{st.listener_set}",
            f"Accepted False ({st.accepted_reason}): {st.message}",
            _SET_HINTS.get(st.accepted_reason, "fix the ListenerSet").format(gw=st.gateway),
            source=ls.source if ls else None,
            impact=OUTAGE,
            related=[f"Gateway/{st.gateway}"] if st.gateway else [],
        )


@check(STEP, NOT_PROGRAMMED, SHADOWED)
def routes_served(ctx: DoctorContext) -> Iterator[Finding]:
    index = parents(ctx.cluster)
    for route in routes(ctx.cluster):
        for parent in route_status(ctx.cluster, route, index).parents:
            if parent.accepted and parent.messages and parent.messages[0].startswith(IDLE):
                yield make(
                    NOT_PROGRAMMED,
                    str(route.ref),
                    f"accepted by {parent.parent}, but gets no traffic: {parent.messages[0]}",
                    "fix the listener (see gateway-listener-* findings), or attach the route to "
                    "another listener (spec.parentRefs sectionName/port)",
                    source=route.source,
                    impact=OUTAGE,
                    related=[parent.parent],
                )
    bound: dict[tuple[str, str, str], str] = {}
    atts = sorted(
        (a for a in attachments(ctx.cluster, index) if a.route.kind in L4_KINDS),
        key=lambda a: (a.route.creation_timestamp, a.route.key),
    )
    for a in atts:
        where = (a.route.kind, a.owner, a.listener.name)
        if where not in bound:
            bound[where] = str(a.route.ref)
            continue
        yield make(
            SHADOWED,
            str(a.route.ref),
            f"attached to listener {a.listener_label} where {bound[where]} is older: only the "
            f"oldest {a.route.kind} is bound to a listener, this one gets no traffic",
            "give the route its own listener (port), or delete one of the routes",
            source=a.route.source,
            related=[bound[where]],
        )
