"""Conformance cases for Ingress and Gateway API routing.

Sources (cases in our own words and data):
- Ingress concept page (https://kubernetes.io/docs/concepts/services-networking/ingress/):
  every row of the "Examples" table of path matching (#examples), hostname wildcards
  (#hostname-wildcards), defaultBackend, default IngressClass.
- DefaultIngressClass admission plugin (plugin/pkg/admission/network/defaultingressclass):
  a class is the default only when the annotation is exactly ``"true"``.
- Gateway API conformance suite (kubernetes-sigs/gateway-api conformance/tests):
  HTTPRouteHostnameIntersection (request -> backend table), HTTPRouteAllBackendsWeightZero
  (500), and the HTTPRouteRule precedence text of the API reference (ties across Routes go to
  the oldest, then the first in alphabetical order of ``{namespace}/{name}``).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import (
    GENERIC,
    NOW,
    cluster_of,
    ingress,
    ingress_class,
    pod,
    rule,
    service,
)

from podpath.cluster import Cluster
from podpath.engine.routing import route_request

# -- Ingress: the path matching table of the Ingress concept page -------------------------------

# (kind, [(path, pathType)], request path, matching path or None)
INGRESS_PATH_TABLE: list[tuple[str, list[tuple[str, str]], str, str | None]] = [
    ("Prefix", [("/", "Prefix")], "/anything/at/all", "/"),
    ("Exact", [("/foo", "Exact")], "/foo", "/foo"),
    ("Exact", [("/foo", "Exact")], "/bar", None),
    ("Exact", [("/foo", "Exact")], "/foo/", None),
    ("Exact", [("/foo/", "Exact")], "/foo", None),
    ("Prefix", [("/foo", "Prefix")], "/foo", "/foo"),
    ("Prefix", [("/foo", "Prefix")], "/foo/", "/foo"),
    ("Prefix", [("/foo/", "Prefix")], "/foo", "/foo/"),
    ("Prefix", [("/foo/", "Prefix")], "/foo/", "/foo/"),
    ("Prefix", [("/aaa/bb", "Prefix")], "/aaa/bbb", None),
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb", "/aaa/bbb"),
    ("Prefix", [("/aaa/bbb/", "Prefix")], "/aaa/bbb", "/aaa/bbb/"),
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb/", "/aaa/bbb"),
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbb/ccc", "/aaa/bbb"),
    ("Prefix", [("/aaa/bbb", "Prefix")], "/aaa/bbbxyz", None),
    ("Prefix", [("/", "Prefix"), ("/aaa", "Prefix")], "/aaa/ccc", "/aaa"),
    (
        "Prefix",
        [("/", "Prefix"), ("/aaa", "Prefix"), ("/aaa/bbb", "Prefix")],
        "/aaa/bbb",
        "/aaa/bbb",
    ),
    ("Prefix", [("/", "Prefix"), ("/aaa", "Prefix"), ("/aaa/bbb", "Prefix")], "/ccc", "/"),
    ("Prefix", [("/aaa", "Prefix")], "/ccc", None),
    ("Mixed", [("/foo", "Prefix"), ("/foo", "Exact")], "/foo", "/foo Exact"),
]


def _svc_name(path: str, ptype: str) -> str:
    return ("p" + path.replace("/", "-") + "-" + ptype).lower().rstrip("-")


@pytest.mark.parametrize(
    ("paths", "request_path", "expected"),
    [c[1:] for c in INGRESS_PATH_TABLE],
    ids=[f"{c[0]}-{'+'.join(p for p, _ in c[1])}-{c[2]}" for c in INGRESS_PATH_TABLE],
)
def test_ingress_path_table(
    paths: list[tuple[str, str]], request_path: str, expected: str | None
) -> None:
    objs: list[dict[str, Any]] = []
    triples = []
    for path, ptype in paths:
        name = _svc_name(path, ptype)
        objs += [
            pod("default", f"{name}-1", {"app": name}),
            service("default", name, {"app": name}),
        ]
        triples.append((path, ptype, name))
    objs.append(ingress("default", "ing", [rule("foo.com", *triples)]))
    (ans,) = route_request(
        cluster_of(ingress_class("nginx", GENERIC), *objs), f"http://foo.com{request_path}", now=NOW
    )
    if expected is None:
        assert ans.status == 404
        return
    path, _, ptype = expected.partition(" ")
    want = _svc_name(path, ptype or next(t for p, t in paths if p == path))
    assert (ans.status, ans.backend.service if ans.backend else None) == (200, f"default/{want}")


# -- Ingress: hosts, defaultBackend, classes ---------------------------------------------------

HOST_CASES = [
    # (rule host, request host, matches) -- #hostname-wildcards
    ("*.foo.com", "bar.foo.com", True),
    ("*.foo.com", "baz.bar.foo.com", False),  # the wildcard covers a single DNS label
    ("*.foo.com", "foo.com", False),
    ("foo.bar.com", "foo.bar.com", True),
    ("foo.bar.com", "FOO.bar.com", True),  # host names are case-insensitive
]


@pytest.mark.parametrize(("rule_host", "host", "matches"), HOST_CASES)
def test_ingress_host_wildcards(rule_host: str, host: str, matches: bool) -> None:
    c = cluster_of(
        ingress_class("nginx", GENERIC),
        *_app("web"),
        ingress("default", "ing", [rule(rule_host, ("/", "Prefix", "web"))]),
    )
    answers = route_request(c, f"http://{host}/", ingress_class="nginx", now=NOW)
    assert (answers[0].status == 200) is matches


def _app(name: str) -> list[dict[str, Any]]:
    return [pod("default", f"{name}-1", {"app": name}), service("default", name, {"app": name})]


def test_ingress_default_backend_takes_unmatched_requests() -> None:
    c = cluster_of(
        ingress_class("nginx", GENERIC),
        *_app("web"),
        *_app("fallback"),
        ingress(
            "default",
            "ing",
            [rule("foo.com", ("/app", "Prefix", "web"))],
            default={"service": {"name": "fallback", "port": {"number": 80}}},
        ),
    )
    (ans,) = route_request(c, "http://foo.com/other", now=NOW)
    assert ans.backend is not None and ans.backend.service == "default/fallback"


CLASS_CASES = [
    # (annotation value, is the default)
    ("true", True),
    ("True", False),  # the admission plugin compares with "true" exactly
    ("false", False),
]


@pytest.mark.parametrize(("value", "is_default"), CLASS_CASES)
def test_default_ingress_class_annotation(value: str, is_default: bool) -> None:
    cls = ingress_class("nginx", GENERIC)
    cls["metadata"]["annotations"] = {"ingressclass.kubernetes.io/is-default-class": value}
    c = cluster_of(
        *_app("web"),
        cls,
        ingress("default", "ing", [rule("foo.com", ("/", "Prefix", "web"))], cls=None),
    )
    answers = route_request(c, "http://foo.com/", now=NOW)
    assert (answers[0].status == 200) is is_default


# -- Gateway API ---------------------------------------------------------------------------

GW_NS = "gateway-conformance-infra"


def gw_service(name: str) -> list[dict[str, Any]]:
    return [pod(GW_NS, f"{name}-1", {"app": name}), service(GW_NS, name, {"app": name}, port=8080)]


def gateway(name: str, listeners: list[dict[str, Any]], ns: str = GW_NS) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"namespace": ns, "name": name},
        "spec": {"gatewayClassName": "gw", "listeners": listeners},
    }


def listener(name: str, hostname: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "port": 80, "protocol": "HTTP", **extra}
    if hostname:
        out["hostname"] = hostname
    return out


def http_route(
    name: str,
    gw: str,
    hostnames: list[str],
    rules: list[dict[str, Any]],
    ns: str = GW_NS,
    created: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": ns, "name": name}
    if created:
        meta["creationTimestamp"] = created
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": meta,
        "spec": {
            "parentRefs": [{"name": gw, "namespace": GW_NS}],
            "hostnames": hostnames,
            "rules": rules,
        },
    }


def prefix_rule(path: str, backend: str, **ref: Any) -> dict[str, Any]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": path}}],
        "backendRefs": [{"name": backend, "port": 8080, **ref}],
    }


def intersection_cluster() -> Cluster:
    """The manifests of HTTPRouteHostnameIntersection, in our own words."""
    gwn = "httproute-hostname-intersection"
    return cluster_of(
        *gw_service("infra-backend-v1"),
        *gw_service("infra-backend-v2"),
        *gw_service("infra-backend-v3"),
        gateway(
            gwn,
            [
                listener("listener-1", "very.specific.com"),
                listener("listener-2", "*.wildcard.io"),
                listener("listener-3", "*.anotherwildcard.io"),
            ],
        ),
        http_route(
            "specific-host-matches-listener-specific-host",
            gwn,
            ["non.matching.com", "*.nonmatchingwildcard.io", "very.specific.com"],
            [prefix_rule("/s1", "infra-backend-v1")],
        ),
        http_route(
            "specific-host-matches-listener-wildcard-host",
            gwn,
            [
                "non.matching.com",
                "wildcard.io",
                "foo.wildcard.io",
                "bar.wildcard.io",
                "foo.bar.wildcard.io",
            ],
            [prefix_rule("/s2", "infra-backend-v2")],
        ),
        http_route(
            "wildcard-host-matches-listener-specific-host",
            gwn,
            ["non.matching.com", "*.specific.com"],
            [prefix_rule("/s3", "infra-backend-v3")],
        ),
        http_route(
            "wildcard-host-matches-listener-wildcard-host",
            gwn,
            ["*.anotherwildcard.io"],
            [prefix_rule("/s4", "infra-backend-v1")],
        ),
        http_route(
            "no-intersecting-hosts",
            gwn,
            ["specific.but.wrong.com", "wildcard.io"],
            [prefix_rule("/s5", "infra-backend-v2")],
        ),
    )


# (host, path, backend or 404) -- HTTPRouteHostnameIntersection
INTERSECTION_CASES = [
    ("very.specific.com", "/s1", "infra-backend-v1"),
    ("non.matching.com", "/s1", 404),
    ("foo.nonmatchingwildcard.io", "/s1", 404),
    ("foo.wildcard.io", "/s1", 404),
    ("very.specific.com", "/non-matching-prefix", 404),
    ("foo.wildcard.io", "/s2", "infra-backend-v2"),
    ("bar.wildcard.io", "/s2", "infra-backend-v2"),
    ("foo.bar.wildcard.io", "/s2", "infra-backend-v2"),
    ("non.matching.com", "/s2", 404),
    ("wildcard.io", "/s2", 404),
    ("very.specific.com", "/s2", 404),
    ("foo.wildcard.io", "/non-matching-prefix", 404),
    ("very.specific.com", "/s3", "infra-backend-v3"),
    ("non.matching.com", "/s3", 404),
    ("foo.specific.com", "/s3", 404),
    ("foo.wildcard.io", "/s3", 404),
    ("foo.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ("bar.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ("foo.bar.anotherwildcard.io", "/s4", "infra-backend-v1"),
    ("anotherwildcard.io", "/s4", 404),
    ("foo.wildcard.io", "/s4", 404),
    ("very.specific.com", "/s4", 404),
    ("foo.anotherwildcard.io", "/non-matching-prefix", 404),
    ("specific.but.wrong.com", "/s5", 404),
    ("wildcard.io", "/s5", 404),
]


@pytest.fixture(scope="module")
def intersection() -> Cluster:
    return intersection_cluster()


@pytest.mark.parametrize(("host", "path", "expected"), INTERSECTION_CASES)
def test_hostname_intersection(
    intersection: Cluster, host: str, path: str, expected: str | int
) -> None:
    (ans,) = route_request(
        intersection,
        f"http://{host}{path}",
        gateway=f"{GW_NS}/httproute-hostname-intersection",
        now=NOW,
    )
    if expected == 404:
        assert ans.status == 404
    else:
        assert (ans.status, ans.backend.service if ans.backend else None) == (
            200,
            f"{GW_NS}/{expected}",
        )


def simple_gateway(*routes: dict[str, Any], extra: list[dict[str, Any]] | None = None) -> Cluster:
    return cluster_of(
        *gw_service("infra-backend-v1"),
        *gw_service("infra-backend-v2"),
        gateway(
            "same-namespace", [listener("http", allowedRoutes={"namespaces": {"from": "All"}})]
        ),
        *routes,
        *(extra or []),
    )


def route_to(c: Cluster, url: str = "http://example.com/") -> tuple[int, str | None]:
    (ans,) = route_request(c, url, gateway=f"{GW_NS}/same-namespace", now=NOW)
    return ans.status, ans.backend.service if ans.backend else None


def test_all_backends_weight_zero_is_500() -> None:
    """HTTPRouteAllBackendsWeightZero."""
    c = simple_gateway(
        http_route(
            "all-backends-weight-zero",
            "same-namespace",
            [],
            [
                {
                    "backendRefs": [
                        {"name": "infra-backend-v1", "port": 8080, "weight": 0},
                        {"name": "infra-backend-v2", "port": 8080, "weight": 0},
                    ]
                }
            ],
        )
    )
    assert route_to(c) == (500, None)


def test_ties_across_routes_go_to_namespace_slash_name_order() -> None:
    """Same match, same age: the Route first in alphabetical order by ``{namespace}/{name}``.
    ``a-b/r`` sorts before ``a/r`` ('-' is 0x2d, '/' is 0x2f) although ``a`` < ``a-b``."""
    c = simple_gateway(
        http_route(
            "r",
            "same-namespace",
            [],
            [prefix_rule("/", "infra-backend-v1", namespace=GW_NS)],
            ns="a",
        ),
        http_route(
            "r",
            "same-namespace",
            [],
            [prefix_rule("/", "infra-backend-v2", namespace=GW_NS)],
            ns="a-b",
        ),
        extra=[
            {
                "apiVersion": "gateway.networking.k8s.io/v1beta1",
                "kind": "ReferenceGrant",
                "metadata": {"namespace": GW_NS, "name": "grant"},
                "spec": {
                    "from": [
                        {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": ns}
                        for ns in ("a", "a-b")
                    ],
                    "to": [{"group": "", "kind": "Service"}],
                },
            }
        ],
    )
    assert route_to(c) == (200, f"{GW_NS}/infra-backend-v2")


def test_oldest_route_wins_ties() -> None:
    c = simple_gateway(
        http_route(
            "a",
            "same-namespace",
            [],
            [prefix_rule("/", "infra-backend-v1")],
            created="2024-02-01T00:00:00Z",
        ),
        http_route(
            "b",
            "same-namespace",
            [],
            [prefix_rule("/", "infra-backend-v2")],
            created="2024-01-01T00:00:00Z",
        ),
    )
    assert route_to(c) == (200, f"{GW_NS}/infra-backend-v2")


PRECEDENCE_CASES = [
    # (id, rules of one route in order, request path, expected backend) -- HTTPRouteRule
    (
        "exact-over-longer-prefix",
        [
            prefix_rule("/foo/bar", "infra-backend-v1"),
            {
                "matches": [{"path": {"type": "Exact", "value": "/foo/bar"}}],
                "backendRefs": [{"name": "infra-backend-v2", "port": 8080}],
            },
        ],
        "/foo/bar",
        "infra-backend-v2",
    ),
    (
        "longest-prefix",
        [prefix_rule("/foo", "infra-backend-v1"), prefix_rule("/foo/bar", "infra-backend-v2")],
        "/foo/bar/baz",
        "infra-backend-v2",
    ),
    (
        "method-over-none",
        [
            prefix_rule("/", "infra-backend-v1"),
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}, "method": "GET"}],
                "backendRefs": [{"name": "infra-backend-v2", "port": 8080}],
            },
        ],
        "/",
        "infra-backend-v2",
    ),
    (
        "first-rule-on-full-tie",
        [prefix_rule("/", "infra-backend-v1"), prefix_rule("/", "infra-backend-v2")],
        "/",
        "infra-backend-v1",
    ),
]


@pytest.mark.parametrize(
    ("rules", "path", "expected"),
    [c[1:] for c in PRECEDENCE_CASES],
    ids=[c[0] for c in PRECEDENCE_CASES],
)
def test_rule_precedence(rules: list[dict[str, Any]], path: str, expected: str) -> None:
    c = simple_gateway(http_route("r", "same-namespace", [], rules))
    assert route_to(c, f"http://example.com{path}") == (200, f"{GW_NS}/{expected}")


def test_cross_namespace_backend_needs_reference_grant() -> None:
    """HTTPRouteCrossNamespace / ReferenceGrant: without a grant the backend is invalid: 500."""
    c = simple_gateway(
        http_route(
            "r",
            "same-namespace",
            [],
            [prefix_rule("/", "infra-backend-v1", namespace=GW_NS)],
            ns="apps",
        ),
    )
    assert route_to(c) == (500, None)


def test_redirect_filter_default_status_is_302() -> None:
    c = simple_gateway(
        http_route(
            "r",
            "same-namespace",
            [],
            [
                {
                    "filters": [
                        {
                            "type": "RequestRedirect",
                            "requestRedirect": {"hostname": "other.example.com"},
                        }
                    ]
                }
            ],
        )
    )
    assert route_to(c)[0] == 302
