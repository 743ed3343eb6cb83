"""A URL whose host is an IP address: the entry point owning the address answers, with the IP
(or ``--header Host:NAME``) as Host (engine/route_address.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.values import RouteOptions
from podpath.api import load_cluster
from podpath.cli import main
from podpath.cluster import Cluster
from podpath.engine.route_address import host_header_request, is_ip_address
from podpath.engine.routing import parse_request, route_request

SHOP = Path(__file__).parent.parent / "examples" / "shop"
NGINX_LB = "172.18.255.201"
GATEWAY_LB = "172.18.255.200"
CONTROLLERS = [
    "ingress-nginx/ingress-nginx-controller-4k87s72c9r-lffrk",
    "ingress-nginx/ingress-nginx-controller-4k87s72c9r-z5cpv",
]


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster([str(SHOP)])


# (case, url, headers, [(entry point, status, backend service or None)])
ROUTE_CASES: list[
    tuple[str, str, tuple[tuple[str, str], ...], list[tuple[str, int, str | None]]]
] = [
    (
        "IP of the ingress LB: no rule without host, the controller answers 404",
        f"http://{NGINX_LB}/",
        (),
        [("IngressClass/nginx", 404, None)],
    ),
    (
        "same IP with Host: shop.example.com routes like the name, nginx only",
        f"https://{NGINX_LB}/",
        (("Host", "shop.example.com"),),
        [("IngressClass/nginx", 200, "shop/frontend")],
    ),
    (
        "over http, ingress-nginx redirects the TLS host to https (ssl-redirect default)",
        f"http://{NGINX_LB}/cart",
        (("Host", "shop.example.com"),),
        [("IngressClass/nginx", 308, None)],
    ),
    (
        "IP of the Gateway LB: no listener without hostname, 404 from the gateway",
        f"http://{GATEWAY_LB}/",
        (),
        [("Gateway/gateway-system/shop-gateway", 404, None)],
    ),
    (
        "an IP owned by no entry point: 404 with no entry point",
        "http://172.18.255.222/",
        (),
        [("", 404, None)],
    ),
]


@pytest.mark.parametrize(("case", "url", "headers", "expected"), ROUTE_CASES)
def test_route_by_address(
    cluster: Cluster,
    case: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
    expected: list[tuple[str, int, str | None]],
) -> None:
    answers = route_request(cluster, url, headers=headers)
    got = [(a.entry_point, a.status, a.backend.service if a.backend else None) for a in answers]
    assert got == expected, case


def test_ip_answer_names_the_address_owner(cluster: Cluster) -> None:
    (answer,) = route_request(cluster, f"http://{NGINX_LB}/")
    assert f"{NGINX_LB} is an address of IngressClass/nginx" in answer.reasons[0]


@pytest.mark.parametrize(
    ("host", "ip"),
    [("172.18.255.201", True), ("::1", True), ("shop.example.com", False), ("10.0.0.1x", False)],
)
def test_is_ip_address(host: str, ip: bool) -> None:
    assert is_ip_address(host) is ip


@pytest.mark.parametrize(
    ("header", "host"),
    [(None, NGINX_LB), ("Shop.Example.com:8080", "shop.example.com"), ("[::1]:80", "::1")],
)
def test_host_header_request(header: str | None, host: str) -> None:
    headers = [("Host", header)] if header else []
    assert host_header_request(parse_request(f"http://{NGINX_LB}/", headers=headers)).host == host


def test_trace_to_ip_reaches_the_controller_pods(cluster: Cluster) -> None:
    result = trace(cluster, "internet", f"http://{NGINX_LB}/")
    # the controller answers 404 itself: no route, as for a name no rule serves (DESIGN.md)
    assert (result.verdict, result.entry_point) == ("unreachable", "IngressClass/nginx")
    assert any("answers HTTP 404 itself" in n for n in result.notes)
    steps = [h.step for h in result.hops]
    assert steps[:4] == ["source", "dns", "entrypoint", "loadbalancer"]
    assert "node" in steps and steps[-1] == "route"
    assert "status 404" in result.hops[-1].detail
    assert any(NGINX_LB in h.detail for h in result.hops if h.step == "loadbalancer")


def test_trace_to_ip_with_host_header_reaches_the_backend(cluster: Cluster) -> None:
    options = RouteOptions(headers=(("Host", "shop.example.com"),))
    result = trace(cluster, "internet", f"https://{NGINX_LB}/", None, options)
    assert (result.verdict, result.entry_point) == ("allowed", "IngressClass/nginx")
    assert {e.pod.rsplit("-", 1)[0] for e in result.endpoints if e.pod} == {
        "shop/frontend-t6m98cdsfh"
    }


def test_trace_to_unowned_ip_is_unreachable(cluster: Cluster) -> None:
    result = trace(cluster, "internet", "http://172.18.255.222/")
    assert (result.verdict, result.entry_point) == ("unreachable", None)


def test_route_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["route", "-f", str(SHOP), f"http://{NGINX_LB}/", "--format", "json"])
    (answer,) = json.loads(capsys.readouterr().out)["answers"]
    assert int(exc.value.code or 0) == 0
    assert (answer["entry_point"], answer["status"]) == ("IngressClass/nginx", 404)
