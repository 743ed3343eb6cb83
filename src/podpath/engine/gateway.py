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
- Outcome: nothing matches -> 404; backendRefs weighted (default 1, 0 = no traffic); an
  invalid backend (not found, wrong kind, no port, cross-namespace without a ReferenceGrant)
  -> 500 for its share; a Service without ready endpoints -> 503; a RequestRedirect filter
  answers its statusCode (default 302).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID, outcome
from podpath.engine.gateway_attach import (
    Attachment,
    conflict_text,
    conflicted_listeners,
    gateway_host_matches,
    listener_tls,
    resolve_backend_ref,
)
from podpath.engine.gateway_filters import request_redirect, url_rewrite
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


def host_specificity(hostnames: tuple[str, ...], host: str) -> tuple[int, int]:
    """(characters of the longest matching non-wildcard hostname, of any matching hostname)."""
    matching = [h for h in hostnames if gateway_host_matches(h, host)]
    exact = max((len(h) for h in matching if not h.startswith("*.")), default=0)
    return exact, max((len(h) for h in matching), default=0)


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
    """The most specific accepted listener for the request: exact hostname, longest
    wildcard, none (GatewaySpec.listeners "distinct only by Hostname"); Conflicted listeners
    are not accepted (:func:`podpath.engine.gateway_attach.conflicted_listeners`)."""
    conflicts = conflicted_listeners(gateway)
    ok = [
        lis
        for lis in gateway.listeners
        if listener_serves(lis, request) and lis.name not in conflicts
    ]
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
        why = f"no listener of Gateway {gateway.key} serves {request.scheme}://{request.host}:{request.port}"
        conflicted = [lis.name for lis in gateway.listeners if listener_serves(lis, request)]
        return RouteAnswer(
            label,
            404,
            reasons=(why, conflict_text(gateway, conflicted)) if conflicted else (why,),
        )
    here = [a for a in atts if a.gateway.key == gateway.key and a.listener.name == listener.name]
    lead = (
        f"listener {listener.name} ({listener.protocol} {listener.port} {listener.hostname or '*'})"
    )
    if listener.protocol == "TLS" and listener.tls_mode == "Passthrough":
        return _l4_answer(cluster, label, lead, here, request)
    answer = _http_answer(cluster, label, lead, here, request, listener.port)
    if request.tls:
        tls = listener_tls(cluster, gateway, listener, request.host, now)
        answer = replace(answer, tls=tls)
    return answer


def _http_answer(
    cluster: Cluster,
    label: str,
    lead: str,
    here: list[Attachment],
    request: Request,
    listener_port: int,
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
