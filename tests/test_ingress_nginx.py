"""ingress-nginx path matching (IngressClass controller k8s.io/ingress-nginx).

Cases: the user guide's "Ingress Path Matching" (path priority example, the regex warning
example, "use-regex OR rewrite-target ... enforced on ALL paths for a given host regardless
of what Ingress they are defined on") and test/e2e/annotations/rewrite.go.
"""

from __future__ import annotations

from typing import Any

import pytest

from podpath.engine.ingress_nginx import build_server, match_location, nginx_order
from podpath.engine.routing import route_request
from podpath.model.ingress import Ingress
from routing_helpers import NOW, app, cluster_of, ingress, ingress_class, rule

HOST = "test.com"
REGEX = {"nginx.ingress.kubernetes.io/use-regex": "true"}


def rewrite(target: str, regex: bool = False) -> dict[str, str]:
    return {"nginx.ingress.kubernetes.io/rewrite-target": target, **(REGEX if regex else {})}


def nginx_cluster(*ingresses: dict[str, Any], services: tuple[str, ...] = ()) -> Any:
    names = set(services)
    for ing in ingresses:
        for r in ing["spec"]["rules"]:
            names |= {p["backend"]["service"]["name"] for p in r["http"]["paths"]}
    objs = [o for n in sorted(names) for o in app("default", n)]
    return cluster_of(ingress_class("nginx"), *objs, *ingresses)


def served(cluster: Any, url: str) -> tuple[int, str | None, str | None]:
    (a,) = route_request(cluster, url, now=NOW)
    return (
        a.status,
        a.backend.service.split("/")[1] if a.backend and a.backend.service else None,
        a.path,
    )


# The guide's "Path Priority" example: test-ingress-1 (/foo/bar, /foo/bar/), test-ingress-2 with
# rewrite-target /$1 (/foo/bar/(.+)): the host is in regex mode, paths by descending length.
PRIORITY = [
    ingress(
        "default",
        "test-ingress-1",
        [rule(HOST, ("/foo/bar", "Prefix", "service1"), ("/foo/bar/", "Prefix", "service2"))],
    ),
    ingress(
        "default",
        "test-ingress-2",
        [rule(HOST, ("/foo/bar/(.+)", "ImplementationSpecific", "service3"))],
        annotations=rewrite("/$1"),
    ),
]
PRIORITY_CASES = [
    ("/foo/bar/1", (200, "service3", "/1")),
    ("/foo/bar/", (200, "service2", "/foo/bar/")),
    ("/foo/bar", (200, "service1", "/foo/bar")),
    ("/FOO/BAR", (200, "service1", "/FOO/BAR")),  # case-insensitive in regex mode
    ("/other", (404, None, None)),
]


@pytest.mark.parametrize(("path", "expected"), PRIORITY_CASES)
def test_guide_path_priority(path: str, expected: tuple[int, str | None, str | None]) -> None:
    assert served(nginx_cluster(*PRIORITY), f"http://{HOST}{path}") == expected


def test_guide_warning_first_regex_match_wins_over_exact_path() -> None:
    """test-ingress-3 (use-regex): /foo/bar/bar and /foo/bar/[A-Z0-9]{3}; a request to
    /foo/bar/bar matches the regex (longer, first) instead of the longest exact path."""
    ing = ingress(
        "default",
        "test-ingress-3",
        [
            rule(
                HOST,
                ("/foo/bar/bar", "ImplementationSpecific", "exact"),
                ("/foo/bar/[A-Z0-9]{3}", "ImplementationSpecific", "regex"),
            )
        ],
        annotations=REGEX,
    )
    assert served(nginx_cluster(ing), f"http://{HOST}/foo/bar/bar")[1] == "regex"


# test/e2e/annotations/rewrite.go
E2E_CASES: list[tuple[str, list[dict[str, Any]], str, tuple[int, str | None, str | None]]] = [
    (
        "rewrite-target / on /something",
        [
            ingress(
                "default",
                "r",
                [rule(HOST, ("/something", "Prefix", "echo"))],
                annotations=rewrite("/"),
            )
        ],
        "/something",
        (200, "echo", "/"),
    ),
    (
        "correct longest path match: rewrite on / does not take /.well-known/acme/challenge",
        [
            ingress(
                "default",
                "kube-lego",
                [rule(HOST, ("/.well-known/acme/challenge", "Prefix", "lego"))],
            ),
            ingress(
                "default",
                "rewrite-index",
                [rule(HOST, ("/", "Prefix", "echo"))],
                annotations=rewrite("/new/backend"),
            ),
        ],
        "/.well-known/acme/challenge",
        (200, "lego", "/.well-known/acme/challenge"),
    ),
    (
        "~* modifier when another Ingress of the host uses regex: /foo stays on foo",
        [
            ingress("default", "foo", [rule(HOST, ("/foo", "Prefix", "foo"))]),
            ingress(
                "default",
                "regex",
                [rule(HOST, ("/foo.+", "ImplementationSpecific", "echo"))],
                annotations=rewrite("/new/backend", True),
            ),
        ],
        "/foo",
        (200, "foo", "/foo"),
    ),
    (
        "... and /foo/bar goes to the regex path, rewritten",
        [
            ingress("default", "foo", [rule(HOST, ("/foo", "Prefix", "foo"))]),
            ingress(
                "default",
                "regex",
                [rule(HOST, ("/foo.+", "ImplementationSpecific", "echo"))],
                annotations=rewrite("/new/backend", True),
            ),
        ],
        "/foo/bar",
        (200, "echo", "/new/backend"),
    ),
    (
        "documented warning: /foo/bar/[a-z]{3} takes /foo/bar/bar",
        [
            ingress("default", "foo", [rule(HOST, ("/foo/bar/bar", "Prefix", "foo"))]),
            ingress(
                "default",
                "regex",
                [rule(HOST, ("/foo/bar/[a-z]{3}", "ImplementationSpecific", "echo"))],
                annotations=rewrite("/new/backend", True),
            ),
        ],
        "/foo/bar/bar",
        (200, "echo", "/new/backend"),
    ),
    (
        "custom rewrite parameters: /new/backend/$1",
        [
            ingress(
                "default",
                "regex",
                [rule(HOST, ("/foo/bar/(.+)", "ImplementationSpecific", "echo"))],
                annotations=rewrite("/new/backend/$1", True),
            )
        ],
        "/foo/bar/bar",
        (200, "echo", "/new/backend/bar"),
    ),
    (
        "the rewrite example: /something(/|$)(.*) -> /$2",
        [
            ingress(
                "default",
                "rewrite",
                [rule(HOST, ("/something(/|$)(.*)", "ImplementationSpecific", "echo"))],
                annotations=rewrite("/$2", True),
            )
        ],
        "/something/new",
        (200, "echo", "/new"),
    ),
]


@pytest.mark.parametrize(
    ("case", "ingresses", "path", "expected"), E2E_CASES, ids=[c[0] for c in E2E_CASES]
)
def test_e2e_rewrite_cases(
    case: str,
    ingresses: list[dict[str, Any]],
    path: str,
    expected: tuple[int, str | None, str | None],
) -> None:
    assert served(nginx_cluster(*ingresses), f"http://{HOST}{path}") == expected


# Without regex: NGINX locations. (paths, request path, backend or status)
PLAIN_CASES: list[tuple[str, list[tuple[str, str]], str, str | int]] = [
    ("Prefix /foo matches /foo (exact copy)", [("/foo", "Prefix")], "/foo", "/foo Prefix"),
    ("Prefix /foo matches /foo/ and /foo/bar", [("/foo", "Prefix")], "/foo/bar", "/foo Prefix"),
    ("Prefix /foo does not match /foobar", [("/foo", "Prefix")], "/foobar", 404),
    ("Prefix is case-sensitive", [("/foo", "Prefix")], "/FOO", 404),
    (
        "Prefix /foo/ with a trailing slash: /foo is redirected (301)",
        [("/foo/", "Prefix")],
        "/foo",
        301,
    ),
    (
        "ImplementationSpecific is an NGINX string prefix",
        [("/foo", "ImplementationSpecific")],
        "/foobar",
        "/foo ImplementationSpecific",
    ),
    (
        "Exact wins over Prefix at one path",
        [("/foo", "Prefix"), ("/foo", "Exact")],
        "/foo",
        "/foo Exact",
    ),
    (
        "... and the Prefix keeps the subpaths",
        [("/foo", "Prefix"), ("/foo", "Exact")],
        "/foo/x",
        "/foo Prefix",
    ),
    ("Exact does not match a subpath", [("/foo", "Exact")], "/foo/", 404),
    ("longest prefix wins", [("/", "Prefix"), ("/api", "Prefix")], "/api/v1", "/api Prefix"),
]


def _svc(path: str, ptype: str) -> str:
    return "p" + path.replace("/", "-").strip("-") + "-" + ptype.lower()


@pytest.mark.parametrize(
    ("case", "paths", "path", "expected"), PLAIN_CASES, ids=[c[0] for c in PLAIN_CASES]
)
def test_nginx_locations_without_regex(
    case: str, paths: list[tuple[str, str]], path: str, expected: str | int
) -> None:
    ing = ingress("default", "i", [rule(HOST, *((p, t, _svc(p, t)) for p, t in paths))])
    status, svc, _ = served(nginx_cluster(ing), f"http://{HOST}{path}")
    if isinstance(expected, int):
        assert (status, svc) == (expected, None)
    else:
        p, _, t = expected.partition(" ")
        assert (status, svc) == (200, _svc(p, t))


def test_prefix_under_regex_is_a_string_prefix() -> None:
    """Under regex mode (another Ingress of the host sets use-regex), Prefix /foo matches
    /foobar and is case-insensitive: ``location ~* "^/foo"``."""
    plain = ingress("default", "plain", [rule(HOST, ("/foo", "Prefix", "foo"))])
    other = ingress("default", "other", [rule(HOST, ("/bar", "Prefix", "bar"))], annotations=REGEX)
    cluster = nginx_cluster(plain, other)
    assert served(cluster, f"http://{HOST}/foobar")[:2] == (200, "foo")
    assert served(cluster, f"http://{HOST}/FOO")[:2] == (200, "foo")
    # another host is not affected
    cluster = nginx_cluster(
        plain,
        ingress("default", "x", [rule("other.com", ("/b", "Prefix", "bar"))], annotations=REGEX),
    )
    assert served(cluster, f"http://{HOST}/foobar")[0] == 404


def test_slash_redirect_location() -> None:
    ing = ingress("default", "i", [rule(HOST, ("/docs/", "Prefix", "docs"))])
    (a,) = route_request(nginx_cluster(ing), f"http://{HOST}/docs?x=1", now=NOW)
    assert (a.status, a.location) == (301, f"http://{HOST}/docs/?x=1")


def test_first_ingress_wins_a_duplicated_path_oldest_then_name_descending() -> None:
    a = ingress("default", "a", [rule(HOST, ("/x", "Prefix", "first"))])
    b = ingress("default", "b", [rule(HOST, ("/x", "Prefix", "second"))])
    # same creationTimestamp: namespace/name descending, so b is first
    assert served(nginx_cluster(a, b), f"http://{HOST}/x")[1] == "second"
    old = ingress(
        "default", "a", [rule(HOST, ("/x", "Prefix", "first"))], created="2024-01-01T00:00:00Z"
    )
    assert served(nginx_cluster(old, b), f"http://{HOST}/x")[1] == "first"


def test_locations_are_sorted_and_expanded() -> None:
    ing = ingress(
        "default",
        "i",
        [rule(HOST, ("/a", "Prefix", "a"), ("/abc", "Exact", "b"), ("/", "Prefix", "c"))],
    )
    (parsed,) = nginx_cluster(ing).of_kind("Ingress")
    assert isinstance(parsed, Ingress)
    server = build_server(nginx_order((parsed,)), HOST)
    assert [str(loc) for loc in server.locations] == [
        "location = /abc",
        "location /a/",
        "location = /a",
        "location /",
    ]
    assert match_location(server, "/a").location == server.locations[2]


def test_default_backend_of_the_creating_ingress_serves_unmatched_paths() -> None:
    ing = ingress(
        "default",
        "i",
        [rule(HOST, ("/app", "Prefix", "app"))],
        default={"service": {"name": "fallback", "port": {"number": 80}}},
    )
    assert served(nginx_cluster(ing, services=("fallback",)), f"http://{HOST}/other")[:2] == (
        200,
        "fallback",
    )
