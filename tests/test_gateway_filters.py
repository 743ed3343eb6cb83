"""RequestRedirect -> the Location the client receives; URLRewrite -> the path the backend
receives. Cases: the Gateway API conformance tests HTTPRouteRedirectPath,
HTTPRouteRedirectPortAndScheme, HTTPRouteRedirectHostAndStatus, HTTPRouteRewritePath and the
HTTPPathModifier table of the spec (https://gateway-api.sigs.k8s.io/reference/spec/#httppathmodifier).
"""

from __future__ import annotations

from typing import Any

import pytest

from podpath.engine.gateway_filters import replace_prefix_match
from podpath.engine.routing import route_request
from routing_helpers import NOW, app, cluster_of, tls_secret
from test_gateway import gateway, listener, route, to

# HTTPPathModifier.replacePrefixMatch: (request path, prefix match, replace prefix, modified)
PREFIX_TABLE = [
    ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
    ("/foo", "/foo", "/xyz", "/xyz"),
    ("/foo/", "/foo", "/xyz", "/xyz/"),
    ("/foo/bar", "/foo", "", "/bar"),
    ("/foo/", "/foo", "", "/"),
    ("/foo", "/foo", "", "/"),
    ("/foo/", "/foo", "/", "/"),
    ("/foo", "/foo", "/", "/"),
]


@pytest.mark.parametrize(("path", "prefix", "replacement", "modified"), PREFIX_TABLE)
def test_replace_prefix_match_spec_table(
    path: str, prefix: str, replacement: str, modified: str
) -> None:
    assert replace_prefix_match(path, prefix, replacement) == modified


def prefix_rule(prefix: str, filt: dict[str, Any], backends: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "matches": [{"path": {"type": "PathPrefix", "value": prefix}}],
        "filters": [filt],
    }
    if backends:
        out["backendRefs"] = to("infra-backend-v1")
    return out


def redirect(**settings: Any) -> dict[str, Any]:
    return {"type": "RequestRedirect", "requestRedirect": settings}


def rewrite(kind: str, value: str) -> dict[str, Any]:
    key = "replaceFullPath" if kind == "ReplaceFullPath" else "replacePrefixMatch"
    return {"type": "URLRewrite", "urlRewrite": {"path": {"type": kind, key: value}}}


def full(value: str) -> dict[str, str]:
    return {"type": "ReplaceFullPath", "replaceFullPath": value}


def prefix(value: str) -> dict[str, str]:
    return {"type": "ReplacePrefixMatch", "replacePrefixMatch": value}


NS = "gateway-conformance-infra"
PARENT = {"name": "same-namespace", "namespace": NS}

# httproute-redirect-path.yaml and httproute-redirect-host-and-status.yaml
PATH_RULES = [
    prefix_rule("/original-prefix", redirect(path=prefix("/replacement-prefix"))),
    prefix_rule("/full", redirect(path=full("/full-path-replacement"))),
    prefix_rule(
        "/path-and-host", redirect(hostname="example.org", path=prefix("/replacement-prefix"))
    ),
    prefix_rule("/path-and-status", redirect(path=prefix("/replacement-prefix"), statusCode=301)),
    prefix_rule(
        "/full-path-and-host", redirect(hostname="example.org", path=full("/replacement-full"))
    ),
    prefix_rule("/full-path-and-status", redirect(path=full("/replacement-full"), statusCode=301)),
    prefix_rule("/hostname-redirect", redirect(hostname="example.org")),
    prefix_rule("/host-and-status", redirect(hostname="example.org", statusCode=301)),
]

# (request path, status, Location); the request's Host is gw.example.com
PATH_CASES = [
    ("/original-prefix/lemon", 302, "http://gw.example.com/replacement-prefix/lemon"),
    ("/full/path/original", 302, "http://gw.example.com/full-path-replacement"),
    ("/path-and-host", 302, "http://example.org/replacement-prefix"),
    ("/path-and-status", 301, "http://gw.example.com/replacement-prefix"),
    ("/full-path-and-host", 302, "http://example.org/replacement-full"),
    ("/full-path-and-status", 301, "http://gw.example.com/replacement-full"),
    ("/hostname-redirect", 302, "http://example.org/hostname-redirect"),
    ("/host-and-status", 301, "http://example.org/host-and-status"),
    ("/original-prefix/lemon?x=1", 302, "http://gw.example.com/replacement-prefix/lemon?x=1"),
]


@pytest.mark.parametrize(("path", "status", "location"), PATH_CASES)
def test_redirect_path_host_and_status(path: str, status: int, location: str) -> None:
    cluster = cluster_of(
        gateway([listener("http", from_="Same")], ns=NS, name="same-namespace"),
        route(NS, "redirect-path", PATH_RULES, parent=PARENT),
    )
    (a,) = route_request(cluster, f"http://gw.example.com{path}", now=NOW)
    assert (a.status, a.location, a.path, a.backend) == (status, location, None, None)
    assert any(f"Location {location}" in r for r in a.reasons)


def port_rules(scheme_ports: list[tuple[str | None, int | None]]) -> list[dict[str, Any]]:
    rules = []
    for scheme, port in scheme_ports:
        settings: dict[str, Any] = {"hostname": "example.org"}
        if scheme:
            settings["scheme"] = scheme
        if port:
            settings["port"] = port
        rules.append(
            prefix_rule(f"/scheme-{scheme or 'nil'}-and-port-{port or 'nil'}", redirect(**settings))
        )
    return rules


# HTTPRouteRedirectPortAndScheme: (listener port, protocol, request path, Location)
PORT_SCHEME_CASES = [
    (80, "HTTP", "/scheme-nil-and-port-nil", "http://example.org/"),
    (80, "HTTP", "/scheme-nil-and-port-80", "http://example.org/"),
    (80, "HTTP", "/scheme-nil-and-port-8080", "http://example.org:8080/"),
    (80, "HTTP", "/scheme-https-and-port-nil", "https://example.org/"),
    (80, "HTTP", "/scheme-https-and-port-443", "https://example.org/"),
    (80, "HTTP", "/scheme-https-and-port-8443", "https://example.org:8443/"),
    (8080, "HTTP", "/scheme-nil-and-port-nil", "http://example.org:8080/"),
    (8080, "HTTP", "/scheme-nil-and-port-80", "http://example.org/"),
    (8080, "HTTP", "/scheme-https-and-port-nil", "https://example.org/"),
    (443, "HTTPS", "/scheme-nil-and-port-nil", "https://example.org/"),
    (443, "HTTPS", "/scheme-nil-and-port-443", "https://example.org/"),
    (443, "HTTPS", "/scheme-nil-and-port-8443", "https://example.org:8443/"),
    (443, "HTTPS", "/scheme-http-and-port-nil", "http://example.org/"),
    (443, "HTTPS", "/scheme-http-and-port-80", "http://example.org/"),
    (443, "HTTPS", "/scheme-http-and-port-8080", "http://example.org:8080/"),
]


@pytest.mark.parametrize(("port", "protocol", "path", "location"), PORT_SCHEME_CASES)
def test_redirect_port_and_scheme(port: int, protocol: str, path: str, location: str) -> None:
    combos: list[tuple[str | None, int | None]] = [
        (s, p) for s in (None, "http", "https") for p in (None, 80, 443, 8080, 8443)
    ]
    extra = {"tls": {"certificateRefs": [{"name": "cert"}]}} if protocol == "HTTPS" else {}
    lis = listener("l", port=port, protocol=protocol, from_="Same", **extra)
    cluster = cluster_of(
        gateway([lis], ns=NS, name="same-namespace"),
        route(NS, "r", port_rules(combos), parent=PARENT),
    )
    scheme = "https" if protocol == "HTTPS" else "http"
    shown = "" if port in (80, 443) else f":{port}"
    (a,) = route_request(cluster, f"{scheme}://example.org{shown}{path}", now=NOW)
    # "/scheme-nil-and-port-nil" keeps the request path: the redirect path is the request's
    assert (a.status, a.location) == (302, location.rstrip("/") + path)


# httproute-rewrite-path.yaml: (request path, path the backend receives)
REWRITE_RULES = [
    prefix_rule("/prefix/one", rewrite("ReplacePrefixMatch", "/one"), backends=True),
    prefix_rule("/strip-prefix", rewrite("ReplacePrefixMatch", "/"), backends=True),
    prefix_rule("/full/one", rewrite("ReplaceFullPath", "/one"), backends=True),
    prefix_rule(
        "/full/rewrite-path-and-modify-headers", rewrite("ReplaceFullPath", "/test"), backends=True
    ),
    prefix_rule(
        "/prefix/rewrite-path-and-modify-headers",
        rewrite("ReplacePrefixMatch", "/prefix"),
        backends=True,
    ),
]
REWRITE_CASES = [
    ("/prefix/one/two", "/one/two"),
    ("/strip-prefix/three", "/three"),
    ("/strip-prefix", "/"),
    ("/full/one/two", "/one"),
    ("/full/rewrite-path-and-modify-headers/test", "/test"),
    ("/prefix/rewrite-path-and-modify-headers/one", "/prefix/one"),
]


@pytest.mark.parametrize(("path", "received"), REWRITE_CASES)
def test_url_rewrite_path(path: str, received: str) -> None:
    cluster = cluster_of(
        *app(NS, "infra-backend-v1"),
        gateway([listener("http", from_="Same")], ns=NS, name="same-namespace"),
        route(NS, "rewrite-path", REWRITE_RULES, parent=PARENT),
    )
    (a,) = route_request(cluster, f"http://gw.example.com{path}", now=NOW)
    assert (a.status, a.path, a.location) == (200, received, None)
    assert any(f"the backend receives path {received}" in r for r in a.reasons)


def test_without_filters_the_backend_receives_the_request_path() -> None:
    cluster = cluster_of(
        *app("infra", "web"),
        gateway([listener("http")]),
        route("infra", "web", [{"backendRefs": to("web")}]),
    )
    (a,) = route_request(cluster, "http://x.example.com/a/b?q=1", now=NOW)
    assert (a.status, a.path, a.location) == (200, "/a/b", None)
    (b,) = route_request(cluster, "http://x.example.com/a", now=NOW, gateway="infra/gw")
    assert b.path == "/a"


def test_https_redirect_keeps_tls_answer() -> None:
    lis = listener(
        "https", 443, "HTTPS", "shop.example.com", tls={"certificateRefs": [{"name": "c"}]}
    )
    cluster = cluster_of(
        tls_secret("infra", "c", ["shop.example.com"], NOW.replace(year=2030)),
        gateway([lis]),
        route("infra", "r", [prefix_rule("/old", redirect(path=prefix("/new")))]),
    )
    (a,) = route_request(cluster, "https://shop.example.com/old/x", now=NOW)
    assert (a.status, a.location) == (302, "https://shop.example.com/new/x")
    assert a.tls is not None and not a.tls.problems
