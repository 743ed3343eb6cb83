"""ingress-nginx's per-request rules that decide an answer without the configuration around
them: canary selection, source ranges, the http -> https redirect. Table-tested with the
cases of ingress-nginx's docs and e2e tests (test/e2e/annotations/canary.go, ipallowlist.go,
ipdenylist.go, forcesslredirect.go, preservetrailingslash.go).

- Canary (lua/balancer.lua ``route_to_alternative_balancer``; annotations "Canary"): precedence
  ``canary-by-header -> canary-by-cookie -> canary-weight``.
- Source ranges (nginx.tmpl): ``deny`` per denylist entry, then ``allow`` per allowlist entry
  and ``deny all`` -- the first that matches the client address decides.
- http -> https (lua/lua_ingress.lua ``redirect_to_https``): force-ssl-redirect, or ssl-redirect
  with a certificate for the host; Location ``https://HOST`` + the request URI (the port is not
  kept; a trailing ``/`` is removed unless preserve-trailing-slash).
"""

from __future__ import annotations

import ipaddress
import re

from podpath.model.ingress import NginxAnnotations
from podpath.model.routing import Request, TLSCheck

PRIMARY, CANARY, SPLIT = "primary", "canary", "split"
FORBIDDEN = 403
LOCATION_DENIED = 503


def canary_by_header(a: NginxAnnotations, request: Request) -> tuple[str, str] | None:
    """The header rule: ``-value`` exact, else ``-pattern`` (an invalid one: primary), else
    ``always``/``never``; None: the header does not decide."""
    value = request.header(a.canary_by_header) if a.canary_by_header else None
    if value is None:
        return None
    if a.canary_by_header_value:
        if value == a.canary_by_header_value:
            return CANARY, f"header {a.canary_by_header}: {value} (canary-by-header-value)"
        return None
    if a.canary_by_header_pattern:
        try:
            found = re.search(a.canary_by_header_pattern, value)
        except re.error:
            return PRIMARY, "canary-by-header-pattern is not a valid expression"
        if found:
            return CANARY, f"header {a.canary_by_header} matches {a.canary_by_header_pattern}"
        return None
    if value in ("always", "never"):
        return (CANARY if value == "always" else PRIMARY), f"header {a.canary_by_header}: {value}"
    return None


def canary_decision(a: NginxAnnotations, request: Request) -> tuple[str, str]:
    """``route_to_alternative_balancer``: by header (``-value`` exact, else ``-pattern`` a
    regular expression, else ``always``/``never``), then by cookie (``always``/``never``), then
    by weight: 0 never, the total (``canary-weight-total`` when above 100, else 100) or more
    always, in between a split."""
    by_header = canary_by_header(a, request)
    if by_header is not None:
        return by_header
    if a.canary_by_cookie:
        cookie = request.cookie(a.canary_by_cookie)
        if cookie in ("always", "never"):
            return (
                CANARY if cookie == "always" else PRIMARY
            ), f"cookie {a.canary_by_cookie}={cookie}"
    total = a.canary_weight_total if a.canary_weight_total > 100 else 100
    if a.canary_weight <= 0:
        return PRIMARY, "no canary rule selects the request (canary-weight 0)"
    if a.canary_weight >= total:
        return CANARY, f"canary-weight {a.canary_weight} of {total}"
    return SPLIT, f"canary-weight {a.canary_weight} of {total}: a split"


def source_range_verdict(a: NginxAnnotations, client_ip: str | None) -> tuple[int | None, str]:
    """NGINX ``deny`` (denylist) then ``allow`` (allowlist) + ``deny all``: 403 or None."""
    if a.source_range_error:
        return (
            LOCATION_DENIED,
            f"source range annotation invalid ({a.source_range_error}): location denied",
        )
    if a.allow_source_range is None and not a.deny_source_range:
        return None, ""
    allow = ", ".join(a.allow_source_range or ()) or "-"
    ranges = f"allow {allow}; deny {', '.join(a.deny_source_range) or '-'}"
    if client_ip is None:
        return None, f"source ranges ({ranges}) not decided: no client address (--client-ip)"
    ip = ipaddress.ip_address(client_ip)
    if any(ip in ipaddress.ip_network(n) for n in a.deny_source_range):
        return FORBIDDEN, f"client {client_ip} is in denylist-source-range: 403"
    if a.allow_source_range is not None and not any(
        ip in ipaddress.ip_network(n) for n in a.allow_source_range
    ):
        return FORBIDDEN, f"client {client_ip} is not in allowlist-source-range: 403"
    return None, f"client {client_ip} admitted by the source ranges ({ranges})"


def tls_configured(tls: TLSCheck | None) -> bool:
    """Whether the host has a certificate of its own (a Secret not in the input: assumed)."""
    return tls is not None and tls.secret is not None and (not tls.checked or not tls.problems)


def ssl_redirect(a: NginxAnnotations, request: Request, tls: TLSCheck | None) -> str | None:
    """``redirect_to_https``: the Location of the 308, or None."""
    if request.scheme != "http":
        return None
    if not a.force_ssl_redirect and not (a.ssl_redirect and tls_configured(tls)):
        return None
    uri = request.path + (f"?{request.raw_query}" if request.raw_query else "")
    if not a.preserve_trailing_slash and uri.endswith("/"):
        uri = uri[:-1]
    return f"https://{request.host}{uri}"
