"""Gateway API (gateway.networking.k8s.io/v1): route attachment, status and references.

https://gateway-api.sigs.k8s.io/reference/spec/ (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute,
UDPRoute, Gateway, ListenerSet, ReferenceGrant)

- Attachment: a parentRef of kind Gateway attaches to the Gateway's *own* listeners, one of
  kind ListenerSet to that ListenerSet's listeners (GEP-1713 "Route Attachment": "If a Route
  has a parentRef that is a ListenerSet, then the ListenerSet is the direct parent" and a
  Gateway parent "MUST NOT attach to any listeners in the child ListenerSets"), selected by
  ``sectionName`` and ``port``, whose ``allowedRoutes`` admit the route's namespace (From Same
  -- the listener owner's namespace -- / All / Selector on namespace labels) and kind
  (:func:`podpath.engine.gateway_listeners.listener_kinds`), and whose hostname intersects
  the route's hostnames (TCPRoute and UDPRoute have none). Status reasons are the spec's:
  NoMatchingParent, NotAllowedByListeners, NoMatchingListenerHostname; ResolvedRefs false
  with BackendNotFound, RefNotPermitted, InvalidKind. A TLSRoute on a listener that is not
  TLS is NotAllowedByListeners (conformance TLSRouteInvalidNoMatchingListener; the TLSRoute
  field doc says UnsupportedValue, the conformance suite asserts NotAllowedByListeners).
- "Listener or Route status does not impact successful attachment" (ListenerStatus
  .attachedRoutes): a route attaches to a Conflicted or invalid listener and is Accepted;
  the listener serves nothing (``Attachment.programmed`` False, said in the status messages).
- Hostnames (HTTPRouteSpec.hostnames): ``*.example.com`` is a suffix match (any number of
  labels, not ``example.com``); a route hostname not matching the listener's is ignored.
- References: a backend in another namespace needs a ReferenceGrant there.

Request matching and precedence: :mod:`podpath.engine.gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID, service_port_backend
from podpath.engine.gateway_listener_sets import (
    MergedListener,
    gateway_listeners,
    listener_set_statuses,
)
from podpath.engine.gateway_listeners import listener_kinds
from podpath.engine.gateway_refs import grant_allows
from podpath.engine.selectors import selector_matches
from podpath.model.gateway import (
    GATEWAY_GROUP,
    ROUTE_KINDS,
    BackendRef,
    Gateway,
    Listener,
    ListenerSet,
    ParentRef,
    Route,
)
from podpath.model.gateway_status import ListenerSetStatus
from podpath.model.routing import ParentStatus, RouteStatus, WeightedBackend

if TYPE_CHECKING:
    from podpath.cluster import Cluster

L4_KINDS = ("TCPRoute", "UDPRoute")
IDLE = "attached, but no listener serves it: "

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


def host_specificity(hostnames: tuple[str, ...], host: str) -> tuple[int, int]:
    """(characters of the longest matching non-wildcard hostname, of any matching hostname)."""
    matching = [h for h in hostnames if gateway_host_matches(h, host)]
    exact = max((len(h) for h in matching if not h.startswith("*.")), default=0)
    return exact, max((len(h) for h in matching), default=0)


# -- attachment and status -----------------------------------------------------------------


def listener_allows_namespace(cluster: Cluster, m: MergedListener, namespace: str) -> bool:
    """``allowedRoutes.namespaces.from``: Same (default: the namespace of the listener's
    Gateway or ListenerSet, conformance ListenerSetAllowedRoutesCrossNamespace), All, or
    Selector on namespace labels."""
    lis = m.listener
    if lis.allowed_from == "All":
        return True
    if lis.allowed_from == "Selector":
        ns = cluster.namespace_by_name.get(namespace)
        sel = lis.allowed_selector
        return ns is not None and sel is not None and selector_matches(sel, ns.labels)
    return namespace == m.namespace


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


def is_listener_set_parent(ref: ParentRef) -> bool:
    return ref.kind == "ListenerSet" and ref.group == GATEWAY_GROUP


def parent_not_modelled(ref: ParentRef) -> str:
    """Why a parentRef that is not a Gateway or ListenerSet is not modelled: a Service parent
    is a mesh route (GAMMA, https://gateway-api.sigs.k8s.io/mesh/), served by the mesh's
    sidecars or ztunnel, not by an entry point from outside; any other kind is
    implementation-specific (ParentReference.kind)."""
    target = f"{ref.namespace}/{ref.name}"
    if ref.kind == "Service" and ref.group in ("", "core"):
        return (
            f"parentRef Service/{target}: a mesh route (GAMMA), applied by the service mesh to "
            "traffic inside the cluster; podpath models Gateways only"
        )
    group = f"{ref.group}/" if ref.group else ""
    if ref.kind == "XListenerSet" and ref.group == "gateway.networking.x-k8s.io":
        return (
            f"parentRef {group}XListenerSet/{target}: the experimental name of ListenerSet "
            "(GEP-1713, https://gateway-api.sigs.k8s.io/geps/gep-1713/), not modelled: attach "
            "to a gateway.networking.k8s.io ListenerSet"
        )
    return f"parentRef {group}{ref.kind}/{target} is not a Gateway: not modelled"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A route attached to one listener of one Gateway (its own, or of a ListenerSet:
    ``owner``), with its effective hostnames; ``programmed`` False when the listener serves
    nothing (Conflicted or invalid)."""

    route: Route
    gateway: Gateway
    listener: Listener
    hostnames: tuple[str, ...]
    owner: str = ""
    programmed: bool = True

    @property
    def listener_label(self) -> str:
        """``NS/GATEWAY/LISTENER`` for a Gateway's own listener, else
        ``ListenerSet/NS/NAME/LISTENER``."""
        if self.owner.startswith("ListenerSet/"):
            return f"{self.owner}/{self.listener.name}"
        return f"{self.gateway.key}/{self.listener.name}"


@dataclass(frozen=True, slots=True)
class Parents:
    """Every parent a route can name: Gateways with their merged listeners, ListenerSets
    with their status."""

    gateways: dict[str, Gateway]
    listeners: dict[str, tuple[MergedListener, ...]]
    listener_sets: dict[str, ListenerSet]
    set_status: dict[str, ListenerSetStatus]


def parents(cluster: Cluster) -> Parents:
    gateways = gateways_by_key(cluster)
    sets: tuple[ListenerSet, ...] = cluster.of_kind("ListenerSet")
    return Parents(
        gateways,
        {k: gateway_listeners(cluster, g)[0] for k, g in gateways.items()},
        {ls.key: ls for ls in sets},
        {st.listener_set: st for st in listener_set_statuses(cluster)},
    )


def _parent_listeners(
    ref: ParentRef, index: Parents
) -> tuple[Gateway | None, list[MergedListener], str]:
    """The direct parent's Gateway and listeners, or why there is none."""
    key = f"{ref.namespace}/{ref.name}"
    if is_gateway_parent(ref):
        gw = index.gateways.get(key)
        if gw is None:
            return None, [], f"Gateway {key} not found"
        owner = f"Gateway/{key}"
        return gw, [m for m in index.listeners[key] if m.owner == owner], ""
    if key not in index.listener_sets:
        return None, [], f"ListenerSet {key} not found"
    st = index.set_status[key]
    if not st.accepted:
        return None, [], f"ListenerSet {key} is not Accepted ({st.accepted_reason}): {st.message}"
    owner = f"ListenerSet/{key}"
    gw = index.gateways[st.gateway]
    return gw, [m for m in index.listeners[gw.key] if m.owner == owner], ""


def _attach_parent(
    cluster: Cluster, route: Route, ref_index: int, index: Parents
) -> tuple[list[Attachment], str, str]:
    ref = route.parent_refs[ref_index]
    if not (is_gateway_parent(ref) or is_listener_set_parent(ref)):
        return [], NOT_MODELLED, parent_not_modelled(ref)
    gw, candidates, why = _parent_listeners(ref, index)
    if gw is None:
        return [], "NoMatchingParent", why
    parent = f"{ref.kind} {ref.namespace}/{ref.name}"
    selected = [
        m
        for m in candidates
        if (ref.section_name is None or m.listener.name == ref.section_name)
        and (ref.port is None or m.listener.port == ref.port)
    ]
    if not selected:
        return (
            [],
            "NoMatchingParent",
            f"{parent} has no listener {ref.section_name or ''}"
            f"{':' + str(ref.port) if ref.port else ''}",
        )
    allowed = [
        m
        for m in selected
        if listener_allows_namespace(cluster, m, route.namespace)
        and any(k.kind == route.kind for k in listener_kinds(m.listener))
    ]
    if not allowed:
        return (
            [],
            "NotAllowedByListeners",
            f"no listener of {parent} allows {route.kind} from namespace {route.namespace}",
        )
    out = []
    for m in allowed:
        hosts = (
            hostnames_intersection(m.listener.hostname, route.hostnames)
            if route.kind not in L4_KINDS
            else ()
        )
        if hosts is not None:
            out.append(Attachment(route, gw, m.listener, hosts, m.owner, m.programmed))
    if not out:
        return (
            [],
            "NoMatchingListenerHostname",
            f"no hostname of the route intersects the listeners of {parent}",
        )
    idle = [m.why_not for m in allowed if not m.programmed]
    if len(idle) == len(out):
        return out, "Accepted", IDLE + "; ".join(idle)
    return out, "Accepted", ""


def reference_granted(cluster: Cluster, route: Route, ref: BackendRef) -> bool:
    """A backend in another namespace needs a ReferenceGrant in that namespace from the
    route's kind and namespace to the backend's kind (and name, if the grant names one)."""
    if ref.namespace == route.namespace:
        return True
    return grant_allows(
        cluster,
        ref.namespace,
        GATEWAY_GROUP,
        route.kind,
        route.namespace,
        ref.group,
        ref.kind,
        ref.name,
    )


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


def route_status(cluster: Cluster, route: Route, index: Parents | None = None) -> RouteStatus:
    """Accepted and ResolvedRefs per parentRef, as a controller would compute them."""
    index = index or parents(cluster)
    resolved_reason, messages = "ResolvedRefs", []
    for rule in route.rules:
        for backend_ref in rule.backend_refs:
            wb, why = resolve_backend_ref(cluster, route, backend_ref)
            if why and resolved_reason == "ResolvedRefs":
                resolved_reason = why
            if why:
                messages.append(wb.reason)
    out = []
    for i, parent_ref in enumerate(route.parent_refs):
        attached, reason, message = _attach_parent(cluster, route, i, index)
        out.append(
            ParentStatus(
                parent=str(parent_ref),
                accepted=bool(attached),
                accepted_reason=reason,
                resolved_refs=resolved_reason == "ResolvedRefs",
                resolved_reason=resolved_reason,
                listeners=tuple(a.listener_label for a in attached),
                messages=tuple(([message] if message else []) + messages),
                modelled=reason != NOT_MODELLED,
            )
        )
    return RouteStatus(str(route.ref), tuple(out))


def attachments(cluster: Cluster, index: Parents | None = None) -> tuple[Attachment, ...]:
    """Every (route, listener) attachment in the cluster."""
    index = index or parents(cluster)
    out: list[Attachment] = []
    for route in routes(cluster):
        for i in range(len(route.parent_refs)):
            out.extend(_attach_parent(cluster, route, i, index)[0])
    return tuple(out)
