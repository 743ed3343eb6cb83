"""``trace --family`` through an Ingress controller or a Gateway: the proxy -> backend hop is a
connection of the family asked for -- the backend's endpoints of that family (its
EndpointSlices of that ``addressType``), the controller's address of that family, and
NetworkPolicy judged with the pods' addresses of that family (an ipBlock matches only its own
family). Without ``--family`` the proxy reaches the endpoints of every family, as ingress-nginx
builds its upstreams from all the Service's EndpointSlices.

https://kubernetes.io/docs/concepts/services-networking/dual-stack/
https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#address-types
https://kubernetes.io/docs/concepts/services-networking/network-policies/#ipblock
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import replace
from pathlib import Path

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.endpoints import proxy_source
from podpath.analyze.trace.values import Target
from podpath.api import load_cluster
from podpath.cluster import Cluster
from podpath.cluster.settings import Settings
from podpath.dataplane.probe_routes import proxy_family
from podpath.model.services import Endpoint
from test_live import run

SCENARIO = Path(__file__).parent / "scenarios" / "dual-stack-url" / "cluster.yaml"
SINGLE_STACK = Path(__file__).parent / "scenarios" / "trace" / "cluster.yaml"
CIDRS = ("10.96.0.0/16,fd00:10:96::/112", "10.244.0.0/16,fd00:10:244::/56")
HOSTS = ("site.example.com", "gw.example.com")  # an Ingress (ingress-nginx) and a Gateway


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster(
        [str(SCENARIO)], settings=Settings(service_cidr=CIDRS[0], pod_cidr=CIDRS[1])
    )


def families(ips: list[str]) -> list[int]:
    return [ipaddress.ip_address(ip).version for ip in ips]


# (backend path, --family, verdict, drop, families of the endpoints reached)
CASES = [
    # IPv4-only backend Service (ipFamilies [IPv4]): only an IPv4 connection reaches it
    ("/v4", None, "allowed", None, [4]),
    ("/v4", 4, "allowed", None, [4]),
    ("/v4", 6, "unreachable", "no endpoints", []),
    # IPv6-only backend Service (ipFamilies [IPv6]): only an IPv6 connection reaches it
    ("/v6", None, "allowed", None, [6]),
    ("/v6", 4, "unreachable", "no endpoints", []),
    ("/v6", 6, "allowed", None, [6]),
    # dual-stack backend (RequireDualStack): one EndpointSlice per family; the family asked
    # picks its endpoints, none asked reaches both (today's default)
    ("/dual", None, "allowed", None, [4, 6]),
    ("/dual", 4, "allowed", None, [4]),
    ("/dual", 6, "allowed", None, [6]),
    # dual-stack backend whose ingress policy admits an ipBlock of IPv4 pod addresses only
    ("/guarded", None, "partial", None, [4, 6]),
    ("/guarded", 4, "allowed", None, [4]),
    ("/guarded", 6, "denied", "denied by ingress isolation of app/guarded-1", [6]),
]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize(("path", "family", "verdict", "drop", "reached"), CASES)
def test_the_backend_hop_is_of_the_family_asked_for(
    cluster: Cluster,
    host: str,
    path: str,
    family: int | None,
    verdict: str,
    drop: str | None,
    reached: list[int],
) -> None:
    result = trace(cluster, "internet", f"http://{host}{path}", family=family)
    assert (result.verdict, result.drop) == (verdict, drop)
    assert sorted(families([e.ip for e in result.endpoints])) == reached
    hop = next(h for h in result.hops if h.detail.startswith("backend "))
    if family is None:
        assert "ready endpoints" in hop.detail
    else:
        assert f"ready IPv{family} endpoints" in hop.detail
    if drop == "no endpoints":
        assert "none of the family asked" in hop.detail


@pytest.mark.parametrize("family", [4, 6])
def test_the_controller_connects_from_its_address_of_that_family(
    cluster: Cluster, family: int
) -> None:
    result = trace(cluster, "internet", "http://site.example.com/dual", family=family)
    (endpoint,) = result.endpoints
    assert families(list(endpoint.source_ips)) == [family]
    controller = cluster.pod_by_key["ingress-nginx/controller-1"]
    assert set(endpoint.source_ips) <= set(controller.ips)


def test_a_controller_without_an_address_of_the_family_opens_no_such_connection(
    cluster: Cluster,
) -> None:
    pod = cluster.pod_by_key["ingress-nginx/controller-1"]
    v4 = next(ip for ip in pod.ips if ":" not in ip)
    controller = Target(v4, 80, replace(pod, ips=(v4,)), (), None)
    endpoint = Endpoint(ip="fd00:10:244::9", port=8080, ready=True)
    assert proxy_source(controller, endpoint, 6) is None
    # no family asked: the address the client reached, as before
    assert proxy_source(controller, endpoint, None) == v4


@pytest.mark.parametrize(
    "url", ["http://shop.example.com/", "http://shop.example.com/api", "http://nope.example.com/"]
)
def test_single_stack_ipv4_asked_is_the_default(url: str) -> None:
    cluster = load_cluster([str(SINGLE_STACK)])
    default = trace(cluster, "internet", url)
    ipv4 = trace(cluster, "internet", url, family=4)
    assert (ipv4.verdict, ipv4.drop, ipv4.endpoints) == (
        default.verdict,
        default.drop,
        default.endpoints,
    )


@pytest.mark.parametrize(("family", "verdict"), [("ipv4", "unreachable"), ("ipv6", "allowed")])
def test_cli_trace_family_to_a_url(
    family: str, verdict: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["trace", "--from", "internet", "--to", "http://site.example.com/v6"]
    args += ["--family", family, "-f", str(SCENARIO), "--service-cidr", CIDRS[0]]
    args += ["--pod-cidr", CIDRS[1], "--format", "json"]
    status, out, err = run(args, capsys)
    data = json.loads(out)
    assert (status, data["verdict"]) == (0, verdict), err
    backend = next(h for h in data["hops"] if h["detail"].startswith("backend app/v6"))
    assert f"ready IPv{family[-1]} endpoints" in backend["detail"]


@pytest.mark.parametrize(
    ("services", "family"),
    [(["app/v4"], 4), (["app/v6"], 6), (["app/dual"], 4), (["app/v6", "app/v4"], 4), ([], 4)],
)
def test_the_data_plane_asks_the_family_its_proxy_connects_over(
    cluster: Cluster, services: list[str], family: int
) -> None:
    """The data plane's proxy connects to the IPv4 ClusterIP, else the IPv6 one; its route
    checks ask the model's trace for that family."""
    assert proxy_family(cluster, services) == family
