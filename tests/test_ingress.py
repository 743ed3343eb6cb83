"""Ingress semantics, from https://kubernetes.io/docs/concepts/services-networking/ingress/."""

from __future__ import annotations

import pytest

from podpath.engine.ingress import ingress_host_matches, ingress_path_matches
from podpath.engine.routing import route_request
from routing_helpers import GENERIC, NOW, app, cluster_of, ingress, ingress_class, rule, svc_backend

# The docs' "Examples" table (#examples): (kind, paths, request path, matches?)
DOCS_PATH_TABLE = [
    ("Prefix", ["/"], "/anything/at/all", True),
    ("Exact", ["/foo"], "/foo", True),
    ("Exact", ["/foo"], "/bar", False),
    ("Exact", ["/foo"], "/foo/", False),
    ("Exact", ["/foo/"], "/foo", False),
    ("Prefix", ["/foo"], "/foo", True),
    ("Prefix", ["/foo"], "/foo/", True),
    ("Prefix", ["/foo/"], "/foo", True),
    ("Prefix", ["/foo/"], "/foo/", True),
    ("Prefix", ["/aaa/bb"], "/aaa/bbb", False),
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb", True),
    ("Prefix", ["/aaa/bbb/"], "/aaa/bbb", True),
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb/", True),
    ("Prefix", ["/aaa/bbb"], "/aaa/bbb/ccc", True),
    ("Prefix", ["/aaa/bbb"], "/aaa/bbbxyz", False),
    ("Prefix", ["/", "/aaa"], "/aaa/ccc", True),
    ("Prefix", ["/", "/aaa", "/aaa/bbb"], "/aaa/bbb", True),
    ("Prefix", ["/", "/aaa", "/aaa/bbb"], "/ccc", True),
    ("Prefix", ["/aaa"], "/ccc", False),
]


@pytest.mark.parametrize(("kind", "paths", "request_path", "expected"), DOCS_PATH_TABLE)
def test_docs_path_examples(kind: str, paths: list[str], request_path: str, expected: bool) -> None:
    assert any(ingress_path_matches(kind, p, request_path) for p in paths) is expected


# Which path of the docs' multi-path rows wins (longest matching path).
@pytest.mark.parametrize(
    ("paths", "request_path", "winner"),
    [
        (["/", "/aaa"], "/aaa/ccc", "/aaa"),
        (["/", "/aaa", "/aaa/bbb"], "/aaa/bbb", "/aaa/bbb"),
        (["/", "/aaa", "/aaa/bbb"], "/ccc", "/"),
    ],
)
def test_docs_longest_path_wins(paths: list[str], request_path: str, winner: str) -> None:
    names = {p: f"svc{i}" for i, p in enumerate(paths)}
    objs = [o for s in names.values() for o in app("d", s)]
    r = rule("foo.com", *[(p, "Prefix", names[p]) for p in paths])
    cluster = cluster_of(ingress_class("nginx", GENERIC), *objs, ingress("d", "i", [r]))
    (a,) = route_request(cluster, f"http://foo.com{request_path}", now=NOW)
    assert a.status == 200
    assert a.backend is not None and a.backend.service == f"d/{names[winner]}"


def test_docs_mixed_exact_preferred() -> None:
    """Docs: Mixed /foo (Prefix), /foo (Exact), request /foo -> Yes, prefers Exact."""
    r = rule("foo.com", ("/foo", "Prefix", "prefix"), ("/foo", "Exact", "exact"))
    cluster = cluster_of(
        ingress_class("nginx", GENERIC),
        *app("d", "prefix"),
        *app("d", "exact"),
        ingress("d", "i", [r]),
    )
    (a,) = route_request(cluster, "http://foo.com/foo", now=NOW)
    assert a.backend is not None and a.backend.service == "d/exact"
    (b,) = route_request(cluster, "http://foo.com/foo/x", now=NOW)
    assert b.backend is not None and b.backend.service == "d/prefix"


def test_no_match_uses_default_backend_else_404() -> None:
    r = rule("foo.com", ("/aaa", "Prefix", "a"))
    with_default = ingress("d", "i", [r], default=svc_backend("fallback"))
    cluster = cluster_of(
        ingress_class("nginx", GENERIC), *app("d", "a"), *app("d", "fallback"), with_default
    )
    (a,) = route_request(cluster, "http://foo.com/ccc", now=NOW)
    assert (a.status, a.backend and a.backend.service) == (200, "d/fallback")
    assert a.match is not None and a.match.detail == "defaultBackend"
    cluster = cluster_of(ingress_class("nginx", GENERIC), *app("d", "a"), ingress("d", "i", [r]))
    (b,) = route_request(cluster, "http://foo.com/ccc", ingress_class="nginx", now=NOW)
    assert (b.status, b.backend) == (404, None)


@pytest.mark.parametrize(
    ("pattern", "host", "expected"),
    [
        ("foo.bar.com", "foo.bar.com", True),
        ("foo.bar.com", "FOO.bar.com", True),
        ("foo.bar.com", "bar.com", False),
        ("*.foo.com", "bar.foo.com", True),  # docs: Hostname wildcards
        ("*.foo.com", "baz.bar.foo.com", False),
        ("*.foo.com", "foo.com", False),
        (None, "anything.example", True),
    ],
)
def test_host_matching(pattern: str | None, host: str, expected: bool) -> None:
    assert ingress_host_matches(pattern, host) is expected


def test_exact_host_rules_before_wildcard_before_hostless() -> None:
    ing = ingress(
        "d",
        "i",
        [
            rule(None, ("/", "Prefix", "any")),
            rule("*.foo.com", ("/", "Prefix", "wild")),
            rule("bar.foo.com", ("/", "Prefix", "exact")),
        ],
    )
    cluster = cluster_of(
        ingress_class("nginx", GENERIC),
        *app("d", "any"),
        *app("d", "wild"),
        *app("d", "exact"),
        ing,
    )
    got = {
        h: route_request(cluster, f"http://{h}/", now=NOW)[0].backend
        for h in ("bar.foo.com", "x.foo.com", "other.org")
    }
    assert {h: b.service if b else None for h, b in got.items()} == {
        "bar.foo.com": "d/exact",
        "x.foo.com": "d/wild",
        "other.org": "d/any",
    }


def test_named_port_resolved_and_missing_service_is_500() -> None:
    r = {
        "host": "foo.com",
        "http": {
            "paths": [
                {"path": "/", "pathType": "Prefix", "backend": svc_backend("web", "http")},
                {"path": "/gone", "pathType": "Prefix", "backend": svc_backend("gone", 80)},
                {"path": "/badport", "pathType": "Prefix", "backend": svc_backend("web", 81)},
            ]
        },
    }
    cluster = cluster_of(ingress_class("nginx", GENERIC), *app("d", "web"), ingress("d", "i", [r]))
    (a,) = route_request(cluster, "http://foo.com/", now=NOW)
    assert (a.status, a.backend and a.backend.port, a.endpoints) == (200, 80, ("d/web-1",))
    (b,) = route_request(cluster, "http://foo.com/gone", now=NOW)
    assert (b.status, b.backend) == (500, None)
    (c,) = route_request(cluster, "http://foo.com/badport", now=NOW)
    assert c.status == 500 and any("no port 81" in r for r in c.reasons)


def test_service_without_ready_endpoints_is_503() -> None:
    svc = app("d", "web")[1]
    cluster = cluster_of(
        ingress_class("nginx", GENERIC),
        svc,
        ingress("d", "i", [rule("foo.com", ("/", "Prefix", "web"))]),
    )
    (a,) = route_request(cluster, "http://foo.com/", now=NOW)
    assert a.status == 503


def test_resource_backend() -> None:
    r = {
        "http": {
            "paths": [
                {
                    "path": "/icons",
                    "pathType": "ImplementationSpecific",
                    "backend": {
                        "resource": {
                            "apiGroup": "k8s.example.com",
                            "kind": "StorageBucket",
                            "name": "static-assets",
                        }
                    },
                }
            ]
        }
    }
    cluster = cluster_of(ingress_class("nginx", GENERIC), ingress("d", "i", [r]))
    (a,) = route_request(cluster, "http://x/icons/a.png", now=NOW)
    assert a.status == 200 and a.backend is not None
    assert a.backend.resource == "k8s.example.com/StorageBucket/static-assets"
    assert any("ImplementationSpecific treated as Prefix" in r for r in a.reasons)


def test_classes_annotation_default_and_unclassed() -> None:
    r = [rule("foo.com", ("/", "Prefix", "web"))]
    legacy = ingress(
        "d", "legacy", r, cls=None, annotations={"kubernetes.io/ingress.class": "traefik"}
    )
    cluster = cluster_of(
        *app("d", "web"),
        ingress_class("nginx", GENERIC, default=True),
        legacy,
        ingress("d", "dflt", [rule("bar.com", ("/", "Prefix", "web"))], cls=None),
    )
    (a,) = route_request(cluster, "http://foo.com/", now=NOW)
    assert a.entry_point == "IngressClass/traefik"
    (b,) = route_request(cluster, "http://bar.com/", now=NOW)
    assert b.entry_point == "IngressClass/nginx"
    # no default class: the Ingress is served by no controller
    cluster = cluster_of(
        *app("d", "web"), ingress("d", "dflt", [rule("bar.com", ("/", "Prefix", "web"))], cls=None)
    )
    (c,) = route_request(cluster, "http://bar.com/", now=NOW)
    assert (c.entry_point, c.status) == ("", 404)


def test_two_default_classes_reject_unclassed() -> None:
    cluster = cluster_of(
        *app("d", "web"),
        ingress_class("a", default=True),
        ingress_class("b", default=True),
        ingress("d", "i", [rule("foo.com", ("/", "Prefix", "web"))], cls=None),
    )
    (a,) = route_request(cluster, "http://foo.com/", now=NOW)
    assert a.status == 404 and a.entry_point == ""


def test_ingresses_of_one_class_merged_and_conflicts_reported() -> None:
    from podpath.engine.ingress import ingress_conflicts

    old = ingress(
        "a", "old", [rule("foo.com", ("/api", "Prefix", "api"))], created="2024-01-01T00:00:00Z"
    )
    new = ingress(
        "b",
        "new",
        [rule("foo.com", ("/api", "Prefix", "api"), ("/web", "Prefix", "web"))],
        created="2025-01-01T00:00:00Z",
    )
    cluster = cluster_of(
        ingress_class("nginx", GENERIC),
        *app("a", "api"),
        *app("b", "api"),
        *app("b", "web"),
        new,
        old,
    )
    (a,) = route_request(cluster, "http://foo.com/api/x", now=NOW)
    assert a.backend is not None and a.backend.service == "a/api"  # oldest wins
    assert any("conflict" in r for r in a.reasons)
    (b,) = route_request(cluster, "http://foo.com/web", now=NOW)
    assert b.backend is not None and b.backend.service == "b/web"  # merged
    notes = ingress_conflicts(cluster)
    assert [n.code for n in notes] == ["ingress-conflict"]
    assert "Ingress/a/old wins" in notes[0].message
