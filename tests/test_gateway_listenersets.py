"""ListenerSet (GEP-1713, Gateway API standard channel since v1.5): listeners attached to a
Gateway that allows them, merged by precedence, routes attaching to them, and status.

Cases are the conformance suite's (kubernetes-sigs/gateway-api conformance/tests/
listenerset-*.go and .yaml, v1.6): ListenerSetHTTPRouting, ListenerSetHostnameConflict,
ListenerSetProtocolConflict, ListenerSetDefaultNotAllowed, ListenerSetAllowedNamespace{None,
Same,Selector}, ListenerSetGatewayParentSectionNameNotFound,
ListenerSetDualParentRefIndependence, ListenerSetReferenceGrant,
ListenerSetAllowedRoutesSupportedKinds; and GEP-1713's "Listener Precedence" and "Listener
and ListenerSet Conflicts" (https://gateway-api.sigs.k8s.io/geps/gep-1713/).
"""

from __future__ import annotations

from typing import Any

import pytest

from gateway_v15_helpers import (
    INFRA,
    gateway,
    http_route,
    lis,
    listener_set,
    namespace,
    parent,
    prefix,
)
from podpath.analyze.doctor import diagnose
from podpath.analyze.routes import routing_table
from podpath.engine.gateway_attach import route_status
from podpath.engine.gateway_listener_sets import gateway_listeners, listener_set_statuses
from podpath.engine.routing import route_request
from podpath.model.gateway_status import ListenerSetStatus
from routing_helpers import NOW, app, cluster_of

GW = "gateway-with-listener-sets-http-routing"
LS1, LS2 = "listener-set-http-routing-1", "listener-set-http-routing-2"
BACKENDS = [
    o for n in ("infra-backend-v1", "infra-backend-v2", "infra-backend-v3") for o in app(INFRA, n)
]


def _http_routing() -> Any:
    """conformance/tests/listenerset-http-routing.yaml."""
    return cluster_of(
        *BACKENDS,
        gateway(
            GW,
            [
                lis("gateway-listener-1", "gateway-listener-1.com"),
                lis("gateway-listener-2", "gateway-listener-2.com"),
            ],
            allowed="All",
        ),
        *(
            listener_set(
                ls, GW, [lis(f"{ls}-listener-{i}", f"{ls}-listener-{i}.com") for i in (1, 2)]
            )
            for ls in (LS1, LS2)
        ),
        http_route(
            "attaches-to-all-listeners",
            [parent(GW), parent(LS1, "ListenerSet"), parent(LS2, "ListenerSet")],
            [prefix("/route", "infra-backend-v1")],
        ),
        http_route("gateway-route", [parent(GW)], [prefix("/gateway-route", "infra-backend-v2")]),
        http_route(
            "gateway-section-route",
            [parent(GW, section="gateway-listener-1")],
            [prefix("/gateway-section-route", "infra-backend-v3")],
        ),
        http_route(
            f"{LS1}-route",
            [parent(LS1, "ListenerSet")],
            [prefix(f"/{LS1}-route", "infra-backend-v2")],
        ),
        http_route(
            f"{LS1}-section-route",
            [parent(LS1, "ListenerSet", section=f"{LS1}-listener-1")],
            [prefix(f"/{LS1}-section-route", "infra-backend-v3")],
        ),
        http_route(
            f"{LS2}-route",
            [parent(LS2, "ListenerSet")],
            [prefix(f"/{LS2}-route", "infra-backend-v2")],
        ),
    )


G1, G2 = "gateway-listener-1.com", "gateway-listener-2.com"
L11, L12, L21, L22 = (f"{ls}-listener-{i}.com" for ls in (LS1, LS2) for i in (1, 2))
V1, V2, V3 = (f"{INFRA}/infra-backend-v{i}" for i in (1, 2, 3))

# (host, path, backend Service or None for 404): the conformance test's table
HTTP_ROUTING_CASES = [
    *((h, "/route", V1) for h in (G1, G2, L11, L12, L21, L22)),
    (G1, "/gateway-route", V2),
    (G2, "/gateway-route", V2),
    *((h, "/gateway-route", None) for h in (L11, L12, L21, L22)),
    (G1, "/gateway-section-route", V3),
    *((h, "/gateway-section-route", None) for h in (G2, L11, L12, L21, L22)),
    *((h, f"/{LS1}-route", None) for h in (G1, G2, L21, L22)),
    (L11, f"/{LS1}-route", V2),
    (L12, f"/{LS1}-route", V2),
    *((h, f"/{LS1}-section-route", None) for h in (G1, G2, L12, L21, L22)),
    (L11, f"/{LS1}-section-route", V3),
    *((h, f"/{LS2}-route", V2) for h in (L21, L22)),
    *((h, f"/{LS2}-route", None) for h in (G1, G2, L11, L12)),
]


@pytest.mark.parametrize(("host", "path", "backend"), HTTP_ROUTING_CASES)
def test_listener_set_http_routing(host: str, path: str, backend: str | None) -> None:
    (a,) = route_request(_http_routing(), f"http://{host}{path}", gateway=f"{INFRA}/{GW}", now=NOW)
    if backend is None:
        assert a.status == 404, a.reasons
    else:
        assert (a.status, a.backend and a.backend.service) == (200, backend), a.reasons


def test_routes_attach_to_their_direct_parent_only() -> None:
    """GEP-1713 "Gateway Parents and sectionName": a Gateway parentRef without sectionName
    attaches only to the Gateway's own spec.listeners."""
    cluster = _http_routing()
    by_name = {r.name: route_status(cluster, r) for r in cluster.of_kind("HTTPRoute")}
    (gw_parent,) = by_name["gateway-route"].parents
    assert gw_parent.listeners == (
        f"{INFRA}/{GW}/gateway-listener-1",
        f"{INFRA}/{GW}/gateway-listener-2",
    )
    (ls_parent,) = by_name[f"{LS1}-section-route"].parents
    assert ls_parent.listeners == (f"ListenerSet/{INFRA}/{LS1}/{LS1}-listener-1",)
    assert all(p.accepted for p in by_name["attaches-to-all-listeners"].parents)
    assert [len(p.listeners) for p in by_name["attaches-to-all-listeners"].parents] == [2, 2, 2]


def _status(cluster: Any, name: str) -> ListenerSetStatus:
    return next(s for s in listener_set_statuses(cluster) if s.listener_set.endswith(f"/{name}"))


# -- conflicts: ListenerSetHostnameConflict / ListenerSetProtocolConflict -------------------


def _conflicts(kind: str) -> Any:
    """conformance/tests/listenerset-{hostname,protocol}-conflict.yaml: the conflicting
    listener is ``HOST`` on HTTP (hostname) or a TCP listener on port 80 (protocol)."""
    gw = f"gateway-with-listenerset-{kind}-conflict"

    def clash(name: str) -> dict[str, Any]:
        if kind == "hostname":
            return lis(name, f"{name}.com")
        return lis(name, protocol="TCP")

    return cluster_of(
        gateway(
            gw,
            [
                lis("gateway-listener", "gateway-listener.com"),
                lis(
                    f"{kind}-conflict-with-gateway-listener",
                    f"{kind}-conflict-with-gateway-listener.com",
                ),
            ],
            allowed="Same",
        ),
        listener_set(
            f"listenerset-with-{kind}-conflict-with-gateway-1",
            gw,
            [
                lis("listener-set-1-listener", "listener-set-1-listener.com"),
                clash(f"{kind}-conflict-with-gateway-listener"),
                lis(
                    f"{kind}-conflict-with-listener-set-listener",
                    f"{kind}-conflict-with-listener-set-listener.com",
                ),
            ],
        ),
        listener_set(
            f"listenerset-with-{kind}-conflict-with-gateway-2",
            gw,
            [clash(f"{kind}-conflict-with-gateway-listener")],
        ),
        listener_set(
            f"listenerset-with-{kind}-conflict-with-listener-set-1",
            gw,
            [
                lis("listener-set-2-listener", "listener-set-2-listener.com"),
                clash(f"{kind}-conflict-with-listener-set-listener"),
            ],
        ),
        listener_set(
            f"listenerset-with-{kind}-conflict-with-listener-set-2",
            gw,
            [clash(f"{kind}-conflict-with-listener-set-listener")],
        ),
    )


@pytest.mark.parametrize(
    ("kind", "reason"), [("hostname", "HostnameConflict"), ("protocol", "ProtocolConflict")]
)
def test_listener_precedence_on_conflicts(kind: str, reason: str) -> None:
    """The Gateway's listeners, then ListenerSets oldest first, then by namespace/name (here
    all created at once: by name); the first keeps serving, the later are Conflicted, and a
    ListenerSet without a valid listener is not Accepted (ListenersNotValid)."""
    cluster = _conflicts(kind)
    expected = {
        f"listenerset-with-{kind}-conflict-with-gateway-1": (
            True,
            {f"{kind}-conflict-with-gateway-listener"},
        ),
        f"listenerset-with-{kind}-conflict-with-gateway-2": (
            False,
            {f"{kind}-conflict-with-gateway-listener"},
        ),
        f"listenerset-with-{kind}-conflict-with-listener-set-1": (
            True,
            {f"{kind}-conflict-with-listener-set-listener"},
        ),
        f"listenerset-with-{kind}-conflict-with-listener-set-2": (
            False,
            {f"{kind}-conflict-with-listener-set-listener"},
        ),
    }
    for name, (accepted, conflicted) in expected.items():
        st = _status(cluster, name)
        assert st.accepted is accepted, name
        if not accepted:
            assert st.accepted_reason == "ListenersNotValid"
        assert st.programmed is accepted
        got = {ls.name for ls in st.listeners if ls.conflicted}
        assert got == conflicted, name
        for ls in st.listeners:
            if ls.conflicted:
                # conformance: Accepted, Programmed False and Conflicted True, with the reason
                assert (ls.accepted, ls.programmed, ls.reason, ls.conflicted) == (
                    False,
                    False,
                    reason,
                    reason,
                )
            else:
                assert (ls.accepted, ls.programmed, ls.resolved) == (True, True, True)
    # the Gateway's own listeners are all accepted: the parent takes precedence
    (gw,) = cluster.of_kind("Gateway")
    merged = gateway_listeners(cluster, gw)[0]
    assert all(m.programmed for m in merged if m.owner.startswith("Gateway/"))
    # GatewayMustHaveAttachedListeners(2): the two accepted ListenerSets
    assert sum(s.accepted for s in listener_set_statuses(cluster)) == 2


def test_older_listener_set_wins_a_conflict() -> None:
    """GEP-1713 "Conflict Between Two ListenerSets": user02/listenerset2 is older, so it is
    accepted and user01/listenerset1 gets Conflicted=True."""
    https = {
        "tls": {
            "mode": "Terminate",
            "certificateRefs": [{"kind": "Secret", "group": "", "name": "cert"}],
        }
    }
    cluster = cluster_of(
        namespace("user01"),
        namespace("user02"),
        gateway("parent-gateway", [lis("foo", "www.other.tld")], allowed="All", ns="infra"),
        listener_set(
            "listenerset1",
            "parent-gateway",
            [lis("myapp", "www.something.tld", 443, "HTTPS", **https)],
            ns="user01",
            gateway_ns="infra",
            created="2025-08-11T15:44:05Z",
        ),
        listener_set(
            "listenerset2",
            "parent-gateway",
            [lis("myapp", "www.something.tld", 443, "HTTPS", **https)],
            ns="user02",
            gateway_ns="infra",
            created="2025-08-11T13:44:05Z",
        ),
    )
    first, second = _status(cluster, "listenerset1"), _status(cluster, "listenerset2")
    assert (second.accepted, second.listeners[0].conflicted) == (True, None)
    assert (first.accepted, first.listeners[0].conflicted) == (False, "HostnameConflict")
    assert "ListenerSet/user02/listenerset2/myapp" in first.listeners[0].message


# -- the handshake: allowedListeners ------------------------------------------------------

ALLOWED_CASES = [
    # (allowedListeners.namespaces.from, selector, ListenerSet namespace, accepted)
    (None, None, INFRA, False),  # ListenerSetDefaultNotAllowed
    ("None", None, INFRA, False),  # ListenerSetAllowedNamespaceNone
    ("Same", None, INFRA, True),  # ListenerSetAllowedNamespaceSame
    ("Same", None, "gateway-api-listenerset-not-allowed-ns", False),
    ("Selector", {"allowed": "ns"}, "gateway-api-listenerset-selector-allowed-ns", True),
    ("Selector", {"allowed": "ns"}, "gateway-api-listenerset-selector-not-allowed-ns", False),
    ("All", None, "anywhere", True),
]


@pytest.mark.parametrize(("allowed", "selector", "ns", "accepted"), ALLOWED_CASES)
def test_allowed_listeners(
    allowed: str | None, selector: dict[str, str] | None, ns: str, accepted: bool
) -> None:
    cluster = cluster_of(
        namespace("gateway-api-listenerset-selector-allowed-ns", {"allowed": "ns"}),
        namespace("gateway-api-listenerset-selector-not-allowed-ns"),
        namespace("gateway-api-listenerset-not-allowed-ns"),
        namespace("anywhere"),
        *app(ns, "web"),
        gateway(
            "gw",
            [lis("gateway-listener", "gateway-listener.com")],
            allowed=allowed,
            selector=selector,
        ),
        listener_set("ls", "gw", [lis("ls-listener", "ls.example.com")], ns=ns),
        http_route("r", [parent("ls", "ListenerSet", ns=ns)], [prefix("/", "web")], ns=ns),
    )
    st = _status(cluster, "ls")
    assert (st.accepted, st.programmed) == (accepted, accepted)
    assert st.accepted_reason == ("Accepted" if accepted else "NotAllowed")
    (a,) = route_request(cluster, "http://ls.example.com/", gateway=f"{INFRA}/gw", now=NOW)
    assert a.status == (200 if accepted else 404)
    (route,) = cluster.of_kind("HTTPRoute")
    (p,) = route_status(cluster, route).parents
    assert (p.accepted, p.accepted_reason) == (
        (True, "Accepted") if accepted else (False, "NoMatchingParent")
    )


# -- route parentRefs ---------------------------------------------------------------------


def _section_cluster() -> Any:
    """conformance ListenerSetGatewayParentSectionNameNotFound / DualParentRefIndependence
    (and GEP-1713's example: sectionName foo exists on the ListenerSet, not the Gateway)."""
    return cluster_of(
        *app(INFRA, "web"),
        gateway("parent-gateway", [lis("notfoo", "foo.com")], allowed="Same"),
        listener_set("first-workload-listeners", "parent-gateway", [lis("foo", "first.foo.com")]),
        http_route("via-gateway", [parent("parent-gateway", section="foo")], [prefix("/", "web")]),
        http_route(
            "dual",
            [
                parent("first-workload-listeners", "ListenerSet", section="foo"),
                parent("parent-gateway", section="foo"),
            ],
            [prefix("/", "web")],
        ),
    )


def test_gateway_parent_cannot_name_a_listener_set_section() -> None:
    cluster = _section_cluster()
    routes = {r.name: route_status(cluster, r) for r in cluster.of_kind("HTTPRoute")}
    (p,) = routes["via-gateway"].parents
    assert (p.accepted, p.accepted_reason) == (False, "NoMatchingParent")
    ls_parent, gw_parent = routes["dual"].parents
    assert (ls_parent.accepted, gw_parent.accepted) == (True, False)  # independent per parentRef
    assert gw_parent.accepted_reason == "NoMatchingParent"


def test_missing_listener_set_parent() -> None:
    cluster = cluster_of(
        *app(INFRA, "web"), http_route("r", [parent("nope", "ListenerSet")], [prefix("/", "web")])
    )
    (route,) = cluster.of_kind("HTTPRoute")
    (p,) = route_status(cluster, route).parents
    assert (p.accepted, p.accepted_reason, p.modelled) == (False, "NoMatchingParent", True)
    assert "ListenerSet gateway-conformance-infra/nope not found" in p.messages[0]


def test_allowed_routes_same_is_the_listener_sets_namespace() -> None:
    """A ListenerSet listener's allowedRoutes ``Same`` means the ListenerSet's namespace
    (conformance ListenerSetAllowedRoutesCrossNamespace)."""
    cluster = cluster_of(
        namespace("apps"),
        *app("apps", "web"),
        *app(INFRA, "web"),
        gateway("gw", [lis("http", "gw.example.com")], allowed="All"),
        listener_set("ls", "gw", [lis("l", "ls.example.com", from_="Same")], ns="apps"),
        http_route(
            "same-ns", [parent("ls", "ListenerSet", ns="apps")], [prefix("/", "web")], ns="apps"
        ),
        http_route("gw-ns", [parent("ls", "ListenerSet", ns="apps")], [prefix("/", "web")]),
    )
    got = {
        r.key: route_status(cluster, r).parents[0].accepted_reason
        for r in cluster.of_kind("HTTPRoute")
    }
    assert got == {"apps/same-ns": "Accepted", f"{INFRA}/gw-ns": "NotAllowedByListeners"}


# -- listener validity inside a ListenerSet -----------------------------------------------


def test_listener_set_certificate_needs_its_own_reference_grant() -> None:
    """conformance ListenerSetReferenceGrant: a grant to the Gateway is not inherited; a
    ListenerSet whose only listener lacks a grant is not Accepted (ListenersNotValid)."""
    cert = {
        "tls": {
            "certificateRefs": [
                {
                    "group": "",
                    "kind": "Secret",
                    "name": "certificate",
                    "namespace": "gateway-conformance-web-backend",
                }
            ]
        }
    }

    def grant(name: str, kind: str) -> dict[str, Any]:
        return {
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"namespace": "gateway-conformance-web-backend", "name": name},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": kind, "namespace": INFRA}],
                "to": [{"group": "", "kind": "Secret"}],
            },
        }

    other = "gateway-api-listener-sets-test-reference-grant-ns"
    cluster = cluster_of(
        namespace(other),
        gateway(
            "gw",
            [lis("gateway-listener", "gateway-listener.com", 443, "HTTPS", **cert)],
            allowed="All",
        ),
        grant("reference-grant-for-gateway", "Gateway"),
        listener_set(
            "listenerset-with-reference-grant",
            "gw",
            [lis("with-grant", "a.com", 443, "HTTPS", **cert)],
        ),
        grant("reference-grant-for-listener-set", "ListenerSet"),
        listener_set(
            "listenerset-without-reference-grant",
            "gw",
            [lis("without-grant", "b.com", 443, "HTTPS", **cert)],
            ns=other,
        ),
    )
    ok, bad = (
        _status(cluster, "listenerset-with-reference-grant"),
        _status(cluster, "listenerset-without-reference-grant"),
    )
    assert (ok.accepted, ok.programmed, ok.listeners[0].resolved) == (True, True, True)
    assert (bad.accepted, bad.accepted_reason, bad.programmed_reason) == (
        False,
        "ListenersNotValid",
        "ListenersNotValid",
    )
    assert (bad.listeners[0].resolved, bad.listeners[0].resolved_reason) == (
        False,
        "RefNotPermitted",
    )


def test_listener_set_unsupported_route_kinds() -> None:
    """conformance ListenerSetAllowedRoutesSupportedKinds: a TLS listener allowing only
    HTTPRoute has ResolvedRefs False (InvalidRouteKinds)."""
    cluster = cluster_of(
        gateway("gw", [lis("gateway-listener", "gateway-listener.com")], allowed="All"),
        listener_set(
            "ls",
            "gw",
            [
                {
                    **lis("listener-set-listener-allowed-routes-tls-only", "x.com", 443, "TLS"),
                    "allowedRoutes": {
                        "namespaces": {"from": "All"},
                        "kinds": [{"kind": "HTTPRoute"}],
                    },
                    "tls": {"mode": "Passthrough"},
                }
            ],
        ),
    )
    (state,) = _status(cluster, "ls").listeners
    assert (state.resolved, state.resolved_reason, state.supported_kinds) == (
        False,
        "InvalidRouteKinds",
        (),
    )
    codes = {f.code for f in diagnose(cluster)}
    assert "gateway-listener-route-kinds" in codes


def test_listener_set_without_gateway_is_pending() -> None:
    cluster = cluster_of(listener_set("ls", "missing", [lis("l", "x.com")]))
    st = _status(cluster, "ls")
    assert (st.accepted, st.accepted_reason) == (False, "Pending")
    assert "not in the input" in st.message


# -- doctor and routes --------------------------------------------------------------------


def test_doctor_reports_listener_set_problems() -> None:
    found = {(f.code, f.object) for f in diagnose(_conflicts("hostname"))}
    assert (
        "listener-set-not-accepted",
        f"ListenerSet/{INFRA}/listenerset-with-hostname-conflict-with-gateway-2",
    ) in found
    assert (
        "listener-set-listener-conflicted",
        f"ListenerSet/{INFRA}/listenerset-with-hostname-conflict-with-gateway-1",
    ) in found
    not_allowed = cluster_of(
        gateway("gw", [lis("l", "a.com")]), listener_set("ls", "gw", [lis("m", "b.com")])
    )
    (f,) = [f for f in diagnose(not_allowed) if f.code == "listener-set-not-accepted"]
    assert "NotAllowed" in f.message and "allowedListeners" in f.hint


def test_routes_table_lists_listener_sets() -> None:
    table = routing_table(_http_routing())
    assert [s["listener_set"] for s in table["listener_sets"]] == [
        f"{INFRA}/{LS1}",
        f"{INFRA}/{LS2}",
    ]
    assert all(s["accepted"] for s in table["listener_sets"])
    entries = {r["entry_point"] for r in table["routes"]}
    assert f"Gateway/{INFRA}/{GW} ListenerSet/{INFRA}/{LS1}/{LS1}-listener-1" in entries
    assert f"Gateway/{INFRA}/{GW}/gateway-listener-1" in entries
