"""TLSRoute v1 by SNI, TCPRoute and UDPRoute v1 on listener ports (Gateway API v1.5/v1.6).

Cases: the conformance tests TLSRouteHostnameIntersection, TLSRouteInvalidNoMatchingListener,
TLSRouteInvalidNoMatchingListenerHostname, TLSRouteMixedTerminationSameNamespace,
TLSRouteInvalidBackendRefNonexistent, TCPRouteParentRefPortAndSectionName,
TCPRouteMultipleRoutesAttachment, TCPRouteWeightedRouting, TCPRouteInvalidNonTCPListener,
TCPRouteInvalidCrossNamespaceBackendRef, UDPRouteSimple, UDPRouteParentRefAttachAllListeners,
UDPRouteNotAllowedByListeners (kubernetes-sigs/gateway-api conformance/tests/, v1.6).
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway_v15_helpers import INFRA, gateway, http_route, lis, parent, to
from podpath.analyze.doctor import diagnose
from podpath.analyze.routes import routing_table
from podpath.engine.gateway_attach import route_status
from podpath.engine.gateway_l4 import route_connection
from podpath.engine.routing import route_request
from podpath.errors import InputError
from routing_helpers import NOW, cluster_of

PASS = {"tls": {"mode": "Passthrough"}}


def l4_app(name: str, port: int, protocol: str = "TCP", ns: str = INFRA) -> list[dict[str, Any]]:
    """A pod NAME-1 listening on ``port``/``protocol`` and a Service NAME with that port."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"namespace": ns, "name": f"{name}-1", "labels": {"app": name}},
            "spec": {
                "containers": [
                    {"name": "c", "ports": [{"containerPort": port, "protocol": protocol}]}
                ]
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"namespace": ns, "name": name},
            "spec": {
                "selector": {"app": name},
                "ports": [{"name": protocol.lower(), "port": port, "protocol": protocol}],
            },
        },
    ]


def tls_route(name: str, gw: str, hostnames: list[str], backend: str, **kw: Any) -> dict[str, Any]:
    return http_route(
        name, [parent(gw, **kw)], [to(backend, port=443)], hostnames=hostnames, kind="TLSRoute"
    )


# -- TLSRoute hostname intersection -------------------------------------------------------


def _intersection() -> Any:
    """conformance/tests/tlsroute-hostname-intersection.yaml."""
    gws = {
        1: ("gw-tlsroute-exact-hostname-x-1", "abc.example.com"),
        2: ("gw-tlsroute-more-specific-wc-hostname-x-2", "*.example.com"),
        3: ("gw-tlsroute-less-specific-wc-hostname-x-3", "*.com"),
        4: ("gw-tlsroute-empty-hostname-x-4", None),
    }
    objs: list[dict[str, Any]] = [*l4_app("tls-backend", 443), *l4_app("tls-backend-2", 443)]
    for i, (name, host) in gws.items():
        objs.append(gateway(name, [lis(f"listener-{i}", host, 443, "TLS", **PASS)]))
    objs += [
        tls_route(
            "tlsroute-more-specific-wc-hostname-x-1", gws[1][0], ["*.example.com"], "tls-backend"
        ),
        tls_route("tlsroute-exact-hostname-x-2", gws[2][0], ["abc.example.com"], "tls-backend"),
        tls_route("tlsroute-less-specific-wc-hostname-x-2", gws[2][0], ["*.com"], "tls-backend-2"),
        tls_route("tlsroute-exact-hostname-x-3", gws[3][0], ["abc.example.com"], "tls-backend"),
        tls_route(
            "tlsroute-more-specific-wc-hostname-x-3", gws[3][0], ["*.example.com"], "tls-backend-2"
        ),
        tls_route("tlsroute-exact-hostname-x-4", gws[4][0], ["abc.example.com"], "tls-backend"),
        tls_route("tlsroute-less-specific-wc-hostname-x-4", gws[4][0], ["*.com"], "tls-backend-2"),
    ]
    return cluster_of(*objs)


B1, B2 = f"{INFRA}/tls-backend", f"{INFRA}/tls-backend-2"
INTERSECTION_CASES = [
    ("gw-tlsroute-exact-hostname-x-1", "abc.example.com", B1),
    ("gw-tlsroute-exact-hostname-x-1", "non.matching.com", None),
    ("gw-tlsroute-more-specific-wc-hostname-x-2", "abc.example.com", B1),
    ("gw-tlsroute-more-specific-wc-hostname-x-2", "other.example.com", B2),
    ("gw-tlsroute-more-specific-wc-hostname-x-2", "non.matching.com", None),
    ("gw-tlsroute-less-specific-wc-hostname-x-3", "abc.example.com", B1),
    ("gw-tlsroute-less-specific-wc-hostname-x-3", "other.example.com", B2),
    ("gw-tlsroute-less-specific-wc-hostname-x-3", "non.matching.com", None),
    ("gw-tlsroute-empty-hostname-x-4", "abc.example.com", B1),
    ("gw-tlsroute-empty-hostname-x-4", "other.example.com", B2),
]


@pytest.mark.parametrize(("gw", "sni", "backend"), INTERSECTION_CASES)
def test_tls_route_hostname_intersection(gw: str, sni: str, backend: str | None) -> None:
    cluster = _intersection()
    (a,) = route_connection(cluster, "TLS", 443, sni=sni, gateway=f"{INFRA}/{gw}", now=NOW)
    if backend is None:
        assert a.outcome in ("no-route", "no-listener"), a.reasons  # the connection is rejected
    else:
        assert (a.outcome, a.backend and a.backend.service) == ("forwarded", backend), a.reasons
        # an https:// request with that SNI takes the same route
        (r,) = route_request(cluster, f"https://{sni}/", gateway=f"{INFRA}/{gw}", now=NOW)
        assert r.backend is not None and r.backend.service == backend


# -- TLSRoute status ----------------------------------------------------------------------


def test_tls_route_rejections() -> None:
    """TLSRouteInvalidNoMatchingListener, TLSRouteInvalidNoMatchingListenerHostname."""
    https = {"tls": {"mode": "Terminate", "certificateRefs": [{"name": "cert"}]}}
    cluster = cluster_of(
        *l4_app("tls-backend", 443),
        gateway("gateway-tlsroute-tls-passthrough-only", [lis("tls", None, 443, "TLS", **PASS)]),
        gateway("gateway-tlsroute-http-only", [lis("http")]),
        gateway("gateway-tlsroute-https-only", [lis("https", None, 443, "HTTPS", **https)]),
        gateway("gateway-tls-exact-hostname", [lis("tls", "www.example.com", 443, "TLS", **PASS)]),
        tls_route(
            "tlsroute-not-allowed-protocol-http",
            "gateway-tlsroute-http-only",
            ["abc.example.com"],
            "tls-backend",
        ),
        tls_route(
            "tlsroute-not-allowed-protocol-https",
            "gateway-tlsroute-https-only",
            ["abc.example.com"],
            "tls-backend",
        ),
        tls_route(
            "tlsroute-no-matching-section-name",
            "gateway-tlsroute-tls-passthrough-only",
            ["abc.example.com"],
            "tls-backend",
            section="nonexistent-listener",
        ),
        tls_route(
            "tlsroute-hostname-mismatch-1",
            "gateway-tls-exact-hostname",
            ["other.example.com"],
            "tls-backend",
        ),
    )
    got = {
        r.name: route_status(cluster, r).parents[0].accepted_reason
        for r in cluster.of_kind("TLSRoute")
    }
    assert got == {
        "tlsroute-not-allowed-protocol-http": "NotAllowedByListeners",
        "tlsroute-not-allowed-protocol-https": "NotAllowedByListeners",
        "tlsroute-no-matching-section-name": "NoMatchingParent",
        "tlsroute-hostname-mismatch-1": "NoMatchingListenerHostname",
    }


def test_tls_route_nonexistent_backend_is_rejected() -> None:
    """TLSRouteInvalidBackendRefNonexistent: ResolvedRefs False (BackendNotFound); the
    connection is rejected."""
    cluster = cluster_of(
        gateway("gw", [lis("tls", None, 443, "TLS", **PASS)]),
        tls_route("r", "gw", ["abc.example.com"], "nonexistent"),
    )
    (route,) = cluster.of_kind("TLSRoute")
    (p,) = route_status(cluster, route).parents
    assert (p.accepted, p.resolved_refs, p.resolved_reason) == (True, False, "BackendNotFound")
    (a,) = route_connection(cluster, "TLS", 443, sni="abc.example.com", now=NOW)
    assert a.outcome == "rejected"


def test_mixed_termination_on_one_port() -> None:
    """TLSRouteMixedTerminationSameNamespace: one port, a Terminate and a Passthrough listener
    told apart by SNI."""
    cluster = cluster_of(
        *l4_app("tcp-backend", 3000),
        *l4_app("tls-backend", 8443),
        gateway(
            "gateway-tlsroute-mixed-termination",
            [
                lis(
                    "tls-terminate",
                    "tls.example.com",
                    8883,
                    "TLS",
                    from_="Same",
                    tls={
                        "mode": "Terminate",
                        "certificateRefs": [{"name": "tls-terminate-checks-certificate"}],
                    },
                ),
                lis("tls-passthrough", "abc.example.com", 8883, "TLS", from_="Same", **PASS),
            ],
        ),
        http_route(
            "passthrough",
            [parent("gateway-tlsroute-mixed-termination")],
            [to("tcp-backend", port=8443)],
            hostnames=["abc.example.com"],
            kind="TLSRoute",
        ),
        http_route(
            "terminate",
            [parent("gateway-tlsroute-mixed-termination")],
            [to("tcp-backend", port=3000)],
            hostnames=["tls.example.com"],
            kind="TLSRoute",
        ),
    )
    (t,) = route_connection(cluster, "TLS", 8883, sni="tls.example.com", now=NOW)
    assert (t.outcome, t.listener, t.backend and t.backend.port) == (
        "forwarded",
        f"Gateway/{INFRA}/gateway-tlsroute-mixed-termination/tls-terminate",
        3000,
    )
    assert t.tls is not None and t.tls.secret == f"{INFRA}/tls-terminate-checks-certificate"
    (p,) = route_connection(cluster, "TLS", 8883, sni="abc.example.com", now=NOW)
    assert p.listener is not None and p.listener.endswith("/tls-passthrough") and p.tls is None


# -- TCPRoute -----------------------------------------------------------------------------


def _tcp() -> Any:
    return cluster_of(
        *l4_app("tcp-echo-one", 3000),
        *l4_app("tcp-echo-two", 3000),
        *l4_app("tcp-echo-three", 3000),
        gateway(
            "tcp-multi-listener-gateway",
            [
                lis("one", None, 9300, "TCP"),
                lis("two", None, 9301, "TCP"),
                lis("three", None, 9302, "TCP"),
            ],
        ),
        http_route(
            "tcp-route-by-port",
            [parent("tcp-multi-listener-gateway", port=9300)],
            [to("tcp-echo-one", port=3000)],
            kind="TCPRoute",
        ),
        http_route(
            "tcp-route-by-section",
            [parent("tcp-multi-listener-gateway", section="two")],
            [to("tcp-echo-two", port=3000)],
            kind="TCPRoute",
        ),
        http_route(
            "tcp-route-by-section-and-port",
            [parent("tcp-multi-listener-gateway", section="three", port=9302)],
            [to("tcp-echo-three", port=3000)],
            kind="TCPRoute",
        ),
    )


@pytest.mark.parametrize(
    ("port", "backend"),
    [(9300, "tcp-echo-one"), (9301, "tcp-echo-two"), (9302, "tcp-echo-three")],
)
def test_tcp_route_parent_ref_port_and_section_name(port: int, backend: str) -> None:
    (a,) = route_connection(_tcp(), "TCP", port, now=NOW)
    assert (a.outcome, a.backend and a.backend.service) == ("forwarded", f"{INFRA}/{backend}")
    assert a.endpoints == (f"{INFRA}/{backend}-1",)


def test_no_tcp_listener_on_the_port() -> None:
    (a,) = route_connection(_tcp(), "TCP", 9999, now=NOW)
    assert a.outcome == "no-listener"
    (u,) = route_connection(_tcp(), "UDP", 9300, now=NOW)  # TCP listener, UDP connection
    assert u.outcome == "no-listener"


def test_only_the_oldest_tcp_route_gets_traffic() -> None:
    """TCPRouteMultipleRoutesAttachment: both Accepted, only the oldest bound."""
    cluster = cluster_of(
        *l4_app("tcp-attach-backend-1", 3000),
        *l4_app("tcp-attach-backend-2", 3000),
        gateway("tcp-multi-route-attach-gateway", [lis("tcp", None, 9310, "TCP")]),
        http_route(
            "tcproute-attach-newer",
            [parent("tcp-multi-route-attach-gateway", section="tcp")],
            [to("tcp-attach-backend-2", port=3000)],
            kind="TCPRoute",
            created="2025-01-01T00:00:01Z",
        ),
        http_route(
            "tcproute-attach-older",
            [parent("tcp-multi-route-attach-gateway", section="tcp")],
            [to("tcp-attach-backend-1", port=3000)],
            kind="TCPRoute",
            created="2025-01-01T00:00:00Z",
        ),
    )
    assert all(route_status(cluster, r).parents[0].accepted for r in cluster.of_kind("TCPRoute"))
    (a,) = route_connection(cluster, "TCP", 9310, now=NOW)
    assert a.backend is not None and a.backend.service == f"{INFRA}/tcp-attach-backend-1"
    assert any("tcproute-attach-newer is attached too but gets no traffic" in r for r in a.reasons)
    (f,) = [f for f in diagnose(cluster) if f.code == "route-shadowed"]
    assert f.object == f"TCPRoute/{INFRA}/tcproute-attach-newer"


def test_tcp_weighted_routing() -> None:
    """TCPRouteWeightedRouting: weights 70/30/0."""
    route = http_route(
        "tcp-weighted-route",
        [parent("tcp-weighted-gateway", section="tcp")],
        [to()],
        kind="TCPRoute",
    )
    route["spec"]["rules"][0]["backendRefs"] = [
        {"name": "tcp-backend-v1", "port": 3000, "weight": 70},
        {"name": "tcp-backend-v2", "port": 3000, "weight": 30},
        {"name": "tcp-backend-v3", "port": 3000, "weight": 0},
    ]
    cluster = cluster_of(
        *(o for v in (1, 2, 3) for o in l4_app(f"tcp-backend-v{v}", 3000)),
        gateway("tcp-weighted-gateway", [lis("tcp", None, 9300, "TCP")]),
        route,
    )
    (a,) = route_connection(cluster, "TCP", 9300, now=NOW)
    assert [(b.service, b.weight) for b in a.backends] == [
        (f"{INFRA}/tcp-backend-v1", 70),
        (f"{INFRA}/tcp-backend-v2", 30),
        (f"{INFRA}/tcp-backend-v3", 0),
    ]
    assert a.backend is not None and a.backend.service == f"{INFRA}/tcp-backend-v1"
    assert a.endpoints == (f"{INFRA}/tcp-backend-v1-1", f"{INFRA}/tcp-backend-v2-1")


def test_tcp_route_on_a_non_tcp_listener() -> None:
    """TCPRouteInvalidNonTCPListener: NotAllowedByListeners."""
    cluster = cluster_of(
        *l4_app("tcp-backend", 8080),
        gateway("tcp-mixed-protocol-gateway", [lis("only-allow-http-routes", None, 5300, "HTTP")]),
        http_route(
            "tcp-route",
            [parent("tcp-mixed-protocol-gateway", section="only-allow-http-routes")],
            [to("tcp-backend", port=8080)],
            kind="TCPRoute",
        ),
    )
    (route,) = cluster.of_kind("TCPRoute")
    assert route_status(cluster, route).parents[0].accepted_reason == "NotAllowedByListeners"


def test_tcp_cross_namespace_backend_needs_a_grant() -> None:
    """TCPRouteInvalidCrossNamespaceBackendRef / TCPRouteReferenceGrant."""
    objs = [
        *l4_app("tcp-backend", 3000, ns="gateway-conformance-app-backend"),
        gateway("gw", [lis("tcp", None, 9320, "TCP")]),
    ]
    route = http_route("r", [parent("gw")], [to()], kind="TCPRoute")
    route["spec"]["rules"][0]["backendRefs"] = [
        {"name": "tcp-backend", "namespace": "gateway-conformance-app-backend", "port": 3000}
    ]
    cluster = cluster_of(*objs, route)
    (p,) = route_status(cluster, cluster.of_kind("TCPRoute")[0]).parents
    assert (p.resolved_refs, p.resolved_reason) == (False, "RefNotPermitted")
    (a,) = route_connection(cluster, "TCP", 9320, now=NOW)
    assert a.outcome == "rejected"
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"namespace": "gateway-conformance-app-backend", "name": "g"},
        "spec": {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "TCPRoute", "namespace": INFRA}
            ],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    (b,) = route_connection(cluster_of(*objs, route, grant), "TCP", 9320, now=NOW)
    assert b.outcome == "forwarded"


# -- UDPRoute -----------------------------------------------------------------------------


def test_udp_route_simple_and_attach_all() -> None:
    """UDPRouteSimple, UDPRouteParentRefAttachAllListeners."""
    cluster = cluster_of(
        *l4_app("coredns", 53, "UDP"),
        *l4_app("udp-echo-attach-all", 8080, "UDP"),
        gateway("udp-gateway", [lis("coredns", None, 5300, "UDP")]),
        http_route(
            "udp-coredns",
            [parent("udp-gateway", section="coredns")],
            [to("coredns", port=53)],
            kind="UDPRoute",
        ),
        gateway(
            "udp-attach-all-listeners-gateway",
            [lis(f"udp-{i}", None, 5309 + i, "UDP") for i in (1, 2, 3)],
        ),
        http_route(
            "udp-route-attach-all",
            [parent("udp-attach-all-listeners-gateway")],
            [to("udp-echo-attach-all", port=8080)],
            kind="UDPRoute",
        ),
    )
    (a,) = route_connection(cluster, "UDP", 5300, now=NOW)
    assert (a.outcome, a.endpoints) == ("forwarded", (f"{INFRA}/coredns-1",))
    for port in (5310, 5311, 5312):
        (b,) = route_connection(cluster, "udp", port, now=NOW)
        assert b.backend is not None and b.backend.service == f"{INFRA}/udp-echo-attach-all"
    (st,) = [
        route_status(cluster, r)
        for r in cluster.of_kind("UDPRoute")
        if r.name == "udp-route-attach-all"
    ]
    assert len(st.parents[0].listeners) == 3
    rows = [r for r in routing_table(cluster)["routes"] if r["object"].startswith("UDPRoute/")]
    assert {r["match"] for r in rows} == {"(udp 5300)", "(udp 5310)", "(udp 5311)", "(udp 5312)"}


def test_udp_route_not_allowed_by_a_tls_listener() -> None:
    """UDPRouteNotAllowedByListeners."""
    cluster = cluster_of(
        *l4_app("udp-backend", 53, "UDP"),
        gateway("udproute-tls-only-gateway", [lis("tls", None, 443, "TLS", **PASS)]),
        http_route(
            "u",
            [parent("udproute-tls-only-gateway", section="tls")],
            [to("udp-backend", port=53)],
            kind="UDPRoute",
        ),
    )
    (route,) = cluster.of_kind("UDPRoute")
    assert route_status(cluster, route).parents[0].accepted_reason == "NotAllowedByListeners"


def test_route_connection_by_address_and_errors() -> None:
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": INFRA, "name": "gw-lb"},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"gateway.networking.k8s.io/gateway-name": "tcp-multi-listener-gateway"},
            "ports": [{"port": 9300}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "172.18.255.210"}]}},
    }
    gw_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": INFRA,
            "name": "gw-pod",
            "labels": {"gateway.networking.k8s.io/gateway-name": "tcp-multi-listener-gateway"},
        },
        "spec": {"containers": [{"name": "envoy"}]},
    }
    base = _tcp()
    cluster = cluster_of(*_tcp_objs(), lb, gw_pod)
    (a,) = route_connection(cluster, "TCP", 9300, address="172.18.255.210", now=NOW)
    assert a.outcome == "forwarded" and a.reasons[0].startswith("connection to")
    (none,) = route_connection(cluster, "TCP", 9300, address="10.9.9.9", now=NOW)
    assert (none.entry_point, none.outcome) == ("", "no-listener")
    with pytest.raises(InputError):
        route_connection(base, "SCTP", 9300)
    with pytest.raises(InputError):
        route_connection(base, "TCP", 9300, gateway="nope/nope")


def _tcp_objs() -> list[dict[str, Any]]:
    return [
        *l4_app("tcp-echo-one", 3000),
        gateway("tcp-multi-listener-gateway", [lis("one", None, 9300, "TCP")]),
        http_route(
            "r",
            [parent("tcp-multi-listener-gateway")],
            [to("tcp-echo-one", port=3000)],
            kind="TCPRoute",
        ),
    ]
