"""``trace`` shows what the route answers (issue 13, "Redirects and rewrites"): ``location``,
the target of a 3xx redirect, and ``path``, the path the backend receives after rewrites --
the same keys and values as ``podpath route``, in trace's JSON (top level and each of
``paths``) and its table. Cases: the Gateway API's httproute-redirect-path.yaml and
httproute-rewrite-path.yaml examples (ReplacePrefixMatch, including a replacement of ``/``),
ingress-nginx's rewrite-target "Rewrite" example (``/something(/|$)(.*)`` -> ``/$2``) and
permanent-redirect (301)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.entry import REDIRECTED
from podpath.api import load_cluster
from podpath.cli import main
from podpath.cluster import Cluster
from podpath.engine.routing import parse_request, route_request

SCENARIOS = Path(__file__).parent / "scenarios"
REWRITES = SCENARIOS / "trace-rewrites" / "cluster.yaml"
OPTIONS = SCENARIOS / "trace-options" / "cluster.yaml"


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster([str(REWRITES)])


# (url, verdict, location, path as the backend receives it)
CASES: list[tuple[str, str, str | None, str | None]] = [
    # RequestRedirect ReplacePrefixMatch /old -> /new, 301: the gateway answers, no backend
    ("http://shop.example.com/old/page", "answered", "http://shop.example.com/new/page", None),
    # URLRewrite ReplacePrefixMatch /api -> /: the prefix goes, the rest stays
    ("http://shop.example.com/api/v1/items", "allowed", None, "/v1/items"),
    ("http://shop.example.com/api", "allowed", None, "/"),
    # no filter: the request path
    ("http://shop.example.com/x", "allowed", None, "/x"),
    # ingress-nginx rewrite-target /$2 on /something(/|$)(.*)
    ("http://rewrite.example.com/something/new", "allowed", None, "/new"),
    ("http://rewrite.example.com/something", "allowed", None, "/"),
    # ingress-nginx permanent-redirect: 301 to the annotation's URL
    ("http://moved.example.com/a", "answered", "https://www.example.org/", None),
]


@pytest.mark.parametrize(("url", "verdict", "location", "path"), CASES, ids=[c[0] for c in CASES])
def test_trace_carries_location_and_path(
    cluster: Cluster, url: str, verdict: str, location: str | None, path: str | None
) -> None:
    result = trace(cluster, "internet", url)
    assert (result.verdict, result.location, result.path) == (verdict, location, path)
    # the same answer as podpath route's
    (answer,) = route_request(cluster, parse_request(url, "GET", ()))
    assert (answer.location, answer.path) == (location, path)


def test_a_redirect_says_the_client_asks_the_location_anew(cluster: Cluster) -> None:
    result = trace(cluster, "internet", "http://shop.example.com/old/page")
    note = REDIRECTED.format(
        ep="Gateway/gw/public", status=301, location="http://shop.example.com/new/page"
    )
    assert note in result.notes
    # a redirect is an answer (RFC 9110 section 15.4), not a dropped connection
    assert (result.verdict, result.drop, result.endpoints) == ("answered", None, ())


def test_no_entry_point_no_location_nor_path(cluster: Cluster) -> None:
    result = trace(cluster, "internet", "http://nobody.example.com/")
    assert (result.verdict, result.location, result.path) == ("unreachable", None, None)


def test_from_inside_a_url_has_no_route_answer(cluster: Cluster) -> None:
    result = trace(cluster, "shop/web-1", "http://web.shop/api/x")
    assert (result.location, result.path) == (None, None)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = 0
    try:
        main(["trace", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_json_has_location_and_path_top_level_and_per_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = json.loads(
        run(capsys, "--from", "internet", "--to", "http://shop.example.com/api/v1/items",
            "-f", str(REWRITES), "--format", "json")
    )  # fmt: skip
    assert (data["location"], data["path"]) == (None, "/v1/items")
    # several entry points: each path has its own, the top level the value they share
    data = json.loads(
        run(capsys, "--from", "internet", "--to", "http://shop.example.com/orders",
            "-f", str(OPTIONS), "--format", "json")
    )  # fmt: skip
    assert [(p["entry_point"], p["path"], p["location"]) for p in data["paths"]] == [
        ("IngressClass/nginx", "/orders", None),
        ("Gateway/gw/public", "/orders", None),
    ]
    assert (data["path"], data["location"]) == ("/orders", None)
    # away from entry points both keys are there, null
    data = json.loads(
        run(
            capsys,
            "--from",
            "shop/client",
            "--to",
            "svc:shop/web",
            "-f",
            str(OPTIONS),
            "--format",
            "json",
        )
    )
    assert (data["path"], data["location"]) == (None, None)


def test_paths_that_differ_leave_the_top_level_null(cluster: Cluster) -> None:
    both = load_cluster([str(REWRITES), str(SCENARIOS / "trace-rewrites" / "second-entry.yaml")])
    result = trace(both, "internet", "http://shop.example.com/api/v1/items")
    assert [(p.entry_point, p.path) for p in result.paths] == [
        ("IngressClass/nginx", "/api/v1/items"),
        ("Gateway/gw/public", "/v1/items"),
    ]
    assert result.path is None


def test_table_shows_location_and_path(capsys: pytest.CaptureFixture[str]) -> None:
    text = run(
        capsys,
        "--from",
        "internet",
        "--to",
        "http://shop.example.com/old/page",
        "-f",
        str(REWRITES),
    )
    assert "\nlocation: http://shop.example.com/new/page\n" in text
    assert "\npath: " not in text
    text = run(
        capsys, "--from", "internet", "--to", "http://shop.example.com/api", "-f", str(REWRITES)
    )
    assert "\npath: / (as the backend receives it)\n" in text
    assert "\nlocation: " not in text


ANSWERS = SCENARIOS / "trace-gateway-answers" / "cluster.yaml"
PREFLIGHT = (
    "--method",
    "OPTIONS",
    "--header",
    "Origin:https://www.example.com",
    "--header",
    "Access-Control-Request-Method:PUT",
)


@pytest.mark.parametrize(
    ("url", "extra", "verdict", "location"),
    [
        # RequestRedirect scheme https, 301: the gateway answers with Location
        ("http://shop.example.com/a", (), "answered", "https://shop.example.com/a"),
        # a CORS preflight (GEP-1767): the gateway answers 200 itself
        ("http://api.example.com/a", PREFLIGHT, "answered", None),
        # the same URL without the preflight headers goes to the backend
        ("http://api.example.com/a", (), "allowed", None),
    ],
)
def test_cli_an_answer_of_the_gateway_is_not_unreachable(
    capsys: pytest.CaptureFixture[str],
    url: str,
    extra: tuple[str, ...],
    verdict: str,
    location: str | None,
) -> None:
    args = ("--from", "internet", "--to", url, "-f", str(ANSWERS), *extra)
    data = json.loads(run(capsys, *args, "--format", "json"))
    assert (data["verdict"], data["drop"], data["location"]) == (verdict, None, location)
    table = run(capsys, *args, "--expect", verdict)
    assert table.startswith(f"internet -> {url}: {verdict.upper()}\n")
    if location is not None:
        assert f"location: {location}\n" in table


def test_expect_allowed_fails_on_a_redirect(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["trace", "--from", "internet", "--to", "http://shop.example.com/a",
              "-f", str(ANSWERS), "--expect", "allowed"])  # fmt: skip
    assert exc.value.code == 1
    assert "trace verdict is answered, expected allowed" in capsys.readouterr().err
