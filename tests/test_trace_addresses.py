"""Stage 3 of ``trace``: what an address is.

kube-proxy implements "a form of virtual IP for Services of type other than ExternalName"
(https://kubernetes.io/docs/reference/networking/virtual-ips/): an ``externalIPs`` entry on an
ExternalName Service is served by nothing, so a connection to it is one to an address outside
the cluster; the Service's name is still a DNS alias.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of, pod

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.values import TraceError

EXTERNAL_IP = "198.51.100.9"


def external_name(external_ips: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "shop", "name": "payments"},
        "spec": {
            "type": "ExternalName",
            "externalName": "api.payments.example",
            "externalIPs": external_ips,
            "ports": [{"port": 443}],
        },
    }


def test_an_external_ip_of_an_external_name_service_is_outside() -> None:
    cluster = cluster_of(pod("shop", "client", {"app": "client"}), external_name([EXTERNAL_IP]))
    result = trace(cluster, "shop/client", EXTERNAL_IP, "443")
    assert [h.step for h in result.hops] == ["source", "external", "policy"]
    assert [(e.pod, e.ip, e.port) for e in result.endpoints] == [(None, EXTERNAL_IP, 443)]


def test_the_name_of_an_external_name_service_is_an_alias() -> None:
    cluster = cluster_of(pod("shop", "client", {"app": "client"}), external_name([EXTERNAL_IP]))
    result = trace(cluster, "shop/client", "svc:shop/payments", "443")
    assert [h.step for h in result.hops] == ["source", "service", "dns", "external", "policy"]
    assert "CNAME api.payments.example." in result.hops[1].detail


NODE_IP = "192.168.0.10"


def node() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "node-a"},
        "spec": {"podCIDR": "10.244.0.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": NODE_IP}]},
    }


def on_node(obj: dict[str, Any], **spec: Any) -> dict[str, Any]:
    obj["spec"].update({"nodeName": "node-a", **spec})
    return obj


def edge_cluster() -> Any:
    web = on_node(pod("shop", "web-1", {"app": "web"}))
    agent = on_node(pod("shop", "agent", {"app": "agent"}, port=9100, port_name="metrics"))
    agent["spec"]["containers"][0]["ports"][0]["hostPort"] = 9100
    exporter = on_node(pod("shop", "exporter", {"app": "exporter"}, port=9400), hostNetwork=True)
    bare = on_node(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"namespace": "shop", "name": "bare", "labels": {"app": "bare"}},
            "spec": {"containers": [{"name": "c"}]},
        }
    )
    web_np = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "shop", "name": "web-np"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "externalIPs": ["198.51.100.20"],
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
        },
    }
    internal = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "shop", "name": "internal"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    return cluster_of(node(), web, agent, exporter, bare, web_np, internal)


# (case, SRC, DST, --port, verdict, drop, the hop steps)
EDGE_CASES = [
    (
        "NodePort on the node IP",
        "internet",
        f"{NODE_IP}",
        "30080",
        "allowed",
        None,
        ["source", "nodeport", "node", "service", "policy"],
    ),
    (
        "svc: of a NodePort Service from outside: its nodePort",
        "internet",
        "svc:shop/web-np",
        "80",
        "allowed",
        None,
        ["source", "nodeport", "node", "service", "policy"],
    ),
    (
        "svc: from outside, a port it lacks",
        "internet",
        "svc:shop/web-np",
        "81",
        "unreachable",
        "port not exposed",
        ["source", "service"],
    ),
    (
        "a ClusterIP Service from outside",
        "internet",
        "svc:shop/internal",
        "80",
        "unreachable",
        "no route",
        ["source", "route"],
    ),
    (
        "externalIPs from outside",
        "internet",
        "198.51.100.20",
        "80",
        "allowed",
        None,
        ["source", "loadbalancer", "node", "service", "policy"],
    ),
    (
        "hostPort on the node IP",
        "internet",
        NODE_IP,
        "9100",
        "allowed",
        None,
        ["source", "hostport", "policy"],
    ),
    (
        "host-network pod on the node IP",
        "internet",
        NODE_IP,
        "9400",
        "allowed",
        None,
        ["source", "hostnetwork", "policy"],
    ),
    (
        "nothing listens on the node",
        "internet",
        NODE_IP,
        "9999",
        "unreachable",
        "no listener",
        ["source", "node"],
    ),
    (
        "a pod IP from outside is not routed",
        "internet",
        "10.244.0.2",
        "8080",
        "unreachable",
        "no route",
        ["source", "route"],
    ),
    (
        "a pod by a named container port",
        "shop/agent",
        "shop/web-1",
        "http",
        "allowed",
        None,
        ["source", "pod", "policy"],
    ),
    (
        "a pod without a declared port, no --port",
        "shop/agent",
        "shop/bare",
        None,
        "unreachable",
        "port not exposed",
        ["source", "pod"],
    ),
    (
        "NodePort from a pod",
        "shop/bare",
        NODE_IP,
        "30080",
        "allowed",
        None,
        ["source", "nodeport", "node", "service", "policy"],
    ),
]


@pytest.mark.parametrize(
    ("src", "dst", "port", "verdict", "drop", "steps"),
    [c[1:] for c in EDGE_CASES],
    ids=[c[0] for c in EDGE_CASES],
)
def test_addresses(
    src: str, dst: str, port: str | None, verdict: str, drop: str | None, steps: list[str]
) -> None:
    cluster = edge_cluster()
    if dst == "10.244.0.2":
        dst = cluster.pod_by_key["shop/web-1"].ips[0]
    result = trace(cluster, src, dst, port)
    assert (result.verdict, result.drop, [h.step for h in result.hops]) == (verdict, drop, steps)


def test_an_undeclared_pod_port_is_traced_with_a_note() -> None:
    result = trace(edge_cluster(), "shop/agent", "shop/web-1", "8081")
    assert result.verdict == "allowed"
    assert result.notes == (
        "shop/web-1 declares no container port 8081/TCP; the connection may be refused",
    )


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("internet", NODE_IP, "--port must be a number for a node address"),
        ("shop/agent", "203.0.113.77", "--port must be a number for an address outside"),
    ],
)
def test_a_named_port_needs_a_number_here(src: str, dst: str, message: str) -> None:
    with pytest.raises(TraceError, match=message):
        trace(edge_cluster(), src, dst, "http")
