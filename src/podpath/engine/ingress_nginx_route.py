"""ingress-nginx: the answer to one request, in the order NGINX and the controller's Lua
code process it (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/,
rootfs/etc/nginx/template/nginx.tmpl, lua/lua_ingress.lua and lua/balancer.lua; cases from
test/e2e/annotations). Locations: :mod:`podpath.engine.ingress_nginx`.

1. ``ssl-passthrough`` (https): the TLS connection goes to the backend of the host's ``/``
   location; no other annotation applies (the controller needs ``--enable-ssl-passthrough``).
2. ``app-root`` (server level): a request for ``/`` -> 302 ``$scheme://$http_host`` + app-root.
3. The location (regex mode or NGINX prefix rules); ``/foo`` to ``/foo/`` only -> 301.
4. ``temporal-redirect`` (code, default 302) over ``permanent-redirect`` (default 301): the
   annotation's URL as the Location.
5. http -> https (308, the ConfigMap's default ``http-redirect-code``): ``force-ssl-redirect``,
   or ``ssl-redirect`` (default true) when the host has a certificate of its own; Location
   ``https://HOST`` + the request URI, a trailing slash removed unless
   ``preserve-trailing-slash``.
6. ``rewrite-target``: the path the backend receives (capture groups ``$1``...).
7. ``denylist-source-range`` then ``allowlist``/``whitelist-source-range`` on the client
   address -> 403 (an invalid range denies the location: 503).
8. Canary (``canary-by-header`` -> ``canary-by-cookie`` -> ``canary-weight``), then the
   backend: no ready endpoints -> 503, or the ``default-backend`` annotation's Service;
   ``service-upstream`` proxies to the ClusterIP (no endpoints -> 502 from kube-proxy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID, STATUS_NO_ENDPOINTS, service_port_backend
from podpath.engine.ingress import ingress_tls
from podpath.engine.ingress_nginx import (
    Location,
    Server,
    build_server,
    canaries,
    match_location,
    nginx_order,
    nginx_uri,
    rewritten_uri,
    server_name,
    upstream_key,
)
from podpath.engine.ingress_nginx_rules import (
    CANARY,
    PRIMARY,
    SPLIT,
    canary_decision,
    source_range_verdict,
    ssl_redirect,
)
from podpath.model.ingress import Ingress, IngressBackend
from podpath.model.routing import MatchRef, Request, RouteAnswer, TLSCheck, WeightedBackend

if TYPE_CHECKING:
    from podpath.cluster import Cluster

SSL_REDIRECT_CODE = 308
APP_ROOT_CODE = 302
SLASH_REDIRECT_CODE = 301
DEFAULT_BACKEND_404 = 404
BAD_GATEWAY = 502
NOT_MODELLED_WHY = {
    "configuration-snippet": "raw NGINX configuration in the location",
    "server-snippet": "raw NGINX configuration in the server",
}


def http_host(request: Request) -> str:
    default = {"http": 80, "https": 443}.get(request.scheme)
    return request.host if request.port == default else f"{request.host}:{request.port}"


@dataclass(frozen=True, slots=True)
class Context:
    cluster: Cluster
    label: str
    request: Request
    ingresses: tuple[Ingress, ...]
    server: Server
    tls: TLSCheck | None  # the certificate of an https answer
    host_tls: TLSCheck | None  # the host's certificate, whatever the scheme (ssl-redirect)


def _match_ref(loc: Location) -> MatchRef | None:
    if loc.ingress is None or (loc.default and loc.backend is None):
        return None
    if loc.default:
        return MatchRef("Ingress", loc.ingress.key, None, None, "defaultBackend")
    host = loc.ingress.rules[loc.rule or 0].host or "*"
    detail = f"host {host} path {loc.ingress_path} ({loc.path_type})"
    return MatchRef("Ingress", loc.ingress.key, loc.rule, loc.index, detail)


def _notes(*ingresses: Ingress | None) -> tuple[str, ...]:
    out = []
    for ing in ingresses:
        if ing is None:
            continue
        for name in ing.nginx.not_modelled:
            why = NOT_MODELLED_WHY.get(name, "not modelled")
            out.append(f"{ing.ref}: nginx.ingress.kubernetes.io/{name} ({why})")
    return tuple(dict.fromkeys(out))


def _answer(
    ctx: Context, status: int, loc: Location | None, reasons: list[str], **kw: object
) -> RouteAnswer:
    return RouteAnswer(
        ctx.label,
        status,
        _match_ref(loc) if loc else None,
        tls=ctx.tls,
        reasons=tuple(reasons),
        notes=_notes(loc.ingress if loc else None),
        **kw,  # type: ignore[arg-type]
    )


def _backend(
    ctx: Context, ing: Ingress, backend: IngressBackend, weight: int = 1
) -> WeightedBackend:
    """A Service backend as ingress-nginx resolves it: a missing Service or port leaves the
    upstream without endpoints (503), ``service-upstream`` goes through the ClusterIP."""
    wb = service_port_backend(
        ctx.cluster, ing.namespace, backend.service_name or "", backend.service_port, weight
    )
    if wb.status == STATUS_INVALID:
        wb = WeightedBackend(
            weight, wb.service, wb.port, STATUS_NO_ENDPOINTS, reason=f"{wb.reason}: no endpoints"
        )
    if ing.nginx.service_upstream:
        svc = ctx.cluster.service_by_key.get(wb.service or "")
        ip = next(iter(svc.cluster_ips), None) if svc else None
        via = f"ClusterIP {ip}:{wb.port}" if ip else None
        if wb.status == STATUS_NO_ENDPOINTS:
            return WeightedBackend(
                weight,
                wb.service,
                wb.port,
                BAD_GATEWAY,
                via=via,
                reason=f"service-upstream: {via} has no endpoints (kube-proxy refuses): 502",
            )
        wb = WeightedBackend(
            weight,
            wb.service,
            wb.port,
            wb.status,
            wb.endpoints,
            via=via,
            reason="service-upstream: proxied to the ClusterIP",
        )
    return wb


def _custom_default(ctx: Context, ing: Ingress) -> WeightedBackend | None:
    """The ``default-backend`` annotation's Service (its first port), if it has endpoints."""
    name = ing.nginx.default_backend
    svc = ctx.cluster.service_by_key.get(f"{ing.namespace}/{name}") if name else None
    if svc is None or not svc.ports:
        return None
    wb = service_port_backend(ctx.cluster, ing.namespace, name, svc.ports[0].port)
    return wb if wb.status is None else None


def _serve(ctx: Context, loc: Location, path: str, reasons: list[str]) -> RouteAnswer:
    """Canary choice and backend of a matched location."""
    assert loc.ingress is not None and loc.backend is not None
    ing, a = loc.ingress, loc.ingress.nginx
    canary = canaries(ctx.ingresses).get(upstream_key(ing, loc.backend))
    choice = PRIMARY
    primary = _backend(ctx, ing, loc.backend)
    backends: tuple[WeightedBackend, ...] = (primary,)
    if canary is not None:
        choice, why = canary_decision(canary[0].nginx, ctx.request)
        reasons.append(f"canary {canary[0].ref}: {why}")
        alt = _backend(ctx, canary[0], canary[1])
        if choice == CANARY:
            backends = (
                WeightedBackend(
                    1,
                    alt.service,
                    alt.port,
                    alt.status,
                    alt.endpoints,
                    canary=True,
                    via=alt.via,
                    reason=alt.reason,
                ),
            )
        elif choice == SPLIT:
            n = canary[0].nginx
            total = max(n.canary_weight_total, 100)
            backends = (
                WeightedBackend(
                    total - n.canary_weight,
                    primary.service,
                    primary.port,
                    primary.status,
                    primary.endpoints,
                    via=primary.via,
                    reason=primary.reason,
                ),
                WeightedBackend(
                    n.canary_weight,
                    alt.service,
                    alt.port,
                    alt.status,
                    alt.endpoints,
                    canary=True,
                    via=alt.via,
                    reason=alt.reason,
                ),
            )
    serving = [b for b in backends if b.status is None and b.weight > 0]
    reasons.extend(b.reason for b in backends if b.reason)
    if not serving:
        fallback = _custom_default(ctx, ing)
        status = backends[0].status or STATUS_NO_ENDPOINTS
        if fallback is not None and status == STATUS_NO_ENDPOINTS:
            reasons.append(f"default-backend {fallback.service} serves it (no active endpoints)")
            return _answer(
                ctx, 200, loc, reasons, backend=fallback, backends=(fallback,), path=path
            )
        if status in a.custom_http_errors:
            reasons.append(f"custom-http-errors: the {status} page comes from the default backend")
        return _answer(ctx, status, loc, reasons, backends=backends, canary=choice == CANARY)
    main = max(serving, key=lambda b: b.weight)
    if a.backend_protocol != "HTTP":
        reasons.append(f"backend-protocol {a.backend_protocol}")
    if a.custom_http_errors:
        reasons.append(
            f"custom-http-errors {','.join(map(str, a.custom_http_errors))}: backend answers "
            "with these codes are replaced by the default backend's page"
        )
    return _answer(
        ctx, 200, loc, reasons, backend=main, backends=backends, path=path, canary=choice == CANARY
    )


def _passthrough(ctx: Context) -> RouteAnswer | None:
    """ssl-passthrough: the host's ``/`` location backend gets the TLS connection."""
    if not ctx.request.tls or not any(
        i.nginx.ssl_passthrough and any((r.host or "_") == ctx.server.name for r in i.rules)
        for i in ctx.ingresses
    ):
        return None
    root = next(loc for loc in ctx.server.locations if loc.path == "/")
    reasons = [
        f"ssl-passthrough on {ctx.server.name}: the TLS connection goes to the backend of "
        "location / (needs the controller flag --enable-ssl-passthrough)"
    ]
    if root.backend is None or root.ingress is None:
        reasons.append("no / path: the default backend")
        return RouteAnswer(ctx.label, DEFAULT_BACKEND_404, reasons=tuple(reasons))
    wb = _backend(ctx, root.ingress, root.backend)
    return RouteAnswer(
        ctx.label,
        200 if wb.status is None else wb.status,
        _match_ref(root),
        wb if wb.status is None else None,
        (wb,),
        reasons=(*reasons, *([wb.reason] if wb.reason else [])),
        path=ctx.request.path if wb.status is None else None,
        notes=_notes(root.ingress),
    )


def _redirects(ctx: Context, loc: Location, reasons: list[str]) -> RouteAnswer | None:
    a, request = loc.nginx, ctx.request
    if a.temporal_redirect or a.permanent_redirect:
        url = a.temporal_redirect or a.permanent_redirect
        code = a.temporal_redirect_code if a.temporal_redirect else a.permanent_redirect_code
        kind = "temporal-redirect" if a.temporal_redirect else "permanent-redirect"
        return _answer(ctx, code, loc, [*reasons, f"{kind}: {code} to {url}"], location=url)
    https = ssl_redirect(a, request, ctx.host_tls)
    if https is not None:
        source = ctx.host_tls.source if ctx.host_tls else ""
        why = (
            "force-ssl-redirect"
            if a.force_ssl_redirect
            else f"ssl-redirect (the host has TLS: {source})"
        )
        return _answer(
            ctx, SSL_REDIRECT_CODE, loc, [*reasons, f"{why}: 308 to {https}"], location=https
        )
    return None


def route_nginx_class(
    cluster: Cluster,
    class_name: str,
    ingresses: tuple[Ingress, ...],
    request: Request,
    now: datetime,
) -> RouteAnswer:
    """Route ``request`` through the Ingresses of an ingress-nginx class (module docstring)."""
    ordered = nginx_order(ingresses)
    name = server_name(ordered, request.host)
    server = build_server(ordered, name)
    tls = ingress_tls(cluster, ordered, class_name, request.host, now)
    label = f"IngressClass/{class_name}"
    ctx = Context(cluster, label, request, ordered, server, tls if request.tls else None, tls)
    reasons = [
        *(
            [f"ingress-nginx server {name}: regex mode (use-regex or rewrite-target on the host)"]
            if server.regex
            else []
        ),
        *(why for _, why in server.conflicts),
    ]
    passthrough = _passthrough(ctx)
    if passthrough is not None:
        return passthrough
    uri = nginx_uri(request.path)
    root_app = next((loc for loc in server.locations if loc.nginx.app_root), None)
    if uri == "/" and root_app is not None:
        target = f"{request.scheme}://{http_host(request)}{root_app.nginx.app_root}"
        return _answer(
            ctx, APP_ROOT_CODE, root_app, [*reasons, f"app-root: 302 to {target}"], location=target
        )
    found = match_location(server, uri)
    if found.slash_redirect is not None:
        target = f"{request.scheme}://{request.host}{found.slash_redirect}" + (
            f"?{request.raw_query}" if request.raw_query else ""
        )
        return _answer(
            ctx,
            SLASH_REDIRECT_CODE,
            None,
            [*reasons, f"{found.how}: NGINX answers 301 to {target}"],
            location=target,
        )
    loc = found.location
    assert loc is not None  # the root location "/" matches every URI
    match = _match_ref(loc)
    if match is not None and match.rule is not None:
        reasons.append(
            f"{loc.ingress.ref if loc.ingress else ''} rule {match.rule} path {match.match}: "
            f"{match.detail}; ingress-nginx {found.how}"
        )
    else:
        reasons.append(f"ingress-nginx server {name}: {found.how}")
    if loc.ingress is not None:
        reasons.extend(
            f"{loc.ingress.ref}: annotation {x} ignored by the controller"
            for x in loc.nginx.invalid
        )
    redirect = _redirects(ctx, loc, reasons)
    if redirect is not None:
        return redirect
    path = rewritten_uri(loc, uri) if loc.rewrites else uri
    if path != uri:
        reasons.append(f"rewrite-target {loc.nginx.rewrite_target}: the backend receives {path}")
    denied, why = source_range_verdict(loc.nginx, request.client_ip)
    if why:
        reasons.append(why)
    if denied is not None:
        return _answer(ctx, denied, loc, reasons)
    if loc.backend is None or loc.ingress is None:
        reasons.append("no rule matches: the controller's default backend answers 404")
        return _answer(ctx, DEFAULT_BACKEND_404, loc, reasons)
    return _serve(ctx, loc, path, reasons)
