"""Gateway API HTTPRoute filters that change where a request goes: RequestRedirect (the
``Location`` the client receives) and URLRewrite (the path the backend receives).

https://gateway-api.sigs.k8s.io/reference/spec/#httprequestredirectfilter and
#httpurlrewritefilter, #httppathmodifier; cases: the conformance tests HTTPRouteRedirectPath,
HTTPRouteRedirectPortAndScheme, HTTPRouteRedirectHostAndStatus, HTTPRouteRewritePath.

- RequestRedirect: scheme (empty: the request's), hostname (empty: the request's Host),
  path (empty: the request path as-is; else ReplaceFullPath / ReplacePrefixMatch), port (empty:
  the well-known port of a *given* scheme -- http 80, https 443 -- else the listener's port;
  not written when it is the scheme's default), statusCode (default 302). The query string is
  kept (an assumption: the spec is silent; Envoy and NGINX keep it).
- URLRewrite: the path the backend receives (ReplaceFullPath / ReplacePrefixMatch); a
  hostname rewrite is reported.
- ReplacePrefixMatch replaces the *matched prefix* element-wise ("/foo/bar" with prefix
  "/foo" and replacement "/xyz" -> "/xyz/bar"); it needs a PathPrefix match.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from podpath.model.gateway import HTTPRouteMatch, RouteFilter
from podpath.model.routing import Request

REDIRECT_DEFAULT_STATUS = 302
WELL_KNOWN_PORTS = {"http": 80, "https": 443}


def replace_prefix_match(path: str, prefix: str, replacement: str) -> str:
    """HTTPPathModifier ReplacePrefixMatch: the matched prefix (trailing ``/`` ignored, whole
    path elements) of ``path`` becomes ``replacement`` (its trailing ``/`` ignored); the spec's
    table: ``/foo/`` with prefix ``/foo`` and ``/xyz`` -> ``/xyz/``; ``/foo`` with ``""`` or
    ``/`` -> ``/``."""
    matched = prefix.rstrip("/")
    remainder = path[len(matched) :] if path.startswith(matched) else path
    out = replacement.rstrip("/") + remainder
    if not out.startswith("/"):
        out = "/" + out
    return out


def modified_path(settings: dict[str, str], key: str, path: str, match: HTTPRouteMatch) -> str:
    """The path after the ``KEY.path`` modifier of a filter (``requestRedirect`` or
    ``urlRewrite``); unchanged without one."""
    kind = settings.get(f"{key}.path.type")
    if kind == "ReplaceFullPath":
        return settings.get(f"{key}.path.replaceFullPath", "") or "/"
    if kind == "ReplacePrefixMatch":
        prefix = match.path.value if match.path.type == "PathPrefix" else ""
        return replace_prefix_match(
            path, prefix, settings.get(f"{key}.path.replacePrefixMatch", "")
        )
    return path


def host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True, slots=True)
class Redirect:
    status: int
    location: str


def request_redirect(
    f: RouteFilter, request: Request, listener_port: int, match: HTTPRouteMatch
) -> Redirect:
    """The status and absolute ``Location`` of a RequestRedirect filter (module docstring)."""
    s = dict(f.settings)
    given_scheme = s.get("requestRedirect.scheme")
    scheme = given_scheme or request.scheme
    host = s.get("requestRedirect.hostname") or request.host
    if "requestRedirect.port" in s:
        port = int(s["requestRedirect.port"])
    elif given_scheme:
        port = WELL_KNOWN_PORTS.get(given_scheme, listener_port)
    else:
        port = listener_port
    shown = "" if WELL_KNOWN_PORTS.get(scheme) == port else f":{port}"
    path = modified_path(s, "requestRedirect", request.path, match)
    query = f"?{request.raw_query}" if request.raw_query else ""
    status = int(s.get("requestRedirect.statusCode", REDIRECT_DEFAULT_STATUS))
    return Redirect(status, f"{scheme}://{host_for_url(host)}{shown}{path}{query}")


def url_rewrite(
    filters: tuple[RouteFilter, ...], request: Request, match: HTTPRouteMatch
) -> tuple[str, tuple[str, ...]]:
    """The path the backend receives after a URLRewrite filter, and what it rewrote."""
    rewrite = next((f for f in filters if f.type == "URLRewrite"), None)
    if rewrite is None:
        return request.path, ()
    s = dict(rewrite.settings)
    path = modified_path(s, "urlRewrite", request.path, match)
    notes = []
    if path != request.path:
        notes.append(f"URLRewrite: the backend receives path {path} (request path {request.path})")
    if s.get("urlRewrite.hostname"):
        notes.append(f"URLRewrite: the backend receives Host {s['urlRewrite.hostname']}")
    return path, tuple(notes)


def request_url(request: Request) -> str:
    """The request as an absolute URL (the port only when not the scheme's default)."""
    default = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}.get(request.scheme)
    port = "" if request.port == default else f":{request.port}"
    query = request.raw_query or urlencode(request.query)
    return f"{request.scheme}://{host_for_url(request.host)}{port}{request.path}" + (
        f"?{query}" if query else ""
    )
