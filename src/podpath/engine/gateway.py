"""Gateway API (gateway.networking.k8s.io/v1): request matching, precedence and answers.

https://gateway-api.sigs.k8s.io/reference/spec/ (HTTPRoute, GRPCRoute, Gateway, ReferenceGrant)

Attachment, route status, hostname intersection and ReferenceGrants live in
:mod:`podpath.engine.gateway_attach`.

- Matching (HTTPRouteRule.matches): every condition of a match (path Exact / PathPrefix by
  element / RegularExpression, headers with case-insensitive names, query parameters, method)
  must hold; any match of a rule selects it; no matches -> PathPrefix ``/``.
- Precedence across all rules of the applicable routes: the route with the longest matching
  non-wildcard hostname, then longest matching hostname (HTTPRouteSpec.hostnames); then Exact
  path, RegularExpression (implementation-specific: podpath ranks it between Exact and
  PathPrefix, longest pattern first, as Envoy Gateway does), longest PathPrefix; method match;
  most header matches; most query matches; oldest creationTimestamp; ``namespace/name``;
  first rule, first match.
- Listeners: the Gateway's own and its ListenerSets' (:mod:`podpath.engine.gateway_listener_sets`);
  Conflicted and invalid ones serve nothing. A TLS listener (Passthrough or Terminate) answers
  an https:// request by TLSRoute and SNI (:mod:`podpath.engine.gateway_l4`).
- Outcome: nothing matches -> 404; a CORS preflight is answered by the gateway
  (:mod:`podpath.engine.gateway_cors`); backendRefs weighted (default 1, 0 = no traffic); an
  invalid backend (not found, wrong kind, no port, cross-namespace without a ReferenceGrant,
  an unusable BackendTLSPolicy: :mod:`podpath.engine.gateway_backend_tls`) -> 500 for its
  share; a Service without ready endpoints -> 503; a RequestRedirect filter answers its
  statusCode (default 302).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID, outcome
from podpath.engine.gateway_attach import Attachment, gateway_host_matches, host_specificity
from podpath.engine.gateway_cors import PREFLIGHT_STATUS, cors_outcome
from podpath.engine.gateway_filters import request_redirect, url_rewrite
from podpath.engine.gateway_index import NO_ROUTES, ListenerKey, ListenerRoutes
from podpath.engine.gateway_l4 import backends_with_tls, primary_tls, tls_route_answer
from podpath.engine.gateway_listener_sets import MergedListener, gateway_listeners
from podpath.engine.gateway_refs import listener_tls
from podpath.model.gateway import (
    Gateway,
    GRPCRouteMatch,
    HTTPRouteMatch,
    Listener,
    Route,
    ValueMatch,
)
from podpath.model.routing import MatchRef, Request, RouteAnswer

if TYPE_CHECKING:
    from podpath.cluster import Cluster


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
    atts: list[Attachment], request: Request, has_grpc: bool | None = None
) -> Iterator[tuple[tuple[object, ...], Attachment, int, int]]:
    """Every (precedence key, attachment, rule, match) whose match holds for the request.
    ``has_grpc``: whether the listener has a GRPCRoute (default: whether ``atts`` has one)."""
    if has_grpc is None:
        has_grpc = any(a.route.kind == "GRPCRoute" for a in atts)
    use_grpc = request.grpc and has_grpc
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
    """Protocol (http -> HTTP; https -> HTTPS or TLS: Passthrough or Terminate, by SNI), port
    and hostname."""
    want = ("HTTPS", "TLS") if request.tls else ("HTTP",)
    return (
        listener.protocol in want
        and listener.port == request.port
        and gateway_host_matches(listener.hostname, request.host)
    )


def most_specific(listeners: list[MergedListener]) -> MergedListener | None:
    """The listener with the most specific hostname: exact, longest wildcard, none
    (GatewaySpec.listeners "distinct only by Hostname"); then precedence order."""
    if not listeners:
        return None
    return min(
        enumerate(listeners),
        key=lambda item: (
            0
            if item[1].listener.hostname and not item[1].listener.hostname.startswith("*.")
            else 1,
            -len(item[1].listener.hostname or ""),
            item[0],
        ),
    )[1]


def select_listener(cluster: Cluster, gateway: Gateway, request: Request) -> MergedListener | None:
    """The most specific programmed listener of the Gateway -- its own or of an attached
    ListenerSet (:func:`podpath.engine.gateway_listener_sets.gateway_listeners`) -- for the
    request; Conflicted and invalid listeners serve nothing."""
    merged = gateway_listeners(cluster, gateway)[0]
    return most_specific(
        [m for m in merged if m.programmed and listener_serves(m.listener, request)]
    )


def unserved_reason(cluster: Cluster, gateway: Gateway, request: Request) -> str | None:
    """Why no listener of the Gateway serves the request although some would (they are
    Conflicted or invalid), or None."""
    merged = gateway_listeners(cluster, gateway)[0]
    idle = [m for m in merged if not m.programmed and listener_serves(m.listener, request)]
    if not idle:
        return None
    return f"no programmed listener of Gateway {gateway.key}: " + "; ".join(m.why_not for m in idle)


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


def listener_lead(m: MergedListener) -> str:
    lis = m.listener
    where = "" if m.owner.startswith("Gateway/") else f" of {m.owner}"
    return f"listener {lis.name}{where} ({lis.protocol} {lis.port} {lis.hostname or '*'})"


def route_gateway(
    cluster: Cluster,
    gateway: Gateway,
    request: Request,
    routes: Mapping[ListenerKey, ListenerRoutes],
    now: datetime,
) -> RouteAnswer:
    """Route a request entering ``gateway`` (see module docstring); ``routes``: the
    attachments by listener (:func:`podpath.engine.gateway_index.index_attachments`)."""
    label = f"Gateway/{gateway.key}"
    chosen = select_listener(cluster, gateway, request)
    if chosen is None:
        why = f"no listener of Gateway {gateway.key} serves {request.scheme}://{request.host}:{request.port}"
        idle = unserved_reason(cluster, gateway, request)
        return RouteAnswer(label, 404, reasons=(why, idle) if idle else (why,))
    listener = chosen.listener
    on_listener = routes.get((gateway.key, chosen.owner, listener.name), NO_ROUTES)
    here = on_listener.for_host(request.host)
    lead = listener_lead(chosen)
    tls = (
        listener_tls(cluster, chosen.owner, listener, request.host, now)
        if request.tls and listener.tls_mode == "Terminate"
        else None
    )
    if listener.protocol == "TLS":
        answer = tls_route_answer(cluster, label, lead, here, request.host, listener)
    else:
        answer = _http_answer(
            cluster, label, lead, here, request, listener.port, on_listener.has_grpc
        )
    return replace(answer, tls=tls) if tls is not None else answer


def _http_answer(
    cluster: Cluster,
    label: str,
    lead: str,
    here: list[Attachment],
    request: Request,
    listener_port: int,
    has_grpc: bool,
) -> RouteAnswer:
    """HTTPRoute/GRPCRoute matching on one listener (module docstring)."""
    found = sorted(candidates(here, request, has_grpc), key=lambda c: c[0])
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
    cors = cors_outcome(rule.filters, request) if isinstance(m, HTTPRouteMatch) else None
    cors_headers = cors.headers if cors else ()
    if cors is not None:
        reasons.extend(cors.reasons)
        if cors.preflight:
            return RouteAnswer(
                label,
                PREFLIGHT_STATUS,
                match,
                filters=rule.filters,
                reasons=tuple(reasons),
                response_headers=cors_headers,
            )
    redirect = next((f for f in rule.filters if f.type == "RequestRedirect"), None)
    if redirect is not None and isinstance(m, HTTPRouteMatch):
        r = request_redirect(redirect, request, listener_port, m)
        return RouteAnswer(
            label,
            r.status,
            match,
            None,
            (),
            rule.filters,
            reasons=(*reasons, f"RequestRedirect filter answers {r.status} Location {r.location}"),
            location=r.location,
            response_headers=cors_headers,
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
    backends, policies = backends_with_tls(cluster, route, rule.backend_refs)
    status, primary, why = outcome(backends)
    reasons.extend(b.reason for b in backends if b.reason)
    if why:
        reasons.append(why)
    path, rewrites = (
        url_rewrite(rule.filters, request, m)
        if isinstance(m, HTTPRouteMatch)
        else (request.path, ())
    )
    reasons.extend(rewrites)
    return RouteAnswer(
        label,
        status,
        match,
        primary,
        backends,
        rule.filters,
        reasons=tuple(reasons),
        path=path if status == 200 else None,
        backend_tls=primary_tls(primary, policies),
        response_headers=cors_headers if status < 500 else (),
    )
