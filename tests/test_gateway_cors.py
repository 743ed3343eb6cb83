"""The HTTPRoute CORS filter (HTTPCORSFilter, GEP-1767, standard channel since v1.5).

Cases: the conformance test HTTPRouteCORS (kubernetes-sigs/gateway-api
conformance/tests/httproute-cors.go and .yaml, v1.6) -- where it allows several answers,
podpath's choice is one of them -- and the field docs of HTTPCORSFilter
(https://gateway-api.sigs.k8s.io/reference/spec/#httpcorsfilter).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway_v15_helpers import INFRA, gateway, http_route, lis, parent, prefix
from podpath.analyze.routes import route_json
from podpath.engine.gateway_cors import cors_origin_matches
from podpath.engine.routing import route_request
from routing_helpers import NOW, app, cluster_of


@pytest.mark.parametrize(
    ("pattern", "origin", "expected"),
    [
        ("https://www.foo.com", "https://www.foo.com", True),
        ("https://www.foo.com", "https://www.foo.com:443", True),  # default port assumed
        ("https://www.foo.com", "http://www.foo.com", False),  # scheme differs
        ("https://www.foo.com", "https://www.foo.com:8443", False),
        ("https://*.bar.com", "https://www.bar.com", True),
        ("https://*.bar.com", "https://xpto.www.bar.com", True),  # greedy to the left
        ("https://*.bar.com", "https://bar.com", False),
        ("https://*.bar.com", "https://foobar.com", False),
        ("*", "https://foobar.com:12345", True),
        ("http://a.com:8080", "http://a.com:8080", True),
    ],
)
def test_origin_matching(pattern: str, origin: str, expected: bool) -> None:
    assert cors_origin_matches(pattern, origin) is expected


def cors_rule(path: str, **cors: Any) -> dict[str, Any]:
    return prefix(path, "infra-backend-v1", filters=[{"type": "CORS", "cors": cors}])


def _cluster() -> Any:
    """conformance/tests/httproute-cors.yaml."""
    return cluster_of(
        *app(INFRA, "infra-backend-v1"),
        gateway("same-namespace", [lis("http")]),
        http_route(
            "cors-multiple-origins-methods-headers",
            [parent("same-namespace")],
            [
                cors_rule(
                    "/cors-1",
                    allowOrigins=["https://www.foo.com", "https://*.bar.com"],
                    allowMethods=["GET", "OPTIONS"],
                    allowHeaders=["x-header-1", "x-header-2"],
                    exposeHeaders=["x-header-3", "x-header-4"],
                    allowCredentials=True,
                    maxAge=3600,
                )
            ],
        ),
        http_route(
            "cors-wildcard-methods",
            [parent("same-namespace")],
            [cors_rule("/cors-2", allowOrigins=["https://www.foo.com"], allowMethods=["*"])],
        ),
        http_route(
            "cors-wildcard-origin",
            [parent("same-namespace")],
            [
                cors_rule(
                    "/cors-wildcard-origin",
                    allowOrigins=["*"],
                    allowMethods=["PUT"],
                    allowCredentials=False,
                )
            ],
        ),
        http_route(
            "cors-wildcard-methods-headers",
            [parent("same-namespace")],
            [
                cors_rule(
                    "/cors-wildcard-methods-headers",
                    allowOrigins=["*"],
                    allowMethods=["*"],
                    allowHeaders=["*"],
                    allowCredentials=True,
                ),
                cors_rule(
                    "/cors-wildcard-methods-headers-unauth",
                    allowOrigins=["*"],
                    allowMethods=["*"],
                    allowHeaders=["*"],
                    allowCredentials=False,
                ),
            ],
        ),
    )


ACRM = "access-control-request-method"
ACRH = "access-control-request-headers"
ABSENT = None

# (case, path, method, request headers, expected status (None: any of 200/204),
#  {response header: accepted values, or ABSENT})
CORS_CASES: list[tuple[str, str, str, dict[str, str], int | None, dict[str, Any]]] = [
    (
        "preflight from an exact matching origin",
        "/cors-1",
        "OPTIONS",
        {"Origin": "https://www.foo.com", ACRM: "GET", ACRH: "x-header-1, x-header-2"},
        None,
        {
            "Access-Control-Allow-Origin": {"https://www.foo.com"},
            "Access-Control-Allow-Methods": {"GET, OPTIONS", "OPTIONS, GET"},
            "Access-Control-Allow-Headers": {"x-header-1, x-header-2", "x-header-2, x-header-1"},
            "Access-Control-Expose-Headers": {"x-header-3, x-header-4", "x-header-4, x-header-3"},
            "Access-Control-Max-Age": {"3600"},
            "Access-Control-Allow-Credentials": {"true"},
        },
    ),
    (
        "preflight from a wildcard matching origin",
        "/cors-1",
        "OPTIONS",
        {"Origin": "https://www.bar.com", ACRM: "GET", ACRH: "x-header-1, x-header-2"},
        None,
        {
            "Access-Control-Allow-Origin": {"https://www.bar.com"},
            "Access-Control-Max-Age": {"3600"},
        },
    ),
    (
        "preflight from a wildcard matching any number of labels",
        "/cors-1",
        "OPTIONS",
        {"Origin": "https://xpto.www.bar.com", ACRM: "GET", ACRH: "x-header-1, x-header-2"},
        None,
        {"Access-Control-Allow-Origin": {"https://xpto.www.bar.com"}},
    ),
    (
        "preflight from a non-matching origin",
        "/cors-1",
        "OPTIONS",
        {"Origin": "https://foobar.com", ACRM: "GET"},
        None,
        {"Access-Control-Allow-Origin": ABSENT},
    ),
    (
        "simple request from an exact matching origin",
        "/cors-1",
        "GET",
        {"Origin": "https://www.foo.com", ACRM: "GET", ACRH: "x-header-1, x-header-2"},
        200,
        {"Access-Control-Allow-Origin": {"https://www.foo.com"}},
    ),
    (
        "simple request from a wildcard matching origin",
        "/cors-1",
        "GET",
        {"Origin": "https://www.bar.com"},
        200,
        {"Access-Control-Allow-Origin": {"https://www.bar.com"}},
    ),
    (
        "simple request from a non-matching origin",
        "/cors-1",
        "GET",
        {"Origin": "https://foobar.com", ACRM: "GET"},
        200,
        {"Access-Control-Allow-Origin": ABSENT},
    ),
    (
        "preflight POST allowed by allowMethods *",
        "/cors-2",
        "OPTIONS",
        {"Origin": "https://www.foo.com", ACRM: "POST"},
        None,
        {
            "Access-Control-Allow-Methods": {"POST", "*"},
            "Access-Control-Allow-Origin": {"https://www.foo.com"},
            "Access-Control-Allow-Credentials": ABSENT,
        },
    ),
    (
        "preflight from a wildcard origin: * or the origin",
        "/cors-wildcard-origin",
        "OPTIONS",
        {"Origin": "https://foobar.com", ACRM: "PUT"},
        None,
        {
            "Access-Control-Allow-Origin": {"https://foobar.com", "*"},
            "Access-Control-Allow-Methods": {"PUT"},
            "Access-Control-Allow-Credentials": ABSENT,
        },
    ),
    (
        "preflight from a wildcard origin with a port",
        "/cors-wildcard-origin",
        "OPTIONS",
        {"Origin": "https://foobar.com:12345", ACRM: "PUT"},
        None,
        {"Access-Control-Allow-Origin": {"https://foobar.com:12345", "*"}},
    ),
    (
        "request from a wildcard origin with a port",
        "/cors-wildcard-origin",
        "PUT",
        {"Origin": "https://foobar.com:12345"},
        200,
        {"Access-Control-Allow-Origin": {"https://foobar.com:12345", "*"}},
    ),
    (
        "credentials: wildcard methods and headers echo what was requested",
        "/cors-wildcard-methods-headers",
        "OPTIONS",
        {"Origin": "https://other.foo.com", ACRM: "PUT", ACRH: "x-header-1, x-header-2"},
        None,
        {
            "Access-Control-Allow-Origin": {"https://other.foo.com"},
            "Access-Control-Allow-Methods": {"PUT"},
            "Access-Control-Allow-Headers": {"x-header-1, x-header-2", "x-header-2, x-header-1"},
            "Access-Control-Allow-Credentials": {"true"},
        },
    ),
    (
        "no credentials: no Allow-Credentials",
        "/cors-wildcard-methods-headers-unauth",
        "OPTIONS",
        {"Origin": "https://other.foo.com", ACRM: "PUT", ACRH: "x-header-1, x-header-2"},
        None,
        {
            "Access-Control-Allow-Origin": {"https://other.foo.com", "*"},
            "Access-Control-Allow-Methods": {"PUT", "*"},
            "Access-Control-Allow-Credentials": ABSENT,
        },
    ),
    (
        "request with credentials",
        "/cors-wildcard-methods-headers",
        "GET",
        {"Origin": "https://other.foo.com"},
        200,
        {
            "Access-Control-Allow-Origin": {"https://other.foo.com"},
            "Access-Control-Allow-Credentials": {"true"},
        },
    ),
]


@pytest.mark.parametrize(
    ("path", "method", "headers", "status", "expected"),
    [c[1:] for c in CORS_CASES],
    ids=[c[0] for c in CORS_CASES],
)
def test_cors_conformance(
    path: str, method: str, headers: dict[str, str], status: int | None, expected: dict[str, Any]
) -> None:
    (a,) = route_request(
        _cluster(), f"http://example.com{path}", method, list(headers.items()), now=NOW
    )
    if status is None:
        assert a.status in (200, 204), a.reasons
    else:
        assert a.status == status, a.reasons
    got = dict(a.response_headers)
    for name, values in expected.items():
        if values is ABSENT:
            assert name not in got, got
        else:
            assert got.get(name) in values, (name, got)


def test_preflight_is_answered_by_the_gateway() -> None:
    (a,) = route_request(
        _cluster(),
        "http://example.com/cors-1",
        "OPTIONS",
        [("Origin", "https://www.foo.com"), (ACRM, "GET")],
        now=NOW,
    )
    assert (a.backend, a.backends, a.path) == (None, (), None)
    assert any("answers the preflight itself" in r for r in a.reasons)
    # without Access-Control-Request-Headers the gateway omits Allow-Headers
    assert "Access-Control-Allow-Headers" not in dict(a.response_headers)


def test_default_max_age_and_method_note() -> None:
    cluster = cluster_of(
        *app(INFRA, "infra-backend-v1"),
        gateway("gw", [lis("http")]),
        http_route(
            "r",
            [parent("gw")],
            [cors_rule("/", allowOrigins=["https://a.com"], allowMethods=["PUT"])],
        ),
    )
    (a,) = route_request(
        cluster,
        "http://x.com/",
        "OPTIONS",
        [("Origin", "https://a.com"), (ACRM, "DELETE")],
        now=NOW,
    )
    assert dict(a.response_headers)["Access-Control-Max-Age"] == "5"  # maxAge default
    assert any("the browser refuses DELETE" in r for r in a.reasons)


def test_no_origin_no_cors() -> None:
    (a,) = route_request(_cluster(), "http://example.com/cors-1", "OPTIONS", now=NOW)
    assert (a.status, a.response_headers) == (200, ())
    assert a.backend is not None  # a plain OPTIONS is forwarded


def test_route_cli_preflight(tmp_path: Path) -> None:
    """``podpath route URL --method OPTIONS --header Origin:... --header
    Access-Control-Request-Method:...`` shows the headers (table) and ``response_headers``
    (json)."""
    path = tmp_path / "cors.yaml"
    path.write_text(yaml.safe_dump_all(_objects()))
    args = [
        "route",
        "http://example.com/cors-1",
        "-f",
        str(path),
        "--method",
        "OPTIONS",
        "--header",
        "Origin:https://www.foo.com",
        "--header",
        "Access-Control-Request-Method:GET",
    ]
    code = "import sys; from podpath.cli import main; sys.argv[0] = 'podpath'; main()"
    table = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert table.returncode == 0, table.stderr
    assert "header:    Access-Control-Allow-Origin: https://www.foo.com" in table.stdout
    out = subprocess.run(
        [sys.executable, "-c", code, *args, "--format", "json"], capture_output=True, text=True
    )
    (answer,) = json.loads(out.stdout)["answers"]
    assert answer["response_headers"]["Access-Control-Allow-Origin"] == "https://www.foo.com"
    assert answer["status"] == 200 and answer["backend"] is None


def _objects() -> list[dict[str, Any]]:
    return [
        *app(INFRA, "infra-backend-v1"),
        gateway("same-namespace", [lis("http")]),
        http_route(
            "cors",
            [parent("same-namespace")],
            [cors_rule("/cors-1", allowOrigins=["https://www.foo.com"], allowMethods=["GET"])],
        ),
    ]


def test_route_json_keeps_header_order() -> None:
    answers = route_request(
        _cluster(),
        "http://example.com/cors-1",
        "OPTIONS",
        [("Origin", "https://www.foo.com"), (ACRM, "GET")],
        now=NOW,
    )
    (a,) = route_json("http://example.com/cors-1", answers)["answers"]
    assert list(a["response_headers"])[0] == "Access-Control-Allow-Origin"
