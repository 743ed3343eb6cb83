"""Gateway API (gateway.networking.k8s.io/v1): route attachment, status and request matching.

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
- Matching (HTTPRouteRule.matches): every condition of a match (path Exact / PathPrefix by
  element / RegularExpression, headers with case-insensitive names, query parameters, method)
  must hold; any match of a rule selects it; no matches -> PathPrefix ``/``.
- Precedence across all rules of the applicable routes: the route with the longest matching
  non-wildcard hostname, then longest matching hostname (HTTPRouteSpec.hostnames); then Exact
  path, RegularExpression (implementation-specific: podpath ranks it between Exact and
  PathPrefix, longest pattern first, as Envoy Gateway does), longest PathPrefix; method match;
  most header matches; most query matches; oldest creationTimestamp; ``namespace/name``;
  first rule, first match.
- Outcome: nothing matches -> 404; backendRefs weighted (default 1, 0 = no traffic); an
  invalid backend (not found, wrong kind, no port, cross-namespace without a ReferenceGrant)
  -> 500 for its share; a Service without ready endpoints -> 503; a RequestRedirect filter
  answers its statusCode (default 302).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID, outcome, service_port_backend
from podpath.engine.selectors import selector_matches
from podpath.engine.tls import check_certificate
from podpath.model.routing import (
    GATEWAY_GROUP,
    BackendRef,
    Gateway,
    GRPCRouteMatch,
    HTTPRouteMatch,
    Listener,
    MatchRef,
    ParentStatus,
    ReferenceGrant,
    Request,
    Route,
    RouteAnswer,
    RouteGroupKind,
    RouteStatus,
    TLSCheck,
    ValueMatch,
    WeightedBackend,
)

if TYPE_CHECKING:
    from podpath.cluster import Cluster

KINDS_BY_PROTOCOL = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
REDIRECT_DEFAULT_STATUS = 302


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
    for kind in ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute"):
        out.extend(cluster.of_kind(kind))
    return tuple(out)


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
    if ref.kind != "Gateway" or ref.group != GATEWAY_GROUP:
        return [], "UnsupportedValue", f"parentRef kind {ref.group}/{ref.kind} is not modelled"
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


# -- request matching ----------------------------------------------------------------------


def _regex(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False


def http_path_matches(match_type: str, value: str, path: str) -> bool:
    """HTTPPathMatch: Exact; PathPrefix element-wise, trailing ``/`` ignored; RegularExpression
    (Python ``re`` full match as the dialect, an assumption)."""
    if match_type == "Exact":
        return path == value
    if match_type == "PathPrefix":
        want = [e for e in value.split("/") if e]
        return [e for e in path.split("/") if e][: len(want)] == want
    if match_type == "RegularExpression":
        return _regex(value, path)
    return False


def _value_matches(m: ValueMatch, actual: str | None) -> bool:
    if actual is None:
        return False
    return actual == m.value if m.type == "Exact" else _regex(m.value, actual)


def _first_per_name(matches: tuple[ValueMatch, ...], fold: bool) -> tuple[ValueMatch, ...]:
    """Only the first entry of equivalent names counts (HTTPHeaderMatch.name)."""
    seen: set[str] = set()
    out = []
    for m in matches:
        name = m.name.lower() if fold else m.name
        if name not in seen:
            seen.add(name)
            out.append(m)
    return tuple(out)


def http_match_matches(m: HTTPRouteMatch, request: Request) -> bool:
    """Every condition of one HTTPRouteMatch holds for the request."""
    return (
        http_path_matches(m.path.type, m.path.value, request.path)
        and (m.method is None or m.method == request.method)
        and all(_value_matches(h, request.header(h.name)) for h in _first_per_name(m.headers, True))
        and all(
            _value_matches(q, request.query_param(q.name))
            for q in _first_per_name(m.query_params, False)
        )
    )


def grpc_match_matches(m: GRPCRouteMatch, request: Request) -> bool:
    """GRPCRouteMatch: the request path is ``/SERVICE/METHOD``; service and method compared
    exactly or as regular expressions; headers as for HTTP."""
    parts = request.path.strip("/").split("/")
    if len(parts) != 2:
        return False
    service, method = parts
    for want, got in ((m.service, service), (m.method, method)):
        if want is not None and not (got == want if m.type == "Exact" else _regex(want, got)):
            return False
    return all(_value_matches(h, request.header(h.name)) for h in _first_per_name(m.headers, True))


PATH_RANK = {"Exact": 0, "RegularExpression": 1, "PathPrefix": 2}


def match_precedence(
    route: Route,
    hostnames: tuple[str, ...],
    host: str,
    rule: int,
    index: int,
    m: HTTPRouteMatch | GRPCRouteMatch,
) -> tuple[object, ...]:
    """The sort key of a matching (route, rule, match); smaller wins (module docstring).

    Ties across Routes: the oldest, then "the Route appearing first in alphabetical order by
    ``{namespace}/{name}``" (HTTPRouteRule) -- the joined string, which is not the order of
    (namespace, name) pairs: ``a-b/r`` sorts before ``a/r``."""
    exact, any_len = host_specificity(hostnames, host)
    tail = (route.creation_timestamp, route.key, route.kind, rule, index)
    if isinstance(m, GRPCRouteMatch):
        return (
            -exact,
            -any_len,
            0,
            0,
            -len(m.service or ""),
            -len(m.method or ""),
            -len(m.headers),
            0,
            *tail,
        )
    return (
        -exact,
        -any_len,
        PATH_RANK.get(m.path.type, 3),
        -len(m.path.value.rstrip("/") if m.path.type == "PathPrefix" else m.path.value),
        0 if m.method else 1,
        -len(_first_per_name(m.headers, True)),
        -len(_first_per_name(m.query_params, False)),
        0,
        *tail,
    )


def _route_hosts_match(a: Attachment, host: str) -> bool:
    return not a.hostnames or any(gateway_host_matches(h, host) for h in a.hostnames)


def candidates(
    atts: list[Attachment], request: Request
) -> Iterator[tuple[tuple[object, ...], Attachment, int, int]]:
    """Every (precedence key, attachment, rule, match) whose match holds for the request."""
    use_grpc = request.grpc and any(a.route.kind == "GRPCRoute" for a in atts)
    kind = "GRPCRoute" if use_grpc else "HTTPRoute"
    for a in atts:
        if a.route.kind != kind or not _route_hosts_match(a, request.host):
            continue
        for ri, rule in enumerate(a.route.rules):
            for mi, m in enumerate(rule.matches):
                ok = (
                    grpc_match_matches(m, request)
                    if isinstance(m, GRPCRouteMatch)
                    else http_match_matches(m, request)
                )
                if ok:
                    yield match_precedence(a.route, a.hostnames, request.host, ri, mi, m), a, ri, mi


def listener_serves(listener: Listener, request: Request) -> bool:
    """Protocol (http -> HTTP; https -> HTTPS or TLS passthrough), port and hostname."""
    want = ("HTTPS", "TLS") if request.tls else ("HTTP",)
    return (
        listener.protocol in want
        and listener.port == request.port
        and gateway_host_matches(listener.hostname, request.host)
    )


def select_listener(gateway: Gateway, request: Request) -> Listener | None:
    """The most specific listener for the request: exact hostname, longest wildcard, none."""
    ok = [lis for lis in gateway.listeners if listener_serves(lis, request)]
    if not ok:
        return None
    return min(
        ok,
        key=lambda lis: (
            0 if lis.hostname and not lis.hostname.startswith("*.") else 1,
            -len(lis.hostname or ""),
            lis.name,
        ),
    )


def _describe(m: HTTPRouteMatch | GRPCRouteMatch) -> str:
    if isinstance(m, GRPCRouteMatch):
        return f"grpc {m.service or '*'}/{m.method or '*'} ({m.type})" + (
            f" headers {len(m.headers)}" if m.headers else ""
        )
    text = f"path {m.path.value} ({m.path.type})"
    if m.method:
        text += f" method {m.method}"
    if m.headers:
        text += " headers " + ",".join(f"{h.name}={h.value}" for h in m.headers)
    if m.query_params:
        text += " query " + ",".join(f"{q.name}={q.value}" for q in m.query_params)
    return text


def route_gateway(
    cluster: Cluster,
    gateway: Gateway,
    request: Request,
    atts: tuple[Attachment, ...],
    now: datetime,
) -> RouteAnswer:
    """Route a request entering ``gateway`` (see module docstring)."""
    label = f"Gateway/{gateway.key}"
    listener = select_listener(gateway, request)
    if listener is None:
        return RouteAnswer(
            label,
            404,
            reasons=(
                f"no listener of Gateway {gateway.key} serves {request.scheme}://{request.host}:{request.port}",
            ),
        )
    here = [a for a in atts if a.gateway.key == gateway.key and a.listener.name == listener.name]
    lead = (
        f"listener {listener.name} ({listener.protocol} {listener.port} {listener.hostname or '*'})"
    )
    if listener.protocol == "TLS" and listener.tls_mode == "Passthrough":
        return _l4_answer(cluster, label, lead, here, request)
    answer = _http_answer(cluster, label, lead, here, request)
    if request.tls:
        tls = listener_tls(cluster, gateway, listener, request.host, now)
        answer = RouteAnswer(
            answer.entry_point,
            answer.status,
            answer.match,
            answer.backend,
            answer.backends,
            answer.filters,
            tls,
            answer.reasons,
        )
    return answer


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


def _http_answer(
    cluster: Cluster, label: str, lead: str, here: list[Attachment], request: Request
) -> RouteAnswer:
    """HTTPRoute/GRPCRoute matching on one listener (module docstring)."""
    found = sorted(candidates(here, request), key=lambda c: c[0])
    if not found:
        return RouteAnswer(
            label,
            404,
            reasons=(
                f"{lead}: no rule of an attached route matches {request.method} {request.path}",
            ),
        )
    _, att, ri, mi = found[0]
    route, rule = att.route, att.route.rules[ri]
    m = rule.matches[mi]
    reasons = [f"{lead}: {route.ref} rule {ri} match {mi}: {_describe(m)}"]
    match = MatchRef(route.kind, route.key, ri, mi, _describe(m))
    redirect = next((f for f in rule.filters if f.type == "RequestRedirect"), None)
    if redirect is not None:
        code = int(
            dict(redirect.settings).get("requestRedirect.statusCode", REDIRECT_DEFAULT_STATUS)
        )
        return RouteAnswer(
            label,
            code,
            match,
            None,
            (),
            rule.filters,
            reasons=(*reasons, f"RequestRedirect filter answers {code}"),
        )
    if not rule.backend_refs:
        return RouteAnswer(
            label,
            STATUS_INVALID,
            match,
            None,
            (),
            rule.filters,
            reasons=(*reasons, "rule has no backendRefs: 500"),
        )
    backends = tuple(resolve_backend_ref(cluster, route, ref)[0] for ref in rule.backend_refs)
    status, primary, why = outcome(backends)
    reasons.extend(b.reason for b in backends if b.reason)
    if why:
        reasons.append(why)
    return RouteAnswer(
        label, status, match, primary, backends, rule.filters, reasons=tuple(reasons)
    )


def _l4_answer(
    cluster: Cluster, label: str, lead: str, here: list[Attachment], request: Request
) -> RouteAnswer:
    """TLS passthrough: the TLSRoute whose hostnames match the SNI (most specific first)."""
    ok = [
        a
        for a in here
        if a.route.kind == "TLSRoute" and _route_hosts_match(a, request.host) and a.route.rules
    ]
    if not ok:
        return RouteAnswer(label, 404, reasons=(f"{lead}: no TLSRoute matches SNI {request.host}",))
    ok.sort(
        key=lambda a: (
            *(-x for x in host_specificity(a.hostnames, request.host)),
            a.route.creation_timestamp,
            a.route.key,
        )
    )
    route = ok[0].route
    backends = tuple(
        resolve_backend_ref(cluster, route, ref)[0] for ref in route.rules[0].backend_refs
    )
    status, primary, why = outcome(backends)
    reasons = [
        f"{lead}: {route.ref} rule 0 (TLS passthrough, SNI {request.host})",
        *(b.reason for b in backends if b.reason),
    ]
    if why:
        reasons.append(why)
    return RouteAnswer(
        label,
        status,
        MatchRef(route.kind, route.key, 0, None, f"sni {request.host}"),
        primary,
        backends,
        reasons=tuple(reasons),
    )
