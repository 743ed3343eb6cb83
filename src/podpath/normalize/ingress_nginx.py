"""The ``nginx.ingress.kubernetes.io/`` annotations of an Ingress -> :class:`NginxAnnotations`.

As ingress-nginx's annotation parsers read them (internal/ingress/annotations/*, reference:
https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/):
values are strings; booleans as Go's ``strconv.ParseBool``, numbers as ``strconv.Atoi``; an
invalid value is ignored (the default applies) and recorded in ``invalid``. Defaults are the
controller's ConfigMap defaults (``ssl-redirect: true``); a ConfigMap podpath does not read.

- ``permanent-redirect-code`` outside 300..308 -> 301; ``temporal-redirect-code`` outside
  300..307 -> 302; ``temporal-redirect`` must be an http(s) URL and wins over a permanent one.
- ``allowlist-source-range`` (alias ``whitelist-source-range``) and ``denylist-source-range``:
  comma-separated CIDRs or addresses; an invalid entry denies the location (503).
- canary annotations without ``canary: "true"`` are invalid ("configured but not enabled").
- ``backend-protocol``: HTTP, HTTPS, AUTO_HTTP, GRPC, GRPCS, FCGI (else HTTP).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from podpath.model.ingress import NginxAnnotations

PREFIX = "nginx.ingress.kubernetes.io/"
BACKEND_PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
MODELLED = frozenset(
    {
        "use-regex",
        "rewrite-target",
        "app-root",
        "ssl-redirect",
        "force-ssl-redirect",
        "preserve-trailing-slash",
        "permanent-redirect",
        "permanent-redirect-code",
        "temporal-redirect",
        "temporal-redirect-code",
        "canary",
        "canary-by-header",
        "canary-by-header-value",
        "canary-by-header-pattern",
        "canary-by-cookie",
        "canary-weight",
        "canary-weight-total",
        "whitelist-source-range",
        "allowlist-source-range",
        "denylist-source-range",
        "default-backend",
        "backend-protocol",
        "service-upstream",
        "ssl-passthrough",
        "custom-http-errors",
    }
)
# Annotations podpath does not model that change where a request goes or what it gets:
# doctor names them (the others are listed under -v).
CHANGES_ROUTING = frozenset(
    {
        "configuration-snippet",
        "server-snippet",
        "server-alias",
        "from-to-www-redirect",
        "auth-url",
        "auth-type",
        "auth-signin",
        "auth-tls-secret",
        "auth-tls-verify-client",
        "limit-rps",
        "limit-rpm",
        "limit-connections",
        "mirror-target",
        "upstream-vhost",
        "affinity",
        "enable-cors",
        "satisfy",
        "enable-modsecurity",
        "modsecurity-snippet",
        "relative-redirects",
        "proxy-redirect-from",
        "use-port-in-redirects",
    }
)
CANARY_KEYS = ("canary-by-header", "canary-by-header-value", "canary-by-header-pattern")
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")
GO_INT = re.compile(r"[+-]?[0-9]{1,18}")  # strconv.Atoi: a 64-bit int, else "out of range"


class _Reader:
    """The annotations of one Ingress, read with ingress-nginx's parsers."""

    def __init__(self, annotations: Mapping[str, str]) -> None:
        self.values = {k[len(PREFIX) :]: v for k, v in annotations.items() if k.startswith(PREFIX)}
        self.invalid: list[str] = []

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def flag(self, name: str, default: bool) -> bool:
        if name not in self.values:
            return default
        value = self.values[name].strip()
        if value in GO_TRUE or value in GO_FALSE:
            return value in GO_TRUE
        self.invalid.append(f"{name}: {value!r} is not a boolean")
        return default

    def number(self, name: str, default: int) -> int:
        if name not in self.values:
            return default
        value = self.values[name].strip()
        if GO_INT.fullmatch(value):
            return int(value)
        self.invalid.append(f"{name}: {value!r} is not an integer")
        return default


def _redirects(r: _Reader) -> dict[str, Any]:
    temporal = r.text("temporal-redirect")
    if temporal and not re.match(r"https?://", temporal):
        r.invalid.append(f"temporal-redirect: {temporal!r} is not an http(s) URL")
        temporal = ""
    tcode = r.number("temporal-redirect-code", 0)
    pcode = r.number("permanent-redirect-code", 0)
    return {
        "temporal_redirect": temporal,
        "temporal_redirect_code": tcode if 300 <= tcode <= 307 else 302,
        "permanent_redirect": r.text("permanent-redirect"),
        "permanent_redirect_code": pcode if 300 <= pcode <= 308 else 301,
    }


def _canary(r: _Reader) -> dict[str, Any]:
    enabled = r.flag("canary", False)
    out: dict[str, Any] = {
        "canary": enabled,
        "canary_by_header": r.text("canary-by-header"),
        "canary_by_header_value": r.text("canary-by-header-value"),
        "canary_by_header_pattern": r.text("canary-by-header-pattern"),
        "canary_by_cookie": r.text("canary-by-cookie"),
        "canary_weight": r.number("canary-weight", 0),
        "canary_weight_total": r.number("canary-weight-total", 100),
    }
    configured = out["canary_weight"] > 0 or any(
        out[k] for k in ("canary_by_header", "canary_by_header_value", "canary_by_header_pattern")
    )
    if not enabled and (configured or out["canary_by_cookie"]):
        r.invalid.append("canary: canary annotations are configured but canary is not enabled")
        return {"canary": False}
    return out


def parse_source_range(value: str) -> tuple[tuple[str, ...], str]:
    """Comma-separated CIDRs/addresses -> normalised networks, or the error."""
    nets = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            nets.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            return (), f"{part!r} is not an IP address or network"
    return tuple(sorted(set(nets))), ""


def _source_ranges(r: _Reader) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = next(
        (n for n in ("allowlist-source-range", "whitelist-source-range") if n in r.values), None
    )
    errors = []
    if name is not None:
        nets, err = parse_source_range(r.values[name])
        out["allow_source_range"] = nets
        if err:
            errors.append(f"{name}: {err}")
    if "denylist-source-range" in r.values:
        nets, err = parse_source_range(r.values["denylist-source-range"])
        out["deny_source_range"] = nets
        if err:
            errors.append(f"denylist-source-range: {err}")
    if errors:
        out["source_range_error"] = "; ".join(errors)
    return out


def _errors(r: _Reader) -> tuple[int, ...]:
    text = r.text("custom-http-errors")
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if any(not GO_INT.fullmatch(c) or not c.isdigit() for c in codes):
        r.invalid.append(f"custom-http-errors: {text!r} is not a list of status codes")
        return ()
    return tuple(sorted({int(c) for c in codes}))


def nginx_annotations(annotations: Mapping[str, str]) -> NginxAnnotations:
    """Parse an Ingress's ingress-nginx annotations (module docstring)."""
    r = _Reader(annotations)
    if not r.values:
        return NginxAnnotations()
    protocol = r.text("backend-protocol").upper() or "HTTP"
    if protocol not in BACKEND_PROTOCOLS:
        r.invalid.append(
            f"backend-protocol: {protocol!r} is not one of {', '.join(BACKEND_PROTOCOLS)}"
        )
        protocol = "HTTP"
    app_root = r.text("app-root")
    if app_root and not app_root.startswith("/"):
        r.invalid.append(f"app-root: {app_root!r} is not a path")
        app_root = ""
    return NginxAnnotations(
        use_regex=r.flag("use-regex", False),
        rewrite_target=r.text("rewrite-target"),
        app_root=app_root,
        ssl_redirect=r.flag("ssl-redirect", True),
        force_ssl_redirect=r.flag("force-ssl-redirect", False),
        preserve_trailing_slash=r.flag("preserve-trailing-slash", False),
        default_backend=r.text("default-backend"),
        backend_protocol=protocol,
        service_upstream=r.flag("service-upstream", False),
        ssl_passthrough=r.flag("ssl-passthrough", False),
        custom_http_errors=_errors(r),
        not_modelled=tuple(sorted(k for k in r.values if k not in MODELLED)),
        **_redirects(r),
        **_canary(r),
        **_source_ranges(r),
        invalid=tuple(r.invalid),
    )
