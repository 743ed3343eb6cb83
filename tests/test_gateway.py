"""Gateway API v1 semantics (https://gateway-api.sigs.k8s.io/reference/spec/): attachment,
hostnames, matching, precedence, weights, ReferenceGrant, status codes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podpath.engine.gateway import http_path_matches
from podpath.engine.gateway_attach import gateway_host_matches, hostnames_intersection, route_status
from podpath.engine.routing import route_request
from routing_helpers import NOW, app, cluster_of

GW = "gateway.networking.k8s.io/v1"


def gateway(listeners: list[dict[str, Any]], ns: str = "infra", name: str = "gw") -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": "Gateway",
        "metadata": {"namespace": ns, "name": name},
        "spec": {"gatewayClassName": "eg", "listeners": listeners},
    }


def listener(
    name: str = "http",
    port: int = 80,
    protocol: str = "HTTP",
    hostname: str | None = None,
    from_: str = "All",
    **extra: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "port": port,
        "protocol": protocol,
        "allowedRoutes": {"namespaces": {"from": from_}},
        **extra,
    }
    if hostname:
        out["hostname"] = hostname
    return out


def route(
    ns: str,
    name: str,
    rules: list[dict[str, Any]],
    hostnames: list[str] | None = None,
    parent: dict[str, Any] | None = None,
    kind: str = "HTTPRoute",
    created: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if created:
        meta["creationTimestamp"] = created
    spec: dict[str, Any] = {
        "parentRefs": [parent or {"name": "gw", "namespace": "infra"}],
        "rules": rules,
    }
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": GW, "kind": kind, "metadata": meta, "spec": spec}


def to(*names: str, **weights: int) -> list[dict[str, Any]]:
    return [
        {"name": n, "port": 80, **({"weight": weights[n]} if n in weights else {})} for n in names
    ]


def served(cluster: Any, url: str, **kw: Any) -> str | None:
    (a,) = route_request(cluster, url, gateway="infra/gw", now=NOW, **kw)
    return a.backend.service if a.backend else None


# -- path matching (PathMatchType) ---------------------------------------------------------
@pytest.mark.parametrize(
    ("type_", "value", "path", "expected"),
    [
        ("Exact", "/abc", "/abc", True),
        ("Exact", "/abc", "/abc/", False),
        ("Exact", "/abc", "/Abc", False),
        ("Exact", "/abc", "/abcd", False),
        ("PathPrefix", "/abc", "/abc", True),
        ("PathPrefix", "/abc", "/abc/", True),
        ("PathPrefix", "/abc", "/abc/def", True),
        ("PathPrefix", "/abc", "/abcd", False),
        ("PathPrefix", "/abc/", "/abc", True),
        ("RegularExpression", "/v[0-9]+/.*", "/v2/x", True),
        ("RegularExpression", "/v[0-9]+/.*", "/vx/x", False),
    ],
)
def test_path_match_types(type_: str, value: str, path: str, expected: bool) -> None:
    assert http_path_matches(type_, value, path) is expected


# -- hostnames -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("*.example.com", "test.example.com", True),
        ("*.example.com", "foo.test.example.com", True),  # suffix match, unlike Ingress
        ("*.example.com", "example.com", False),
        ("test.example.com", "test.example.com", True),
    ],
)
def test_gateway_hostname_wildcards(pattern: str, host: str, expected: bool) -> None:
    assert gateway_host_matches(pattern, host) is expected


@pytest.mark.parametrize(
    ("listener_host", "route_hosts", "expected"),
    [
        ("test.example.com", (), ("test.example.com",)),
        ("test.example.com", ("test.example.com",), ("test.example.com",)),
        ("test.example.com", ("*.example.com",), ("test.example.com",)),
        (
            "*.example.com",
            ("*.example.com", "test.example.com", "foo.test.example.com"),
            ("*.example.com", "test.example.com", "foo.test.example.com"),
        ),
        ("*.example.com", ("example.com",), None),
        ("*.example.com", ("test.example.net",), None),
        ("*.example.com", ("test.example.com", "test.example.net"), ("test.example.com",)),
        (None, ("a.com",), ("a.com",)),
    ],
)
def test_hostname_intersection_spec_examples(
    listener_host: str | None, route_hosts: tuple[str, ...], expected: tuple[str, ...] | None
) -> None:
    assert hostnames_intersection(listener_host, route_hosts) == expected


# -- precedence (HTTPRouteRule.matches) ----------------------------------------------------
def _precedence_cluster() -> Any:
    svcs = [
        o
        for n in ("exact", "long", "short", "method", "hdr2", "hdr1", "query", "plain")
        for o in app("s", n)
    ]
    rules = [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}], "backendRefs": to("plain")},
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
            "backendRefs": to("short"),
        },
        {
            "matches": [{"path": {"type": "PathPrefix", "value": "/api/v1"}}],
            "backendRefs": to("long"),
        },
        {"matches": [{"path": {"type": "Exact", "value": "/api/v1"}}], "backendRefs": to("exact")},
        {
            "matches": [{"path": {"value": "/x"}, "headers": [{"name": "a", "value": "1"}]}],
            "backendRefs": to("hdr1"),
        },
        {
            "matches": [
                {
                    "path": {"value": "/x"},
                    "headers": [{"name": "a", "value": "1"}, {"name": "B", "value": "2"}],
                }
            ],
            "backendRefs": to("hdr2"),
        },
        {"matches": [{"path": {"value": "/x"}, "method": "POST"}], "backendRefs": to("method")},
        {
            "matches": [{"path": {"value": "/q"}, "queryParams": [{"name": "v", "value": "1"}]}],
            "backendRefs": to("query"),
        },
    ]
    return cluster_of(*svcs, gateway([listener()]), route("s", "r", rules))


@pytest.mark.parametrize(
    ("url", "kw", "winner"),
    [
        ("http://h/api/v1", {}, "s/exact"),  # Exact path
        ("http://h/api/v1/x", {}, "s/long"),  # longest prefix
        ("http://h/api/v2", {}, "s/short"),
        ("http://h/other", {}, "s/plain"),
        (
            "http://h/x",
            {"method": "POST", "headers": [("a", "1"), ("b", "2")]},
            "s/method",
        ),  # method first
        (
            "http://h/x",
            {"headers": [("A", "1"), ("b", "2")]},
            "s/hdr2",
        ),  # most headers, names folded
        ("http://h/x", {"headers": [("a", "1")]}, "s/hdr1"),
        ("http://h/q?v=1", {}, "s/query"),
        ("http://h/q?v=2", {}, "s/plain"),
    ],
)
def test_precedence_within_listener(url: str, kw: dict[str, Any], winner: str) -> None:
    assert served(_precedence_cluster(), url, **kw) == winner


def test_precedence_oldest_route_then_name() -> None:
    rules = [{"backendRefs": to("a")}]
    objs = [*app("s", "a"), *app("s", "b"), gateway([listener()])]
    old = route("s", "zz", rules, created="2020-01-01T00:00:00Z")
    new = route("s", "aa", [{"backendRefs": to("b")}], created="2024-01-01T00:00:00Z")
    assert served(cluster_of(*objs, new, old), "http://h/") == "s/a"
    same_a = route("s", "aa", [{"backendRefs": to("b")}])
    same_z = route("s", "zz", rules)
    assert served(cluster_of(*objs, same_z, same_a), "http://h/") == "s/b"  # alphabetical


def test_hostname_specificity_precedence() -> None:
    objs = [*app("s", "wild"), *app("s", "exact"), gateway([listener()])]
    wild = route("s", "w", [{"backendRefs": to("wild")}], hostnames=["*.example.com"])
    exact = route("s", "e", [{"backendRefs": to("exact")}], hostnames=["foo.example.com"])
    cluster = cluster_of(*objs, wild, exact)
    assert served(cluster, "http://foo.example.com/") == "s/exact"
    assert served(cluster, "http://bar.example.com/") == "s/wild"
    (a,) = route_request(cluster, "http://example.com/", gateway="infra/gw", now=NOW)
    assert a.status == 404


# -- outcomes ------------------------------------------------------------------------------
def test_weights_and_invalid_backend_share() -> None:
    cluster = cluster_of(
        *app("s", "web"),
        gateway([listener()]),
        route("s", "r", [{"backendRefs": to("web", "missing", web=90, missing=10)}]),
    )
    (a,) = route_request(cluster, "http://h/", gateway="infra/gw", now=NOW)
    assert a.status == 200 and [(b.service, b.weight, b.status) for b in a.backends] == [
        ("s/web", 90, None),
        ("s/missing", 10, 500),
    ]
    assert a.endpoints == ("s/web-1",)


def test_all_invalid_is_500_and_no_rule_is_404() -> None:
    cluster = cluster_of(
        gateway([listener()]),
        route("s", "r", [{"matches": [{"path": {"value": "/a"}}], "backendRefs": to("missing")}]),
    )
    (a,) = route_request(cluster, "http://h/a", gateway="infra/gw", now=NOW)
    assert (a.status, a.backend) == (500, None)
    (b,) = route_request(cluster, "http://h/b", gateway="infra/gw", now=NOW)
    assert b.status == 404


def test_cross_namespace_backend_needs_reference_grant() -> None:
    objs = [
        *app("other", "web"),
        gateway([listener()]),
        route("s", "r", [{"backendRefs": [{"name": "web", "namespace": "other", "port": 80}]}]),
    ]
    (a,) = route_request(cluster_of(*objs), "http://h/", gateway="infra/gw", now=NOW)
    assert a.status == 500 and any("ReferenceGrant" in r for r in a.reasons)
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"namespace": "other", "name": "g"},
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "s"}],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    cluster = cluster_of(*objs, grant)
    (b,) = route_request(cluster, "http://h/", gateway="infra/gw", now=NOW)
    assert b.status == 200 and b.endpoints == ("other/web-1",)


def test_redirect_filter_and_header_modifier_reported() -> None:
    rules = [
        {
            "matches": [{"path": {"value": "/old"}}],
            "filters": [
                {
                    "type": "RequestRedirect",
                    "requestRedirect": {"scheme": "https", "statusCode": 301},
                }
            ],
        },
        {
            "filters": [
                {
                    "type": "RequestHeaderModifier",
                    "requestHeaderModifier": {"add": [{"name": "x", "value": "1"}]},
                }
            ],
            "backendRefs": to("web"),
        },
    ]
    cluster = cluster_of(*app("s", "web"), gateway([listener()]), route("s", "r", rules))
    (a,) = route_request(cluster, "http://h/old/x", gateway="infra/gw", now=NOW)
    assert a.status == 301 and a.filters[0].type == "RequestRedirect"
    (b,) = route_request(cluster, "http://h/new", gateway="infra/gw", now=NOW)
    assert b.status == 200 and b.filters[0].type == "RequestHeaderModifier"


# -- attachment and status -----------------------------------------------------------------
def _ns(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


@pytest.mark.parametrize(
    ("lis", "route_ns", "accepted", "reason"),
    [
        (listener(from_="Same"), "infra", True, "Accepted"),
        (listener(from_="Same"), "s", False, "NotAllowedByListeners"),
        (listener(from_="All"), "s", True, "Accepted"),
        (
            listener(
                from_="Selector",
                allowedRoutes={
                    "namespaces": {"from": "Selector", "selector": {"matchLabels": {"gw": "yes"}}}
                },
            ),
            "s",
            True,
            "Accepted",
        ),
        (
            listener(
                from_="Selector",
                allowedRoutes={
                    "namespaces": {"from": "Selector", "selector": {"matchLabels": {"gw": "yes"}}}
                },
            ),
            "t",
            False,
            "NotAllowedByListeners",
        ),
        (listener(hostname="*.example.com"), "s", False, "NoMatchingListenerHostname"),
        (listener(protocol="TCP"), "s", False, "NotAllowedByListeners"),
    ],
)
def test_allowed_routes(lis: dict[str, Any], route_ns: str, accepted: bool, reason: str) -> None:
    r = route(route_ns, "r", [{"backendRefs": to("web")}], hostnames=["other.org"])
    cluster = cluster_of(
        _ns("s", {"gw": "yes"}), _ns("t", {}), *app(route_ns, "web"), gateway([lis]), r
    )
    (parent,) = route_status(cluster, cluster.of_kind("HTTPRoute")[0]).parents
    assert (parent.accepted, parent.accepted_reason) == (accepted, reason)


def test_section_name_port_and_resolved_refs() -> None:
    gw = gateway([listener("a", 80), listener("b", 8080)])
    r1 = route(
        "s",
        "r1",
        [{"backendRefs": to("missing")}],
        parent={"name": "gw", "namespace": "infra", "sectionName": "b"},
    )
    r2 = route(
        "s",
        "r2",
        [{"backendRefs": to("web")}],
        parent={"name": "gw", "namespace": "infra", "port": 9999},
    )
    cluster = cluster_of(*app("s", "web"), gw, r1, r2)
    st1 = route_status(
        cluster, next(r for r in cluster.of_kind("HTTPRoute") if r.name == "r1")
    ).parents[0]
    assert st1.listeners == ("infra/gw/b",) and (st1.resolved_refs, st1.resolved_reason) == (
        False,
        "BackendNotFound",
    )
    st2 = route_status(
        cluster, next(r for r in cluster.of_kind("HTTPRoute") if r.name == "r2")
    ).parents[0]
    assert (st2.accepted, st2.accepted_reason) == (False, "NoMatchingParent")
    assert served(cluster, "http://h:8080/") is None  # only r1 (500) is on listener b


# -- GRPCRoute, TLSRoute -------------------------------------------------------------------
def test_grpc_route_matching() -> None:
    rules = [
        {
            "matches": [{"method": {"service": "shop.Cart", "method": "Add"}}],
            "backendRefs": to("add"),
        },
        {"matches": [{"method": {"service": "shop.Cart"}}], "backendRefs": to("cart")},
    ]
    cluster = cluster_of(
        *app("s", "add"),
        *app("s", "cart"),
        gateway([listener()]),
        route("s", "g", rules, kind="GRPCRoute"),
    )
    assert served(cluster, "grpc://h/shop.Cart/Add") == "s/add"
    assert served(cluster, "grpc://h/shop.Cart/Get") == "s/cart"
    (a,) = route_request(cluster, "grpc://h/shop.Other/Get", gateway="infra/gw", now=NOW)
    assert a.status == 404


def test_tls_passthrough_route() -> None:
    lis = listener("tls", 443, "TLS", tls={"mode": "Passthrough"})
    r = route(
        "s", "t", [{"backendRefs": to("web")}], hostnames=["secure.example.com"], kind="TLSRoute"
    )
    cluster = cluster_of(*app("s", "web"), gateway([lis]), r)
    assert served(cluster, "https://secure.example.com/") == "s/web"


# -- properties ----------------------------------------------------------------------------
PATHS = st.sampled_from(["/", "/a", "/a/b", "/a/b/c", "/b"])
MATCH = st.fixed_dictionaries(
    {
        "path": st.fixed_dictionaries(
            {"type": st.sampled_from(["Exact", "PathPrefix"]), "value": PATHS}
        ),
        "headers": st.lists(
            st.fixed_dictionaries({"name": st.sampled_from(["x", "y"]), "value": st.just("1")}),
            max_size=2,
        ),
        "method": st.sampled_from([None, "GET"]),
    }
).map(lambda m: {k: v for k, v in m.items() if v is not None})
ROUTES = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.lists(MATCH, min_size=1, max_size=3),
        st.sampled_from(["", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"]),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda t: t[0],
)


@settings(max_examples=60, deadline=None)
@given(ROUTES, st.permutations(range(4)), PATHS)
def test_precedence_is_total_and_order_independent(
    specs: list[Any], perm: list[int], path: str
) -> None:
    from podpath.engine.gateway import candidates
    from podpath.engine.gateway_attach import attachments
    from podpath.engine.routing import parse_request

    objs = []
    for name, matches, created in specs:
        r = route(
            "s", name, [{"matches": matches, "backendRefs": to(name)}], created=created or None
        )
        objs.append(r)
    shuffled = [objs[i] for i in perm if i < len(objs)]
    req = parse_request(f"http://h{path}", headers=[("x", "1"), ("y", "1")])
    keys = []
    for order in (objs, shuffled):
        cluster = cluster_of(gateway([listener()]), *order)
        found = list(candidates(list(attachments(cluster)), req))
        ks = [k for k, *_ in found]
        assert len(set(ks)) == len(ks)  # a strict total order: no two candidates tie
        keys.append(sorted(ks)[0] if ks else None)
        a = route_request(cluster, req, gateway="infra/gw", now=NOW)[0]
        keys.append(a.match)
    assert keys[0] == keys[2] and keys[1] == keys[3]
