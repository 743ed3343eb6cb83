"""``trace`` routing options (--method, --header, --gateway, --ingress-class,
--ingress-controller), one path per entry point when several serve a host, and ExternalName
Services (a name outside the cluster, an IP address, a name inside the cluster zone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.url import combined_verdict
from podpath.analyze.trace.values import OPTIONS_IGNORED, RouteOptions, TraceResult
from podpath.api import load_cluster
from podpath.cli import main
from podpath.cluster import Cluster
from podpath.engine.policy_verdict import INTERNET_IP

SCENARIO = Path(__file__).parent / "scenarios" / "trace-options" / "cluster.yaml"
URL = "http://shop.example.com/"


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster([str(SCENARIO)])


def endpoints(result: TraceResult) -> list[tuple[str | None, int, str]]:
    return [(e.pod, e.port, e.verdict) for e in result.endpoints]


# (case, url, options, verdict, entry point, [(endpoint pod, pod port, verdict)])
ROUTING_CASES: list[tuple[str, str, RouteOptions, str, str, list[tuple[str, int, str]]]] = [
    (
        "--ingress-class: the controller's namespace is admitted",
        URL,
        RouteOptions(ingress_class="nginx"),
        "allowed",
        "IngressClass/nginx",
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "--gateway: the gateway's namespace is not admitted by web",
        URL,
        RouteOptions(gateway="gw/public"),
        "denied",
        "Gateway/gw/public",
        [("shop/web-1", 8080, "denied")],
    ),
    (
        "--header selects the canary rule",
        URL,
        RouteOptions(gateway="gw/public", headers=(("x-canary", "true"),)),
        "allowed",
        "Gateway/gw/public",
        [("shop/canary-1", 8080, "allowed")],
    ),
    (
        "--method POST selects the api rule",
        "http://shop.example.com/orders",
        RouteOptions(gateway="gw/public", method="POST"),
        "allowed",
        "Gateway/gw/public",
        [("shop/api-1", 9000, "allowed")],
    ),
    (
        "GET /orders falls through to the catch-all rule",
        "http://shop.example.com/orders",
        RouteOptions(gateway="gw/public"),
        "denied",
        "Gateway/gw/public",
        [("shop/web-1", 8080, "denied")],
    ),
    (
        "--ingress-controller: other pods implement the IngressClass",
        URL,
        RouteOptions(ingress_class="nginx", ingress_controller="alt-edge/role=proxy"),
        "denied",
        "IngressClass/nginx",
        [("shop/web-1", 8080, "denied")],
    ),
    (
        "--gateway that does not serve the host's path: 404, no route",
        "http://other.example.com/",
        RouteOptions(gateway="gw/public"),
        "unreachable",
        "Gateway/gw/public",
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "url", "options", "verdict", "entry_point", "expected"),
    ROUTING_CASES,
    ids=[c[0] for c in ROUTING_CASES],
)
def test_routing_options(
    cluster: Cluster,
    case: str,
    url: str,
    options: RouteOptions,
    verdict: str,
    entry_point: str,
    expected: list[tuple[str, int, str]],
) -> None:
    result = trace(cluster, "internet", url, None, options)
    assert (result.verdict, result.entry_point, result.paths) == (verdict, entry_point, ()), case
    assert endpoints(result) == expected, case


def test_ingress_controller_override_names_its_pods(cluster: Cluster) -> None:
    options = RouteOptions(ingress_class="nginx", ingress_controller="alt-edge/role=proxy")
    result = trace(cluster, "internet", URL, None, options)
    (hop,) = [h for h in result.hops if h.step == "entrypoint"]
    assert "alt-edge/proxy-1" in hop.detail and "--ingress-controller" in hop.detail
    assert any("172.18.255.221" in h.detail for h in result.hops if h.step == "loadbalancer")


def test_several_entry_points_are_each_traced(cluster: Cluster) -> None:
    result = trace(cluster, "internet", URL)
    assert [(p.entry_point, p.verdict) for p in result.paths] == [
        ("IngressClass/nginx", "allowed"),
        ("Gateway/gw/public", "denied"),
    ]
    assert result.verdict == "partial"
    assert result.entry_point is None
    assert result.drop == "denied by ingress isolation of shop/web-1"
    assert endpoints(result) == [("shop/web-1", 8080, "partial")]
    assert [h.step for h in result.hops] == ["source", "route"]
    assert "IngressClass/nginx allowed; Gateway/gw/public denied" in result.hops[-1].detail
    # each path is complete on its own: source, address, pods, rule, backend, policy
    for path in result.paths:
        steps = [h.step for h in path.hops]
        assert steps[0] == "source" and steps[-1] == "policy" and "route" in steps


# (verdicts of the paths, combined verdict)
COMBINED = [
    (["allowed", "allowed"], "allowed"),
    (["allowed", "denied"], "partial"),
    (["partial", "unreachable"], "partial"),
    (["denied", "unreachable"], "denied"),
    (["unreachable", "unreachable"], "unreachable"),
]


@pytest.mark.parametrize(("verdicts", "combined"), COMBINED)
def test_combined_verdict(verdicts: list[str], combined: str) -> None:
    assert combined_verdict(verdicts) == combined


def test_options_ignored_for_in_cluster_source(cluster: Cluster) -> None:
    plain = trace(cluster, "shop/client", "web", "80")
    with_options = trace(cluster, "shop/client", "web", "80", RouteOptions(gateway="gw/public"))
    assert with_options.verdict == plain.verdict == "allowed"
    assert OPTIONS_IGNORED in with_options.notes and OPTIONS_IGNORED not in plain.notes


def test_options_ignored_for_non_url_from_outside(cluster: Cluster) -> None:
    result = trace(cluster, "internet", "172.18.255.220", "80", RouteOptions(method="POST"))
    assert OPTIONS_IGNORED in result.notes


# (case, DST, --port, verdict, drop, [(endpoint ip, port, verdict)], hop steps)
EXTERNAL_NAME_CASES = [
    (
        "name outside the cluster: CNAME, upstream, external, egress ipBlock allows 443",
        "psp",
        "443",
        "allowed",
        None,
        [(INTERNET_IP, 443, "allowed")],
        ["source", "dns", "external", "policy"],
    ),
    (
        "same, port 80: egress isolation denies",
        "psp",
        "80",
        "denied",
        "denied by egress isolation of shop/client",
        [(INTERNET_IP, 80, "denied")],
        ["source", "dns", "external", "policy"],
    ),
    (
        "svc: form, named Service port",
        "svc:shop/psp",
        "https",
        "allowed",
        None,
        [(INTERNET_IP, 443, "allowed")],
        ["source", "service", "dns", "external", "policy"],
    ),
    (
        "svc: form, no --port: the Service's ports",
        "svc:shop/psp",
        None,
        "allowed",
        None,
        [(INTERNET_IP, 443, "allowed")],
        ["source", "service", "dns", "external", "policy"],
    ),
    (
        "IP externalName: DNS does not resolve it",
        "legacy-db",
        "5432",
        "unreachable",
        "no such name",
        [],
        ["source", "dns", "service"],
    ),
    (
        "IP externalName, svc: form",
        "svc:shop/legacy-db",
        "5432",
        "unreachable",
        "no such name",
        [],
        ["source", "service", "dns"],
    ),
    (
        "CNAME into the cluster zone is followed to the pods",
        "svc:shop/alias",
        "80",
        "allowed",
        None,
        [("10.244.1.5", 8080, "allowed")],
        ["source", "service", "dns", "service", "policy"],
    ),
]


@pytest.mark.parametrize(
    ("case", "dst", "port", "verdict", "drop", "expected", "steps"),
    EXTERNAL_NAME_CASES,
    ids=[c[0] for c in EXTERNAL_NAME_CASES],
)
def test_external_name(
    cluster: Cluster,
    case: str,
    dst: str,
    port: str | None,
    verdict: str,
    drop: str | None,
    expected: list[tuple[str, int, str]],
    steps: list[str],
) -> None:
    result = trace(cluster, "shop/client", dst, port)
    assert (result.verdict, result.drop) == (verdict, drop), case
    assert [(e.ip, e.port, e.verdict) for e in result.endpoints] == expected, case
    assert [h.step for h in result.hops] == steps, case


def test_external_name_hops_say_cname_and_upstream(cluster: Cluster) -> None:
    result = trace(cluster, "shop/client", "psp", "443")
    dns = next(h for h in result.hops if h.step == "dns")
    assert "psp.shop.svc.cluster.local. CNAME api.psp.example." in dns.detail
    assert "api.psp.example. forwarded upstream" in dns.detail
    external = next(h for h in result.hops if h.step == "external")
    assert external.detail.startswith("api.psp.example. is outside the cluster")
    assert any("egress rule 0" in r for r in result.endpoints[0].reasons)


def test_ip_external_name_explains_and_evaluates_the_ip(cluster: Cluster) -> None:
    result = trace(cluster, "shop/client", "legacy-db", "5432")
    service = next(h for h in result.hops if h.step == "service")
    assert "192.0.2.50" in service.detail and "do not resolve" in service.detail
    (note,) = result.notes
    assert "192.0.2.50:5432/TCP made directly would be allowed" in note
    assert "NetworkPolicy/shop/client-egress egress rule 1" in note
    denied = trace(cluster, "shop/client", "svc:shop/legacy-db", "443")
    assert "would be denied" in denied.notes[0]
    no_port = trace(cluster, "shop/client", "legacy-db")
    assert "pass --port" in no_port.notes[0]


# ---- CLI ----


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(["trace", *args, "-f", str(SCENARIO)])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_json_single_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--from",
        "internet",
        "--to",
        URL,
        "--gateway",
        "gw/public",
        "--header",
        "X-Canary: true",
        "--format",
        "json",
    )
    data: dict[str, Any] = json.loads(out)
    assert code == 0
    assert {"verdict", "hops", "endpoints"} <= set(data)
    assert (data["verdict"], data["entry_point"], data["paths"]) == (
        "allowed",
        "Gateway/gw/public",
        [],
    )
    assert [e["pod"] for e in data["endpoints"]] == ["shop/canary-1"]


def test_cli_json_paths(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--from", "internet", "--to", URL, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "partial"
    assert [(p["entry_point"], p["verdict"]) for p in data["paths"]] == [
        ("IngressClass/nginx", "allowed"),
        ("Gateway/gw/public", "denied"),
    ]
    for path in data["paths"]:
        assert set(path) == {
            "entry_point",
            "verdict",
            "hops",
            "endpoints",
            "drop",
            "notes",
            "location",
            "path",
        }


def test_cli_table_prints_each_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--from", "internet", "--to", URL, "--expect", "allowed")
    assert code == 1  # partial is not allowed
    assert out.startswith(f"internet -> {URL}: PARTIAL")
    assert "path 1/2 via IngressClass/nginx: ALLOWED" in out
    assert "path 2/2 via Gateway/gw/public: DENIED (denied by ingress isolation" in out


# (case, extra arguments, message in the error)
USAGE_ERRORS = [
    ("both entry point options", ["--gateway", "gw/public", "--ingress-class", "nginx"], "either"),
    ("unknown Gateway", ["--gateway", "gw/nope"], "Gateway gw/nope not found"),
    ("unknown IngressClass", ["--ingress-class", "nope"], "IngressClass nope not found"),
    ("header without colon", ["--header", "x-canary"], "NAME:VALUE"),
    ("bad controller selector", ["--ingress-controller", "edge/app"], "KEY=VALUE"),
]


@pytest.mark.parametrize(
    ("case", "extra", "message"), USAGE_ERRORS, ids=[c[0] for c in USAGE_ERRORS]
)
def test_cli_usage_errors(
    capsys: pytest.CaptureFixture[str], case: str, extra: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--from", "internet", "--to", URL, *extra)
    assert code == 2, case
    assert message in err and len(err.strip().splitlines()) == 1, case


def test_step_column_fits_load_balancer_and_stays_aligned() -> None:
    """The terminal table's step column is wide enough for the longest step of the trace
    (``load-balancer``, a provider's hop: 13 characters), so every detail starts in one
    column; without it the column stays 12 wide (the other steps' longest is 12)."""
    from podpath.commands.trace import trace_table

    def data(*steps: str) -> dict[str, object]:
        hops = [{"step": s, "detail": "d", "objects": []} for s in steps]
        return {"from": "internet", "to": "x", "port": None, "verdict": "allowed", "drop": None,
                "hops": hops, "location": None, "path": None, "notes": [], "endpoints": [],
                "paths": []}  # fmt: skip

    lines = trace_table(data("source", "load-balancer", "pod")).splitlines()[1:]
    assert {line.index(" d") for line in lines} == {len(" 1. load-balancer")}
    lines = trace_table(data("source", "loadbalancer", "node")).splitlines()[1:]
    assert {line.index(" d") for line in lines} == {len(" 1. loadbalancer")}
