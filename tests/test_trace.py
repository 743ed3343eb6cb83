"""``trace``: scenarios through DNS, Services (port -> target port), NetworkPolicy on the pod
port, load balancers (source ranges, externalTrafficPolicy), NodePorts and an Ingress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.values import TraceError
from podpath.api import load_cluster
from podpath.cli import main
from podpath.cluster import Cluster

SCENARIO = Path(__file__).parent / "scenarios" / "trace" / "cluster.yaml"


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster([str(SCENARIO)])


# (case, from, to, port, verdict, drop, [(endpoint pod, pod port, endpoint verdict)])
CASES = [
    (
        "dns name -> service -> pod port",
        "shop/frontend",
        "web",
        "80",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "svc: form",
        "shop/frontend",
        "svc:shop/web",
        "80",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "ClusterIP",
        "shop/frontend",
        "10.96.0.50",
        "80",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "named Service port",
        "shop/frontend",
        "svc:shop/web",
        "http",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "pod direct",
        "shop/frontend",
        "shop/web-1",
        "8080",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "pod IP",
        "shop/frontend",
        "10.244.1.5",
        "8080",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "other namespace denied by ingress isolation",
        "other/stranger",
        "web.shop",
        "80",
        "denied",
        "denied by ingress isolation of shop/web-1",
        [("shop/web-1", 8080, "denied")],
    ),
    (
        "policy on the Service port instead of the pod port",
        "shop/frontend",
        "api",
        "80",
        "denied",
        "denied by ingress isolation of shop/api-1",
        [("shop/api-1", 9000, "denied")],
    ),
    (
        "egress isolation",
        "shop/locked",
        "svc:shop/web",
        "80",
        "denied",
        "denied by egress isolation of shop/locked",
        [("shop/web-1", 8080, "denied")],
    ),
    (
        "egress isolation denies DNS: the name does not resolve",
        "shop/locked",
        "web",
        "80",
        "unreachable",
        "DNS denied",
        [],
    ),
    ("no such name", "shop/frontend", "nosuch", "80", "unreachable", "no such name", []),
    (
        "port not exposed",
        "shop/frontend",
        "svc:shop/web",
        "81",
        "unreachable",
        "port not exposed",
        [],
    ),
    (
        "no endpoints (selector typo)",
        "shop/frontend",
        "broken",
        "80",
        "unreachable",
        "no endpoints",
        [],
    ),
    (
        "outside IP, not egress-isolated",
        "shop/frontend",
        "8.8.8.8",
        "53/UDP",
        "allowed",
        None,
        [(None, 53, "allowed")],
    ),
    (
        "outside IP, egress-isolated",
        "shop/locked",
        "8.8.8.8",
        "53/UDP",
        "denied",
        "denied by egress isolation of shop/locked",
        [(None, 53, "denied")],
    ),
    (
        "LB, externalTrafficPolicy Local keeps the client IP (ipBlock allows it)",
        "internet",
        "172.18.255.210",
        "80",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "LB, client outside loadBalancerSourceRanges",
        "198.51.100.9",
        "172.18.255.210",
        "80",
        "denied",
        "denied by loadBalancerSourceRanges of shop/public-local",
        [],
    ),
    (
        "LB, externalTrafficPolicy Cluster: SNAT to a node IP (only the pod's own node passes)",
        "internet",
        "svc:shop/public-cluster",
        "80",
        "partial",
        "denied by ingress isolation of shop/web-1",
        [("shop/web-1", 8080, "partial")],
    ),
    (
        "NodePort Local on the endpoint's node",
        "internet",
        "192.168.0.11",
        "30080",
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "NodePort Local on a node without endpoint",
        "internet",
        "192.168.0.10",
        "30080",
        "unreachable",
        "no endpoints",
        [],
    ),
    (
        "nothing listens on the node",
        "internet",
        "192.168.0.10",
        "31999",
        "unreachable",
        "no listener",
        [],
    ),
    (
        "pod IP from outside: no route",
        "internet",
        "10.244.1.5",
        "8080",
        "unreachable",
        "no route",
        [],
    ),
    (
        "URL through the Ingress controller",
        "internet",
        "http://shop.example.com/",
        None,
        "allowed",
        None,
        [("shop/web-1", 8080, "allowed")],
    ),
    (
        "URL: backend denies the controller",
        "internet",
        "http://shop.example.com/api",
        None,
        "denied",
        "denied by ingress isolation of shop/api-1",
        [("shop/api-1", 9000, "denied")],
    ),
    (
        "URL: nothing serves the host",
        "internet",
        "http://nope.example.com/",
        None,
        "unreachable",
        "no route",
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "src", "dst", "port", "verdict", "drop", "endpoints"), CASES, ids=[c[0] for c in CASES]
)
def test_trace(
    cluster: Cluster,
    case: str,
    src: str,
    dst: str,
    port: str | None,
    verdict: str,
    drop: str | None,
    endpoints: list[tuple[str | None, int, str]],
) -> None:
    result = trace(cluster, src, dst, port)
    assert (result.verdict, result.drop) == (verdict, drop)
    assert [(e.pod, e.port, e.verdict) for e in result.endpoints] == endpoints
    assert result.hops and all(h.step and h.detail for h in result.hops)


def test_reasons_name_the_rule(cluster: Cluster) -> None:
    result = trace(cluster, "shop/frontend", "web", "80")
    assert "NetworkPolicy/shop/web-ingress ingress rule 0" in result.endpoints[0].reasons
    service_hop = next(h for h in result.hops if h.step == "service")
    assert "targetPort http" in service_hop.detail and "Service/shop/web" in service_hop.objects


def test_external_name_evaluated_as_outside_address(cluster: Cluster) -> None:
    result = trace(cluster, "shop/frontend", "example.com", "443")
    assert result.verdict == "allowed" and any("not modelled" in n for n in result.notes)


def test_bad_source_is_an_error(cluster: Cluster) -> None:
    with pytest.raises(TraceError):
        trace(cluster, "shop/nope", "web", "80")


def run(*args: str) -> tuple[int, str]:
    try:
        main(["trace", *args, "-f", str(SCENARIO)])
    except SystemExit as exc:
        return int(exc.code or 0), ""
    return 0, ""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--from", "shop/frontend", "--to", "web", "--port", "80", "--expect", "allowed"), 0),
        (
            ("--from", "other/stranger", "--to", "web.shop", "--port", "80", "--expect", "allowed"),
            1,
        ),
        (("--from", "other/stranger", "--to", "web.shop", "--port", "80", "--expect", "denied"), 0),
        (("--from", "shop/frontend", "--to", "broken", "--port", "80", "--expect", "denied"), 1),
        (("--from", "shop/nope", "--to", "web", "--port", "80"), 2),
        (("--from", "shop/frontend", "--to", "web", "--port", "80/XTP"), 2),
    ],
)
def test_cli_exit_codes(
    args: tuple[str, ...], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*args)[0] == code


def test_cli_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    run("--from", "shop/frontend", "--to", "web", "--port", "80", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert list(data)[:3] == ["verdict", "hops", "endpoints"]
    assert set(data["hops"][0]) == {"step", "detail", "objects"}
    assert {"pod", "ip", "port", "verdict", "reasons"} <= set(data["endpoints"][0])
    assert data["endpoints"][0]["port"] == 8080
