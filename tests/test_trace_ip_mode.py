"""LoadBalancer ``status.loadBalancer.ingress[].ipMode`` from inside the cluster (KEP-1860):
``VIP`` short-circuits to the endpoints, ``Proxy`` goes out to the load balancer, whose
``loadBalancerSourceRanges`` and source NAT then apply.
https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-ip-mode
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of, pod, service

from podpath.analyze.trace.dispatch import trace
from podpath.errors import InputError

LB_IP = "203.0.113.7"
NODE_IP = "192.168.0.10"


def node() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-a"},
        "spec": {"podCIDR": "10.244.0.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": NODE_IP}]},
    }


def lb(mode: str | None, ranges: list[str] | None = None) -> dict[str, Any]:
    svc = service("shop", "web", {"app": "web"}, type_="LoadBalancer")
    ingress: dict[str, Any] = {"ip": LB_IP}
    if mode is not None:
        ingress["ipMode"] = mode
    svc["status"] = {"loadBalancer": {"ingress": [ingress]}}
    if ranges is not None:
        svc["spec"]["loadBalancerSourceRanges"] = ranges
    return svc


def cluster(mode: str | None, ranges: list[str] | None = None) -> Any:
    return cluster_of(
        node(),
        pod("shop", "client", {"app": "client"}),
        pod("shop", "web-1", {"app": "web"}),
        lb(mode, ranges),
    )


# (ipMode, loadBalancerSourceRanges, expected verdict, whether the load balancer is on the path)
CASES = [
    (None, None, "allowed", False),  # VIP by default: kube-proxy short-circuits
    ("VIP", ["198.51.100.0/24"], "allowed", False),  # the load balancer is not on the path
    ("Proxy", None, "allowed", True),
    ("Proxy", ["198.51.100.0/24"], "denied", True),  # the node's address is outside the ranges
    ("Proxy", [f"{NODE_IP}/32"], "allowed", True),
]


@pytest.mark.parametrize(("mode", "ranges", "verdict", "via_lb"), CASES)
def test_ip_mode_decides_whether_the_load_balancer_is_on_the_path(
    mode: str | None, ranges: list[str] | None, verdict: str, via_lb: bool
) -> None:
    result = trace(cluster(mode, ranges), "shop/client", LB_IP, "80")
    assert result.verdict == verdict
    steps = [h.step for h in result.hops]
    assert ("loadbalancer" in steps) is via_lb
    if via_lb:
        first = next(h for h in result.hops if h.step == "loadbalancer")
        assert "ipMode Proxy" in first.detail and NODE_IP in first.detail


def test_proxy_mode_endpoints_see_the_node_address() -> None:
    result = trace(cluster("Proxy"), "shop/client", LB_IP, "80")
    assert [e.pod for e in result.endpoints] == ["shop/web-1"]
    assert result.endpoints[0].source_ips == (NODE_IP,)


def test_proxy_mode_denied_by_source_ranges_names_them() -> None:
    result = trace(cluster("Proxy", ["198.51.100.0/24"]), "shop/client", LB_IP, "80")
    assert any("loadBalancerSourceRanges" in h.detail for h in result.hops)


def test_unknown_ip_mode_is_an_input_error() -> None:
    with pytest.raises(InputError, match="ipMode"):
        cluster("Tunnel")
