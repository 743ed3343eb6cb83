"""The routing engine's public API: where a request from outside the cluster goes.

    >>> answers = route_request(cluster, "https://shop.example.com/api?x=1",
    ...                         headers=[("x-env", "canary")])
    >>> for a in answers: print(a.entry_point, a.status, a.backend, a.endpoints)
    >>> for ep in entry_points(cluster): print(ep.label, ep.pods, ep.addresses)

- :func:`route_request` answers once per entry point that serves the request's host: each
  IngressClass with Ingresses (its Ingresses merged, :mod:`podpath.engine.ingress`) and each
  Gateway with a listener for the scheme, port and host (:mod:`podpath.engine.gateway`).
  ``gateway="NS/NAME"`` or ``ingress_class="NAME"`` asks one entry point only (and it answers
  even if it does not serve the host: 404).  When nothing serves the host, one answer with
  ``entry_point == ""`` and status 404 says so.
- :func:`entry_points` tells, for every IngressClass and Gateway, the controller or gateway
  pods that implement it and the (LoadBalancer) Services and addresses in front of them.

Everything is pure: the clock for certificate expiry is a parameter (``now``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from podpath.engine.entrypoints import entry_points
from podpath.engine.gateway import route_gateway, select_listener, unserved_reason
from podpath.engine.gateway_attach import (
    parents,
    route_status,
    routes,
)
from podpath.engine.ingress import (
    route_ingress_class,
    serves_host,
    unserved_for_host,
)
from podpath.engine.ingress_nginx import is_ingress_nginx
from podpath.engine.ingress_nginx_route import route_nginx_class
from podpath.engine.route_address import host_header_request, is_ip_address, owners_of_address
from podpath.engine.routing_context import RoutingContext, routing_context
from podpath.errors import InputError
from podpath.model.ingress import Ingress
from podpath.model.routing import Request, RouteAnswer, RouteStatus

if TYPE_CHECKING:
    from podpath.cluster import Cluster


DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}


def parse_cookies(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The cookies of ``Cookie`` headers (``a=1; b=2``, RFC 6265 section 5.4)."""
    out = []
    for name, value in headers:
        if name == "cookie":
            for part in value.split(";"):
                key, sep, val = part.strip().partition("=")
                if sep and key:
                    out.append((key.strip(), val.strip()))
    return tuple(out)


def parse_client_ip(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise InputError(
            f"--client-ip {text!r} is not an IP address", field="--client-ip"
        ) from None


def parse_request(
    url: str,
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
    cookies: Iterable[tuple[str, str]] = (),
    client_ip: str | None = None,
) -> Request:
    """A URL (scheme http/https/grpc/grpcs; ``http`` when absent), method, headers, cookies
    (added to those of ``Cookie`` headers) and the client's address.

    The Host is the URL's host (lower-case, port removed, as Gateway API hostname matching
    ignores the port); the path defaults to ``/``.
    """
    text = url if "://" in url else f"http://{url}"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InputError(
            f"unsupported URL scheme {scheme!r} (use http, https, grpc or grpcs)", field="URL"
        )
    if not parts.hostname:
        raise InputError(f"URL {url!r} has no host", field="URL")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise InputError(f"URL {url!r} has an invalid port", field="URL") from None
    hdrs = tuple((k.strip().lower(), v.strip()) for k, v in headers)
    grpc = scheme.startswith("grpc") or any(
        k == "content-type" and v.startswith("application/grpc") for k, v in hdrs
    )
    return Request(
        scheme=scheme,
        host=parts.hostname.lower().rstrip("."),
        port=port,
        path=parts.path or "/",
        query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        method="POST" if grpc and method == "GET" else method.upper(),
        headers=hdrs,
        grpc=grpc,
        raw_query=parts.query,
        cookies=(*parse_cookies(hdrs), *cookies),
        client_ip=parse_client_ip(client_ip),
    )


def route_request(
    cluster: Cluster,
    url: str | Request,
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
    gateway: str | None = None,
    ingress_class: str | None = None,
    now: datetime | None = None,
    cookies: Iterable[tuple[str, str]] = (),
    client_ip: str | None = None,
    context: RoutingContext | None = None,
) -> tuple[RouteAnswer, ...]:
    """Where the request goes, once per entry point that serves its host (module docstring).

    Answers are ordered: IngressClasses by name, then Gateways by namespace/name.
    ``context``: :func:`podpath.engine.routing_context.routing_context` of ``cluster``, made
    once for many requests (the same answers).
    """
    if gateway and ingress_class:
        raise InputError("use either --gateway or --ingress-class, not both")
    request = (
        url
        if isinstance(url, Request)
        else parse_request(url, method, headers, cookies=cookies, client_ip=client_ip)
    )
    now = now or datetime.now(UTC)
    ctx = context.of(cluster) if context is not None else routing_context(cluster)
    by_class, gws = ctx.by_class, ctx.gateways
    if gateway is not None:
        gw = gws.get(gateway)
        if gw is None:
            raise InputError(
                f"Gateway {gateway} not found (known: {', '.join(sorted(gws)) or 'none'})",
                field="--gateway",
            )
        return (route_gateway(cluster, gw, request, ctx.by_listener, now),)
    if ingress_class is not None:
        known = set(by_class) | {c.name for c in cluster.of_kind("IngressClass")}
        if ingress_class not in known:
            raise InputError(
                f"IngressClass {ingress_class} not found "
                f"(known: {', '.join(sorted(known)) or 'none'})",
                field="--ingress-class",
            )
        ings = by_class.get(ingress_class, ())
        return (route_class(cluster, ingress_class, ings, request, now, ctx),)
    if is_ip_address(request.host):
        return _route_by_address(cluster, request, ctx, now)
    answers = [
        route_class(cluster, name, ings, request, now, ctx)
        for name, ings in by_class.items()
        if not request.grpc and serves_host(ings, request.host)
    ]
    atts = ctx.by_listener
    conflicts = []
    for key in sorted(gws):
        gw = gws[key]
        if select_listener(cluster, gw, request) is not None:
            answers.append(route_gateway(cluster, gw, request, atts, now))
        elif idle := unserved_reason(cluster, gw, request):
            conflicts.append(idle)
    if not answers:
        return (
            RouteAnswer(
                "",
                404,
                reasons=(
                    "no Ingress rule and no Gateway listener serves "
                    f"{request.scheme}://{request.host}:{request.port}",
                    *conflicts,
                    *unserved_for_host(cluster, request.host),
                ),
            ),
        )
    return tuple(answers)


def _route_by_address(
    cluster: Cluster, request: Request, ctx: RoutingContext, now: datetime
) -> tuple[RouteAnswer, ...]:
    """A URL whose host is an IP: only the entry point owning the address answers, matching
    the Host header (the IP unless ``Host`` is given), see :mod:`podpath.engine.route_address`.

    Ingress rules: "If no host is specified, the rule applies to all inbound HTTP traffic
    through the IP address specified"
    (https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-rules), so only
    rules without host, defaultBackend and Gateway listeners without hostname match an IP;
    when nothing matches the controller answers 404 itself (entry point still named)."""
    owners = owners_of_address(cluster, entry_points(cluster), request.host, request.port)
    if not owners:
        return (
            RouteAnswer(
                "",
                404,
                reasons=(
                    f"no entry point owns {request.host}:{request.port} (no LoadBalancer "
                    "Service, Gateway address, externalIP or node IP + nodePort of an "
                    "IngressClass or Gateway)",
                ),
            ),
        )
    matched = host_header_request(request)
    answers = []
    for ep, why in owners:
        if ep.kind == "Gateway":
            answer = route_gateway(cluster, ctx.gateways[ep.name], matched, ctx.by_listener, now)
        else:
            ings = ctx.by_class.get(ep.name, ())
            answer = route_class(cluster, ep.name, ings, matched, now, ctx)
        lead = f"connection to {why}; Host {matched.host}"
        answers.append(replace(answer, reasons=(lead, *answer.reasons)))
    return tuple(answers)


def route_class(
    cluster: Cluster,
    class_name: str,
    ingresses: tuple[Ingress, ...],
    request: Request,
    now: datetime,
    context: RoutingContext | None = None,
) -> RouteAnswer:
    """One IngressClass's answer: ingress-nginx's semantics when its controller is
    ``k8s.io/ingress-nginx`` (:mod:`podpath.engine.ingress_nginx_route`), else the Ingress
    API's (:mod:`podpath.engine.ingress`). ``context``: its servers, when routing many
    requests (:mod:`podpath.engine.routing_context`)."""
    if is_ingress_nginx(cluster, class_name):
        servers = context.nginx.get(class_name) if context is not None else None
        return route_nginx_class(cluster, class_name, ingresses, request, now, servers)
    return route_ingress_class(cluster, class_name, ingresses, request, now)


def route_statuses(cluster: Cluster) -> tuple[RouteStatus, ...]:
    """The status (Accepted, ResolvedRefs) of every HTTPRoute, GRPCRoute, TLSRoute, TCPRoute
    and UDPRoute."""
    index = parents(cluster)
    return tuple(route_status(cluster, r, index) for r in routes(cluster))
