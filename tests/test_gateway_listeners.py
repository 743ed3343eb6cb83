"""Gateway listeners that are not distinct are Conflicted, and none of them is accepted.

GatewaySpec.listeners, "Distinct Listeners" and "Handling indistinct Listeners"
(https://gateway-api.sigs.k8s.io/reference/spec/#gatewayspec): "The implementation MUST NOT
pick one conflicting Listener as the winner. ALL indistinct Listeners must not be accepted";
cases from the spec's rules and the conformance tests GatewayListenerProtocolAndRouteKindConflicts
and GatewayHTTPSAndTLSPassthroughSamePort.
"""

from __future__ import annotations

from typing import Any

import pytest

from podpath.analyze.doctor import diagnose
from podpath.analyze.routes import routing_table
from podpath.engine.gateway_attach import route_status
from podpath.engine.gateway_listeners import (
    conflicted_listeners,
    invalid_route_kinds,
    listener_kinds,
    listener_problem,
)
from podpath.engine.routing import route_request
from podpath.model.gateway import Gateway
from routing_helpers import NOW, app, cluster_of
from test_gateway import gateway, listener, route, to

TLS = {"tls": {"mode": "Passthrough"}}
TERM = {"tls": {"certificateRefs": [{"name": "cert"}]}}

# (listeners, conflicted name -> reason); listener(name, port, protocol, hostname, **extra)
CONFLICT_CASES: list[tuple[str, list[dict[str, Any]], dict[str, str]]] = [
    (
        "same port, protocol and hostname",
        [listener("a", hostname="x.example.com"), listener("b", hostname="x.example.com")],
        {"a": "HostnameConflict", "b": "HostnameConflict"},
    ),
    (
        "same port and protocol, both without hostname",
        [listener("a"), listener("b")],
        {"a": "HostnameConflict", "b": "HostnameConflict"},
    ),
    (
        "distinct by hostname",
        [listener("a", hostname="x.example.com"), listener("b", hostname="*.example.com")],
        {},
    ),
    ("distinct by port", [listener("a"), listener("b", port=8080)], {}),
    (
        "TCP shares a port with HTTP: every listener on it (spec's 'very important rule')",
        [listener("web"), listener("raw", protocol="TCP"), listener("other", port=8080)],
        {"web": "ProtocolConflict", "raw": "ProtocolConflict"},
    ),
    (
        "conformance GatewayListenerProtocolAndRouteKindConflicts: HTTPS and TLS on 8443",
        [
            listener("tls", 443, "TLS", "abc.example.com", **TLS),
            listener("conflicted-https", 8443, "HTTPS", **TERM),
            listener("conflicted-tls", 8443, "TLS", **TLS),
        ],
        {"conflicted-https": "ProtocolConflict", "conflicted-tls": "ProtocolConflict"},
    ),
    (
        "conformance GatewayHTTPSAndTLSPassthroughSamePort: distinct hostnames",
        [
            listener("https-terminate", 8884, "HTTPS", "*.example.com", **TERM),
            listener("tls-passthrough", 8884, "TLS", "abc.example.com", **TLS),
        ],
        {},
    ),
    (
        "UDP and TCP on one port are distinct",
        [listener("t", 53, "TCP"), listener("u", 53, "UDP")],
        {},
    ),
]


@pytest.mark.parametrize(
    ("listeners", "expected"), [c[1:] for c in CONFLICT_CASES], ids=[c[0] for c in CONFLICT_CASES]
)
def test_conflicted_listeners(listeners: list[dict[str, Any]], expected: dict[str, str]) -> None:
    (gw,) = cluster_of(gateway(listeners)).of_kind("Gateway")
    assert isinstance(gw, Gateway)
    got = {name: text.split(":")[0] for name, text in conflicted_listeners(gw).items()}
    assert got == expected


def _conflicted_cluster() -> Any:
    return cluster_of(
        *app("shop", "web"),
        gateway([listener("http"), listener("http2"), listener("alt", port=8080)]),
        route(
            "shop", "web", [{"backendRefs": to("web")}], parent={"name": "gw", "namespace": "infra"}
        ),
        route(
            "shop",
            "pinned",
            [{"backendRefs": to("web")}],
            parent={"name": "gw", "namespace": "infra", "sectionName": "http"},
        ),
    )


def test_no_conflicted_listener_wins() -> None:
    cluster = _conflicted_cluster()
    (a,) = route_request(cluster, "http://shop.example.com/", now=NOW)
    assert (a.entry_point, a.status) == ("", 404)
    assert any(
        "Gateway/infra/gw/http is Conflicted (HostnameConflict: with http2)" in r for r in a.reasons
    )
    # the distinct listener on 8080 still serves
    (b,) = route_request(cluster, "http://shop.example.com:8080/", now=NOW)
    assert (b.entry_point, b.status) == ("Gateway/infra/gw", 200)


def test_routes_attach_to_conflicted_listeners_but_get_no_traffic() -> None:
    """ListenerStatus.attachedRoutes: "Listener or Route status does not impact successful
    attachment ... the AttachedRoutes field count MUST be set for Listeners, even if the
    Accepted condition of an individual Listener is set to False"."""
    cluster = _conflicted_cluster()
    statuses = {str(r.ref): route_status(cluster, r) for r in cluster.of_kind("HTTPRoute")}
    pinned = statuses["HTTPRoute/shop/pinned"].parents[0]
    assert (pinned.accepted, pinned.accepted_reason) == (True, "Accepted")
    assert pinned.listeners == ("infra/gw/http",)
    assert "no listener serves it" in pinned.messages[0] and "Conflicted" in pinned.messages[0]
    web = statuses["HTTPRoute/shop/web"].parents[0]
    assert web.accepted and web.listeners == ("infra/gw/http", "infra/gw/http2", "infra/gw/alt")
    assert not web.messages  # the listener on 8080 serves it
    found = [f for f in diagnose(cluster) if f.object == "HTTPRoute/shop/pinned"]
    assert [f.code for f in found] == ["route-listeners-not-programmed"]


def test_doctor_and_routes_report_the_conflict() -> None:
    cluster = _conflicted_cluster()
    found = [f for f in diagnose(cluster) if f.code == "gateway-listener-conflicted"]
    assert [(f.object, f.severity.value) for f in found] == [("Gateway/infra/gw", "error")]
    assert "http (HostnameConflict: with http2)" in found[0].message
    notes = routing_table(cluster)["notes"]
    assert any(n["code"] == "gateway-listener-conflicted" for n in notes)


# -- parentRefs that are not Gateways ------------------------------------------------------

MESH_PARENTS = [
    # the GAMMA conformance tests' parent (e.g. mesh-redirect-scheme): a Service
    ({"group": "", "kind": "Service", "name": "echo", "port": 80}, "a mesh route (GAMMA)"),
    ({"group": "example.io", "kind": "Mesh", "name": "mesh"}, "example.io/Mesh/shop/mesh"),
]


@pytest.mark.parametrize(("parent", "text"), MESH_PARENTS)
def test_parent_that_is_not_a_gateway_is_info_not_an_error(
    parent: dict[str, Any], text: str
) -> None:
    cluster = cluster_of(
        *app("shop", "echo"), route("shop", "mesh", [{"backendRefs": to("echo")}], parent=parent)
    )
    (status,) = route_status(cluster, cluster.of_kind("HTTPRoute")[0]).parents
    assert (status.modelled, status.accepted_reason) == (False, "NotModelled")
    found = [f for f in diagnose(cluster) if f.object == "HTTPRoute/shop/mesh"]
    assert [(f.code, f.severity.value) for f in found] == [("route-parent-not-modelled", "info")]
    assert text in found[0].message and "nothing to change" in found[0].hint


# -- invalid listeners (v1.6: HTTPS without tls) -------------------------------------------

PROBLEM_CASES: list[tuple[str, dict[str, Any], tuple[str, str] | None]] = [
    # (case, listener, (Accepted reason, Programmed reason) or None)
    (
        "HTTPS without tls (Listener.tls: required for HTTPS)",
        listener("h", 443, "HTTPS"),
        ("UnsupportedValue", "Invalid"),
    ),
    ("HTTPS with tls", listener("h", 443, "HTTPS", **TERM), None),
    (
        "HTTPS Passthrough (CRD: tls mode must be Terminate)",
        listener("h", 443, "HTTPS", **TLS),
        ("UnsupportedValue", "Invalid"),
    ),
    (
        "TLS without tls (CRD: tls mode must be set)",
        listener("t", 443, "TLS"),
        ("UnsupportedValue", "Invalid"),
    ),
    (
        "HTTP with tls (CRD: tls must not be specified)",
        listener("p", 80, "HTTP", **TERM),
        ("UnsupportedValue", "Invalid"),
    ),
    (
        "conformance GatewayInvalidListenersUnsupportedProtocol",
        listener("x", 80, "SCTP"),
        ("UnsupportedProtocol", "Invalid"),
    ),
    (
        "a domain-prefixed protocol is implementation-specific",
        listener("x", 80, "example.com/quic"),
        None,
    ),
    ("TCP", listener("t", 9000, "TCP"), None),
]


@pytest.mark.parametrize(
    ("spec", "expected"), [c[1:] for c in PROBLEM_CASES], ids=[c[0] for c in PROBLEM_CASES]
)
def test_listener_problem(spec: dict[str, Any], expected: tuple[str, str] | None) -> None:
    (gw,) = cluster_of(gateway([spec])).of_kind("Gateway")
    problem = listener_problem(gw.listeners[0])
    assert (problem[:2] if problem else None) == expected


def _https_without_tls() -> Any:
    return cluster_of(
        *app("shop", "web"),
        gateway([listener("https", 443, "HTTPS", "shop.example.com"), listener("http")]),
        route(
            "shop",
            "web",
            [{"backendRefs": to("web")}],
            parent={"name": "gw", "namespace": "infra", "sectionName": "https"},
        ),
    )


def test_https_listener_without_tls_serves_nothing() -> None:
    """Listener.tls "is required if the Protocol field is HTTPS" (v1.6.0-rc CRDs rejected it
    at admission; v1.6.0 moved that to the experimental channel): the listener is not
    programmed, its routes attach (Accepted) but get no traffic."""
    cluster = _https_without_tls()
    (a,) = route_request(cluster, "https://shop.example.com/", now=NOW)
    assert (a.entry_point, a.status) == ("", 404)
    assert any(
        "Gateway/infra/gw/https is not programmed (Invalid)" in r and "without tls" in r
        for r in a.reasons
    )
    (rt,) = cluster.of_kind("HTTPRoute")
    (p,) = route_status(cluster, rt).parents
    assert (p.accepted, p.listeners) == (True, ("infra/gw/https",))
    codes = {(f.code, f.object) for f in diagnose(cluster)}
    assert ("gateway-listener-invalid", "Gateway/infra/gw") in codes
    assert ("route-listeners-not-programmed", "HTTPRoute/shop/web") in codes


@pytest.mark.parametrize(
    ("kinds", "supported"),
    [
        # conformance GatewayInvalidRouteKind
        ([{"kind": "InvalidRoute"}], ()),
        ([{"kind": "InvalidRoute"}, {"kind": "HTTPRoute"}], ("HTTPRoute",)),
        ([{"kind": "TLSRoute"}], ()),  # an HTTP listener cannot carry TLSRoutes
        ([], ("HTTPRoute", "GRPCRoute")),
    ],
)
def test_invalid_route_kinds(kinds: list[dict[str, str]], supported: tuple[str, ...]) -> None:
    spec = listener("http")
    if kinds:
        spec["allowedRoutes"]["kinds"] = kinds
    (gw,) = cluster_of(gateway([spec])).of_kind("Gateway")
    lis = gw.listeners[0]
    assert tuple(k.kind for k in listener_kinds(lis)) == supported
    assert bool(invalid_route_kinds(lis)) is (len(kinds) > len(supported))
