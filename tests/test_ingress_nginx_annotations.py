"""ingress-nginx annotations (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/),
with the cases of test/e2e/annotations (approot.go, forcesslredirect.go, redirect.go,
preservetrailingslash.go, canary.go, ipallowlist.go, ipdenylist.go, default_backend.go,
serviceupstream.go, customhttperrors.go) and lua/balancer.lua."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from podpath.engine.ingress_nginx_rules import (
    CANARY,
    PRIMARY,
    SPLIT,
    canary_decision,
    source_range_verdict,
)
from podpath.engine.routing import parse_request, route_request
from podpath.model.routing import RouteAnswer
from podpath.normalize.ingress_nginx import nginx_annotations
from routing_helpers import NOW, app, cluster_of, ingress, ingress_class, rule, tls_secret

P = "nginx.ingress.kubernetes.io/"
LATER = NOW + dt.timedelta(days=365)


def ann(**kv: str) -> dict[str, str]:
    return {P + k.replace("_", "-"): v for k, v in kv.items()}


def one(
    host: str, path: str = "/", annotations: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    return ingress(
        "default",
        host.split(".")[0],
        [rule(host, (path, "Prefix", "echo"))],
        annotations=annotations,
        **kw,
    )


def answer(*objs: dict[str, Any], url: str, **kw: Any) -> RouteAnswer:
    cluster = cluster_of(
        ingress_class("nginx"), *app("default", "echo"), *app("default", "canary"), *objs
    )
    (a,) = route_request(cluster, url, now=NOW, **kw)
    return a


def test_app_root_e2e() -> None:
    a = answer(
        one("approot.bar.com", annotations=ann(app_root="/foo")), url="http://approot.bar.com/"
    )
    assert (a.status, a.location) == (302, "http://approot.bar.com/foo")
    # only the request for / is redirected
    b = answer(
        one("approot.bar.com", annotations=ann(app_root="/foo")), url="http://approot.bar.com/x"
    )
    assert (b.status, b.path) == (200, "/x")


def test_force_ssl_redirect_e2e() -> None:
    a = answer(
        one("forcesslredirect.bar.com", annotations=ann(force_ssl_redirect="true")),
        url="http://forcesslredirect.bar.com/",
    )
    assert (a.status, a.location) == (308, "https://forcesslredirect.bar.com")


TLS = [{"hosts": ["tls.bar.com"], "secretName": "tls"}]

# (annotations, with the Secret, url, status, location): ssl-redirect (default true with TLS)
SSL_CASES: list[tuple[dict[str, str], bool, str, int, str | None]] = [
    ({}, True, "http://tls.bar.com/a/", 308, "https://tls.bar.com/a"),  # trailing slash removed
    (
        ann(preserve_trailing_slash="true"),
        True,
        "http://tls.bar.com/",
        308,
        "https://tls.bar.com/",
    ),  # e2e
    (ann(ssl_redirect="false"), True, "http://tls.bar.com/a", 200, None),
    ({}, True, "http://tls.bar.com/a?q=1", 308, "https://tls.bar.com/a?q=1"),
    ({}, True, "http://tls.bar.com:8080/a", 308, "https://tls.bar.com/a"),  # the port is not kept
    (
        {},
        False,
        "http://tls.bar.com/a",
        308,
        "https://tls.bar.com/a",
    ),  # Secret not in the input: assumed
    ({}, True, "https://tls.bar.com/a", 200, None),
]


@pytest.mark.parametrize(("annotations", "secret", "url", "status", "location"), SSL_CASES)
def test_ssl_redirect(
    annotations: dict[str, str], secret: bool, url: str, status: int, location: str | None
) -> None:
    objs = [one("tls.bar.com", annotations=annotations, tls=TLS)]
    if secret:
        objs.append(tls_secret("default", "tls", ["tls.bar.com"], LATER))
    a = answer(*objs, url=url)
    assert (a.status, a.location) == (status, location)


def test_no_ssl_redirect_when_the_certificate_does_not_cover_the_host() -> None:
    """A Secret that does not cover the host: the controller serves its default certificate,
    so no certificate is configured for the request and ssl-redirect does not apply."""
    secret = tls_secret("default", "tls", ["other.bar.com"], LATER)
    a = answer(one("tls.bar.com", tls=TLS), secret, url="http://tls.bar.com/a")
    assert a.status == 200


REDIRECT_CASES = [
    # redirect.go: standard code, custom code
    (ann(permanent_redirect="http://redirect.example.com"), 301, "http://redirect.example.com"),
    (
        ann(permanent_redirect="http://redirect.example.com", permanent_redirect_code="302"),
        302,
        "http://redirect.example.com",
    ),
    (
        ann(permanent_redirect="http://r.example.com", permanent_redirect_code="999"),
        301,
        "http://r.example.com",
    ),
    (ann(temporal_redirect="https://t.example.com"), 302, "https://t.example.com"),
    (
        ann(temporal_redirect="https://t.example.com", temporal_redirect_code="307"),
        307,
        "https://t.example.com",
    ),
    (
        ann(temporal_redirect="https://t.example.com", temporal_redirect_code="308"),
        302,
        "https://t.example.com",
    ),
    # temporal wins over permanent
    (
        ann(temporal_redirect="https://t.example.com", permanent_redirect="https://p.example.com"),
        302,
        "https://t.example.com",
    ),
]


@pytest.mark.parametrize(("annotations", "status", "location"), REDIRECT_CASES)
def test_permanent_and_temporal_redirects(
    annotations: dict[str, str], status: int, location: str
) -> None:
    a = answer(one("redirect", "/something", annotations), url="http://redirect/something")
    assert (a.status, a.location, a.backend) == (status, location, None)


# lua/balancer.lua route_to_alternative_balancer: (annotations, headers, cookies, decision)
CANARY_CASES: list[tuple[dict[str, str], dict[str, str], dict[str, str], str]] = [
    ({"canary_by_header": "CanaryByHeader"}, {"CanaryByHeader": "always"}, {}, CANARY),
    ({"canary_by_header": "CanaryByHeader"}, {"CanaryByHeader": "never"}, {}, PRIMARY),
    ({"canary_by_header": "CanaryByHeader"}, {"CanaryByHeader": "badhearder"}, {}, PRIMARY),
    ({"canary_by_header": "CanaryByHeader"}, {}, {}, PRIMARY),
    (
        {"canary_by_header": "H", "canary_by_header_value": "DoCanary"},
        {"H": "DoCanary"},
        {},
        CANARY,
    ),
    ({"canary_by_header": "H", "canary_by_header_value": "DoCanary"}, {"H": "always"}, {}, PRIMARY),
    ({"canary_by_header": "H", "canary_by_header_value": "DoCanary"}, {"H": "never"}, {}, PRIMARY),
    (
        {"canary_by_header": "H", "canary_by_header_pattern": "^Do[A-Z][a-z]+y$"},
        {"H": "DoCanary"},
        {},
        CANARY,
    ),
    (
        {
            "canary_by_header": "H",
            "canary_by_header_value": "foo",
            "canary_by_header_pattern": "^Do.*",
        },
        {"H": "DoCanary"},
        {},
        PRIMARY,
    ),
    ({"canary_by_header": "H", "canary_by_header_pattern": "["}, {"H": "x"}, {}, PRIMARY),
    # header first, then cookie
    (
        {"canary_by_header": "H", "canary_by_header_value": "v", "canary_by_cookie": "C"},
        {"H": "x"},
        {"C": "always"},
        CANARY,
    ),
    ({"canary_by_header": "H", "canary_by_cookie": "C"}, {"H": "never"}, {"C": "always"}, PRIMARY),
    ({"canary_by_cookie": "C"}, {}, {"C": "always"}, CANARY),
    ({"canary_by_cookie": "C"}, {}, {"C": "never"}, PRIMARY),
    ({"canary_by_cookie": "C", "canary_weight": "100"}, {}, {"C": "never"}, PRIMARY),
    ({"canary_by_cookie": "C", "canary_weight": "100"}, {}, {"C": "maybe"}, CANARY),
    # weight: 0 never, the total always, in between a split
    ({"canary_weight": "0"}, {}, {}, PRIMARY),
    ({"canary_weight": "100"}, {}, {}, CANARY),
    ({"canary_weight": "1000", "canary_weight_total": "1000"}, {}, {}, CANARY),
    ({"canary_weight": "50"}, {}, {}, SPLIT),
    ({"canary_weight": "100", "canary_weight_total": "200"}, {}, {}, SPLIT),
    (
        {"canary_weight": "10", "canary_weight_total": "10"},
        {},
        {},
        SPLIT,
    ),  # a total below 100 is ignored
]


@pytest.mark.parametrize(("annotations", "headers", "cookies", "decision"), CANARY_CASES)
def test_canary_decision(
    annotations: dict[str, str], headers: dict[str, str], cookies: dict[str, str], decision: str
) -> None:
    a = nginx_annotations(ann(canary="true", **annotations))
    request = parse_request(
        "http://foo/info", headers=list(headers.items()), cookies=list(cookies.items())
    )
    assert canary_decision(a, request)[0] == decision


def _canary_pair(**canary: str) -> list[dict[str, Any]]:
    main = ingress("default", "foo", [rule("foo", ("/info", "Prefix", "echo"))])
    alt = ingress(
        "default",
        "foo-canary",
        [rule("foo", ("/info", "Prefix", "canary"))],
        annotations=ann(canary="true", **canary),
    )
    return [main, alt]


def test_canary_routes_and_splits() -> None:
    a = answer(
        *_canary_pair(canary_by_header="CanaryByHeader"),
        url="http://foo/info",
        headers=[("CanaryByHeader", "always")],
    )
    assert (a.status, a.backend and a.backend.service, a.canary) == (200, "default/canary", True)
    b = answer(*_canary_pair(canary_by_header="CanaryByHeader"), url="http://foo/info")
    assert (b.backend and b.backend.service, b.canary) == ("default/echo", False)
    c = answer(*_canary_pair(canary_weight="20"), url="http://foo/info")
    assert [(x.service, x.weight, x.canary) for x in c.backends] == [
        ("default/echo", 80, False),
        ("default/canary", 20, True),
    ]
    assert c.canary is False and any("a split" in r for r in c.reasons)


def test_canary_without_a_mainline_ingress_is_404() -> None:
    """canary.go: "should return 404 status for requests to the canary if no matching ingress
    is found"."""
    alt = ingress(
        "default",
        "foo-canary",
        [rule("foo", ("/info", "Prefix", "canary"))],
        annotations=ann(canary="true", canary_by_header="CanaryByHeader"),
    )
    a = answer(alt, url="http://foo/info", headers=[("CanaryByHeader", "always")])
    assert a.status == 404


def test_canary_annotations_without_canary_true_are_ignored() -> None:
    a = nginx_annotations(ann(canary_weight="50"))
    assert not a.canary and any("not enabled" in x for x in a.invalid)


# ipdenylist.go / ipallowlist.go: (annotations, client, status or None = allowed)
RANGE_CASES: list[tuple[dict[str, str], str, int | None]] = [
    (ann(denylist_source_range="18.0.0.0/8, 56.0.0.1"), "18.0.0.1", 403),
    (ann(denylist_source_range="18.0.0.0/8, 56.0.0.1"), "56.0.0.1", 403),
    (ann(denylist_source_range="18.0.0.0/8, 56.0.0.1"), "56.0.0.2", None),
    (
        ann(
            denylist_source_range="18.1.0.0/16, 56.0.0.0/8",
            whitelist_source_range="18.0.0.0/8, 55.0.0.0/8",
        ),
        "18.1.0.1",
        403,
    ),
    (
        ann(
            denylist_source_range="18.1.0.0/16, 56.0.0.0/8",
            whitelist_source_range="18.0.0.0/8, 55.0.0.0/8",
        ),
        "10.10.10.10",
        403,
    ),
    (
        ann(
            denylist_source_range="18.1.0.0/16, 56.0.0.0/8",
            whitelist_source_range="18.0.0.0/8, 55.0.0.0/8",
        ),
        "18.4.0.1",
        None,
    ),
    (
        ann(
            denylist_source_range="18.1.0.0/16, 56.0.0.0/8",
            whitelist_source_range="18.0.0.0/8, 55.0.0.0/8",
        ),
        "55.55.55.55",
        None,
    ),
    (ann(allowlist_source_range="18.0.0.0/8, 56.0.0.0/8"), "56.1.2.3", None),
    (ann(allowlist_source_range="18.0.0.0/8, 56.0.0.0/8"), "203.0.113.7", 403),
    (ann(allowlist_source_range="not-an-ip"), "203.0.113.7", 503),  # location denied
]


@pytest.mark.parametrize(("annotations", "client", "status"), RANGE_CASES)
def test_source_ranges(annotations: dict[str, str], client: str, status: int | None) -> None:
    assert source_range_verdict(nginx_annotations(annotations), client)[0] == status
    a = answer(
        one("ipdenylist.foo.com", annotations=annotations),
        url="http://ipdenylist.foo.com/",
        client_ip=client,
    )
    assert a.status == (status or 200)


def test_source_ranges_without_a_client_address_are_not_decided() -> None:
    a = answer(
        one("x.com", annotations=ann(allowlist_source_range="10.0.0.0/8")), url="http://x.com/"
    )
    assert a.status == 200 and any("not decided" in r for r in a.reasons)


def test_default_backend_annotation_serves_when_the_backend_has_no_endpoints() -> None:
    """default_backend.go: an Ingress to the Service "invalid" with default-backend echo."""
    ing = ingress(
        "default",
        "default-backend",
        [rule("default-backend", ("/", "Prefix", "invalid"))],
        annotations=ann(default_backend="echo"),
    )
    a = answer(ing, url="http://default-backend/alma/armud")
    assert (a.status, a.backend and a.backend.service) == (200, "default/echo")
    # without the annotation: 503 (the upstream has no endpoints)
    b = answer(
        ingress("default", "x", [rule("default-backend", ("/", "Prefix", "invalid"))]),
        url="http://default-backend/",
    )
    assert b.status == 503


def test_service_upstream_goes_through_the_cluster_ip() -> None:
    a = answer(
        one("serviceupstream", annotations=ann(service_upstream="true")),
        url="http://serviceupstream/",
    )
    assert (
        a.status == 200
        and a.backends[0].via is not None
        and a.backends[0].via.startswith("ClusterIP ")
    )


def test_ssl_passthrough_sends_tls_to_the_root_backend() -> None:
    a = answer(
        one("pass.bar.com", annotations=ann(ssl_passthrough="true"), tls=TLS),
        url="https://pass.bar.com/x",
    )
    assert (a.status, a.tls, a.backend and a.backend.service) == (200, None, "default/echo")
    assert any("--enable-ssl-passthrough" in r for r in a.reasons)


def test_custom_http_errors_and_backend_protocol_are_reported() -> None:
    a = answer(
        one("e.com", annotations=ann(custom_http_errors="404,415", backend_protocol="grpc")),
        url="http://e.com/",
    )
    assert a.status == 200
    assert any("custom-http-errors 404,415" in r for r in a.reasons)
    assert any("backend-protocol GRPC" in r for r in a.reasons)


def test_snippets_and_other_annotations_are_named_as_not_modelled() -> None:
    annotations = ann(
        configuration_snippet="more_set_headers x;",
        server_snippet="return 418;",
        proxy_body_size="8m",
    )
    a = answer(one("s.com", annotations=annotations), url="http://s.com/")
    assert any(
        "configuration-snippet (raw NGINX configuration in the location)" in n for n in a.notes
    )
    assert any("server-snippet" in n for n in a.notes) and any(
        "proxy-body-size" in n for n in a.notes
    )


@pytest.mark.parametrize(
    ("annotations", "field", "value", "invalid"),
    [
        (ann(ssl_redirect="yes"), "ssl_redirect", True, "ssl-redirect: 'yes' is not a boolean"),
        (ann(ssl_redirect="0"), "ssl_redirect", False, None),
        (
            ann(canary="true", canary_weight="ten"),
            "canary_weight",
            0,
            "canary-weight: 'ten' is not an integer",
        ),
        (  # strconv.Atoi: "value out of range"; never int() of 5000 digits (a traceback)
            ann(canary="true", canary_weight="1" * 5000),
            "canary_weight",
            0,
            "canary-weight: '1111",
        ),
        (
            ann(custom_http_errors="404," + "1" * 5000),
            "custom_http_errors",
            (),
            "custom-http-errors: '404,1111",
        ),
        (
            ann(backend_protocol="h2"),
            "backend_protocol",
            "HTTP",
            "backend-protocol: 'H2' is not one of",
        ),
        (ann(app_root="foo"), "app_root", "", "app-root: 'foo' is not a path"),
        (ann(temporal_redirect="ftp://x"), "temporal_redirect", "", "not an http(s) URL"),
        (
            ann(whitelist_source_range="10.0.0.0/8,10.1.0.0/16"),
            "allow_source_range",
            ("10.0.0.0/8", "10.1.0.0/16"),
            None,
        ),
    ],
)
def test_annotation_parsing(
    annotations: dict[str, str], field: str, value: object, invalid: str | None
) -> None:
    parsed = nginx_annotations(annotations)
    assert getattr(parsed, field) == value
    assert any(invalid in x for x in parsed.invalid) if invalid else not parsed.invalid


def test_doctor_names_annotations_that_change_routing_and_invalid_values() -> None:
    from podpath.analyze.doctor import diagnose

    annotations = ann(
        configuration_snippet="return 418;", proxy_body_size="8m", ssl_redirect="nope"
    )
    cluster = cluster_of(
        ingress_class("nginx"), *app("default", "echo"), one("s.com", annotations=annotations)
    )
    found = {f.code: f for f in diagnose(cluster)}
    not_modelled = found["ingress-nginx-annotation-not-modelled"]
    assert (
        "configuration-snippet" in not_modelled.message
        and "proxy-body-size" not in not_modelled.message
    )
    assert not_modelled.severity.value == "info"
    invalid = found["ingress-nginx-annotation-invalid"]
    assert "ssl-redirect: 'nope' is not a boolean" in invalid.message


def test_canary_ingresses_are_not_conflicts() -> None:
    from podpath.engine.ingress_nginx import routing_conflicts

    cluster = cluster_of(
        ingress_class("nginx"), *app("default", "echo"), *_canary_pair(canary_weight="10")
    )
    assert routing_conflicts(cluster) == ()
