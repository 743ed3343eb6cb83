"""Gateway API (gateway.networking.k8s.io/v1): route attachment, status and references.

https://gateway-api.sigs.k8s.io/reference/spec/ (HTTPRoute, GRPCRoute, Gateway, ReferenceGrant)

- Attachment: a parentRef (kind Gateway) attaches to the Gateway's listeners selected by
  ``sectionName`` and ``port``, whose ``allowedRoutes`` admit the route's namespace (From
  Same / All / Selector on namespace labels) and kind (default by protocol: HTTP/HTTPS ->
  HTTPRoute, GRPCRoute; TLS -> TLSRoute; TCP -> TCPRoute), and whose hostname intersects the
  route's hostnames. Status reasons are the spec's: NoMatchingParent, NotAllowedByListeners,
  NoMatchingListenerHostname; ResolvedRefs false with BackendNotFound, RefNotPermitted,
  InvalidKind.
- Hostnames (HTTPRouteSpec.hostnames): ``*.example.com`` is a suffix match (any number of
  labels, not ``example.com``); a route hostname not matching the listener's is ignored.
- References: a backend or certificate in another namespace needs a ReferenceGrant there.

Request matching and precedence: :mod:`podpath.engine.gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID, service_port_backend
from podpath.engine.selectors import selector_matches
from podpath.engine.tls import check_certificate
from podpath.model.core import Note
from podpath.model.gateway import (
    GATEWAY_GROUP,
    ROUTE_KINDS,
    BackendRef,
    Gateway,
    Listener,
    ParentRef,
    ReferenceGrant,
    Route,
    RouteGroupKind,
)
from podpath.model.routing import ParentStatus, RouteStatus, TLSCheck, WeightedBackend

if TYPE_CHECKING:
    from podpath.cluster import Cluster

KINDS_BY_PROTOCOL = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}

# -- hostnames -----------------------------------------------------------------------------


def gateway_host_matches(pattern: str | None, host: str) -> bool:
    """Gateway API hostname matching: exact, or ``*.suffix`` matching one or more labels."""
    if pattern is None:
        return True
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def _hosts_intersect(listener: str, route: str) -> str | None:
    """The more specific of a listener and a route hostname when they intersect, else None."""
    lw, rw = listener.startswith("*."), route.startswith("*.")
    if not lw and not rw:
        return route if listener == route else None
    if lw and not rw:
        return route if gateway_host_matches(listener, route) else None
    if rw and not lw:
        return listener if gateway_host_matches(route, listener) else None
    if route[1:].endswith(listener[1:]):
        return route
    return listener if listener[1:].endswith(route[1:]) else None


def hostnames_intersection(listener: str | None, route: tuple[str, ...]) -> tuple[str, ...] | None:
    """Effective hostnames of a route on a listener: () = any host; None = no intersection."""
    if not route:
        return (listener,) if listener else ()
    if listener is None:
        return route
    out = tuple(h for r in route if (h := _hosts_intersect(listener, r)) is not None)
    return out or None


# -- listener conflicts --------------------------------------------------------------------

TLS_PROTOCOLS = ("HTTPS", "TLS")
HOSTNAME_PROTOCOLS = ("HTTP", "HTTPS", "TLS")


def listeners_conflict(a: Listener, b: Listener) -> str | None:
    """Whether two listeners on one Gateway are *not distinct*, and the Conflicted reason.

    GatewaySpec.listeners ("Distinct Listeners", https://gateway-api.sigs.k8s.io/reference/spec/#gatewayspec):
    listeners sharing a protocol must differ in Port or Hostname (HTTP, HTTPS, TLS) or in
    Port (TCP, UDP) -> else ``HostnameConflict``; "all the Listeners that share a port with
    the TCP Listener are not distinct" -> ``ProtocolConflict``; an HTTPS and a TLS listener on
    one port with the same hostname cannot be told apart by SNI -> ``ProtocolConflict``
    (conformance GatewayListenerProtocolAndRouteKindConflicts). The CRD's validation rejects
    an exact port/protocol/hostname duplicate at admission; manifests may still carry one.
    """
    if a.port != b.port or a.name == b.name:
        return None
    same_host = (a.hostname or "").lower() == (b.hostname or "").lower()
    if a.protocol == b.protocol:
        if a.protocol in HOSTNAME_PROTOCOLS:
            return "HostnameConflict" if same_host else None
        return "ProtocolConflict"
    protocols = {a.protocol, b.protocol}
    if "TCP" in protocols and protocols & set(HOSTNAME_PROTOCOLS):
        return "ProtocolConflict"
    if protocols == set(TLS_PROTOCOLS) and same_host:
        return "ProtocolConflict"
    return None


def conflicted_listeners(gateway: Gateway) -> dict[str, str]:
    """Conflicted listeners of a Gateway: name -> "REASON: with LISTENER[, ...]". None of
    them is accepted ("The implementation MUST NOT pick one conflicting Listener as the
    winner. ALL indistinct Listeners must not be accepted for processing")."""
    out: dict[str, str] = {}
    for a in gateway.listeners:
        others = [(b.name, r) for b in gateway.listeners if (r := listeners_conflict(a, b))]
        if others:
            reason = others[0][1]
            out[a.name] = f"{reason}: with {', '.join(n for n, _ in others)}"
    return out


def conflict_text(gateway: Gateway, names: list[str]) -> str:
    """ "listeners http, http2 of Gateway NS/NAME are Conflicted (HostnameConflict ...)"."""
    conflicts = conflicted_listeners(gateway)
    parts = "; ".join(f"{n} ({conflicts[n]})" for n in names if n in conflicts)
    return (
        f"listener(s) of Gateway {gateway.key} Conflicted, none accepted: {parts} "
        "(Gateway API: indistinct listeners are all rejected)"
    )


def listener_conflict_notes(cluster: Cluster) -> tuple[Note, ...]:
    """One error note per Gateway with Conflicted listeners (routes and doctor report it)."""
    notes = []
    for gw in sorted(cluster.of_kind("Gateway"), key=lambda g: g.key):
        conflicts = conflicted_listeners(gw)
        if conflicts:
            notes.append(
                Note(
                    "error",
                    "gateway-listener-conflicted",
                    conflict_text(gw, sorted(conflicts)),
                    str(gw.ref),
                    gw.source,
                )
            )
    return tuple(notes)


# -- attachment and status -----------------------------------------------------------------


def listener_kinds(listener: Listener) -> tuple[RouteGroupKind, ...]:
    """``allowedRoutes.kinds``, else the kinds the listener's protocol carries."""
    if listener.allowed_kinds:
        return listener.allowed_kinds
    return tuple(
        RouteGroupKind(GATEWAY_GROUP, k) for k in KINDS_BY_PROTOCOL.get(listener.protocol, ())
    )


def listener_allows_namespace(
    cluster: Cluster, listener: Listener, gateway: Gateway, namespace: str
) -> bool:
    """``allowedRoutes.namespaces.from``: Same (default), All, or Selector on namespace labels."""
    if listener.allowed_from == "All":
        return True
    if listener.allowed_from == "Selector":
        ns = cluster.namespace_by_name.get(namespace)
        sel = listener.allowed_selector
        return ns is not None and sel is not None and selector_matches(sel, ns.labels)
    return namespace == gateway.namespace


def gateways_by_key(cluster: Cluster) -> dict[str, Gateway]:
    return {g.key: g for g in cluster.of_kind("Gateway")}


def routes(cluster: Cluster) -> tuple[Route, ...]:
    out: list[Route] = []
    for kind in ROUTE_KINDS:
        out.extend(cluster.of_kind(kind))
    return tuple(out)


NOT_MODELLED = "NotModelled"


def is_gateway_parent(ref: ParentRef) -> bool:
    return ref.kind == "Gateway" and ref.group == GATEWAY_GROUP


def parent_not_modelled(ref: ParentRef) -> str:
    """Why a parentRef that is not a Gateway is not modelled: a Service parent is a mesh
    route (GAMMA, https://gateway-api.sigs.k8s.io/mesh/), served by the mesh's sidecars or
    ztunnel, not by an entry point from outside; any other kind is implementation-specific
    (ParentReference.kind)."""
    target = f"{ref.namespace}/{ref.name}"
    if ref.kind == "Service" and ref.group in ("", "core"):
        return (
            f"parentRef Service/{target}: a mesh route (GAMMA), applied by the service mesh to "
            "traffic inside the cluster; podpath models Gateways only"
        )
    group = f"{ref.group}/" if ref.group else ""
    return f"parentRef {group}{ref.kind}/{target} is not a Gateway: not modelled"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A route attached to one listener of one Gateway, with its effective hostnames."""

    route: Route
    gateway: Gateway
    listener: Listener
    hostnames: tuple[str, ...]


def _attach_parent(
    cluster: Cluster, route: Route, ref_index: int, gateways: dict[str, Gateway]
) -> tuple[list[Attachment], str, str]:
    ref = route.parent_refs[ref_index]
    if not is_gateway_parent(ref):
        return [], NOT_MODELLED, parent_not_modelled(ref)
    gw = gateways.get(f"{ref.namespace}/{ref.name}")
    if gw is None:
        return [], "NoMatchingParent", f"Gateway {ref.namespace}/{ref.name} not found"
    selected = [
        lis
        for lis in gw.listeners
        if (ref.section_name is None or lis.name == ref.section_name)
        and (ref.port is None or lis.port == ref.port)
    ]
    if not selected:
        return (
            [],
            "NoMatchingParent",
            f"Gateway {gw.key} has no listener {ref.section_name or ''}"
            f"{':' + str(ref.port) if ref.port else ''}",
        )
    conflicts = conflicted_listeners(gw)
    if all(lis.name in conflicts for lis in selected):
        return [], "NoMatchingParent", conflict_text(gw, [lis.name for lis in selected])
    selected = [lis for lis in selected if lis.name not in conflicts]
    allowed = [
        lis
        for lis in selected
        if listener_allows_namespace(cluster, lis, gw, route.namespace)
        and any(
            k.kind == route.kind and k.group in (GATEWAY_GROUP, "") for k in listener_kinds(lis)
        )
    ]
    if not allowed:
        return (
            [],
            "NotAllowedByListeners",
            f"no listener of Gateway {gw.key} allows {route.kind} from namespace {route.namespace}",
        )
    out = []
    for lis in allowed:
        hosts = (
            hostnames_intersection(lis.hostname, route.hostnames)
            if route.kind != "TCPRoute"
            else ()
        )
        if hosts is not None:
            out.append(Attachment(route, gw, lis, hosts))
    if not out:
        return (
            [],
            "NoMatchingListenerHostname",
            f"no hostname of the route intersects the listeners of Gateway {gw.key}",
        )
    return out, "Accepted", ""


def reference_granted(cluster: Cluster, route: Route, ref: BackendRef) -> bool:
    """A backend in another namespace needs a ReferenceGrant in that namespace from the
    route's kind and namespace to the backend's kind (and name, if the grant names one)."""
    if ref.namespace == route.namespace:
        return True
    return _grant_allows(
        cluster,
        ref.namespace,
        GATEWAY_GROUP,
        route.kind,
        route.namespace,
        ref.group,
        ref.kind,
        ref.name,
    )


def _grant_allows(
    cluster: Cluster,
    to_ns: str,
    from_group: str,
    from_kind: str,
    from_ns: str,
    to_group: str,
    to_kind: str,
    to_name: str,
) -> bool:
    """ReferenceGrant: some grant in ``to_ns`` lists the referrer in ``from`` and the target
    (group, kind, and name when the grant names one) in ``to``."""
    grants: tuple[ReferenceGrant, ...] = cluster.of_kind("ReferenceGrant")
    for g in grants:
        if g.namespace != to_ns:
            continue
        if not any(
            f.group == from_group and f.kind == from_kind and f.namespace == from_ns
            for f in g.from_
        ):
            continue
        if any(
            t.group == to_group and t.kind == to_kind and t.name in (None, to_name) for t in g.to
        ):
            return True
    return False


def resolve_backend_ref(
    cluster: Cluster, route: Route, ref: BackendRef
) -> tuple[WeightedBackend, str]:
    """A backendRef -> weighted outcome, and the ResolvedRefs reason ("" when resolved)."""
    key = f"{ref.namespace}/{ref.name}"
    if ref.group != "" or ref.kind != "Service":
        return WeightedBackend(
            ref.weight,
            service=key,
            status=STATUS_INVALID,
            reason=f"backendRef kind {ref.group}/{ref.kind} is not a Service",
        ), "InvalidKind"
    if not reference_granted(cluster, route, ref):
        return WeightedBackend(
            ref.weight,
            service=key,
            port=ref.port,
            status=STATUS_INVALID,
            reason=f"no ReferenceGrant in {ref.namespace} allows {route.kind} "
            f"from {route.namespace}",
        ), "RefNotPermitted"
    wb = service_port_backend(cluster, ref.namespace, ref.name, ref.port, ref.weight)
    if wb.status == STATUS_INVALID:
        return wb, "BackendNotFound"
    return wb, ""


def route_status(cluster: Cluster, route: Route) -> RouteStatus:
    """Accepted and ResolvedRefs per parentRef, as a controller would compute them."""
    gateways = gateways_by_key(cluster)
    resolved_reason, messages = "ResolvedRefs", []
    for rule in route.rules:
        for backend_ref in rule.backend_refs:
            wb, why = resolve_backend_ref(cluster, route, backend_ref)
            if why and resolved_reason == "ResolvedRefs":
                resolved_reason = why
            if why:
                messages.append(wb.reason)
    parents = []
    for i, parent_ref in enumerate(route.parent_refs):
        attached, reason, message = _attach_parent(cluster, route, i, gateways)
        parents.append(
            ParentStatus(
                parent=str(parent_ref),
                accepted=bool(attached),
                accepted_reason=reason,
                resolved_refs=resolved_reason == "ResolvedRefs",
                resolved_reason=resolved_reason,
                listeners=tuple(f"{a.gateway.key}/{a.listener.name}" for a in attached),
                messages=tuple(([message] if message else []) + messages),
                modelled=reason != NOT_MODELLED,
            )
        )
    return RouteStatus(str(route.ref), tuple(parents))


def attachments(cluster: Cluster) -> tuple[Attachment, ...]:
    """Every (route, Gateway listener) attachment in the cluster."""
    gateways = gateways_by_key(cluster)
    out: list[Attachment] = []
    for route in routes(cluster):
        for i in range(len(route.parent_refs)):
            out.extend(_attach_parent(cluster, route, i, gateways)[0])
    return tuple(out)


def listener_tls(
    cluster: Cluster, gateway: Gateway, listener: Listener, host: str, now: datetime
) -> TLSCheck:
    """The listener's first certificateRef (a Secret; another namespace needs a ReferenceGrant
    from the Gateway) checked for ``host``."""
    source = f"Gateway/{gateway.key} listener {listener.name}"
    if not listener.certificate_refs:
        return TLSCheck(host, None, source, problems=("listener has no tls.certificateRefs",))
    ref = listener.certificate_refs[0]
    key = f"{ref.namespace}/{ref.name}"
    if ref.kind != "Secret" or ref.group != "":
        return TLSCheck(
            host, key, source, problems=(f"certificateRef kind {ref.kind} is not a Secret",)
        )
    if ref.namespace != gateway.namespace and not _grant_allows(
        cluster, ref.namespace, GATEWAY_GROUP, "Gateway", gateway.namespace, "", "Secret", ref.name
    ):
        return TLSCheck(
            host,
            key,
            source,
            problems=(
                f"no ReferenceGrant in {ref.namespace} allows Gateway {gateway.key} "
                f"to use Secret {ref.name}",
            ),
        )
    return check_certificate(cluster, host, key, source, now)
