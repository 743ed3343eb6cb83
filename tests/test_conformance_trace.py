"""Conformance cases for ``trace``: which endpoints kube-proxy sends a connection to and which
source address the receiving pod's NetworkPolicy sees.

Sources (cases in our own words and data):
- Service internal traffic policy (https://kubernetes.io/docs/concepts/services-networking/service-traffic-policy/):
  ``internalTrafficPolicy: Local`` restricts traffic to the *ClusterIP* to node-local endpoints.
- kube-proxy (pkg/proxy/iptables/proxier.go and nftables/proxier.go, the "external
  destinations" chain): traffic to a load-balancer IP or an external IP is external traffic;
  it never uses the internal policy. With ``externalTrafficPolicy: Cluster`` it is
  masqueraded ("masquerade traffic for ... external destinations"), so an endpoint on another
  node sees the source node's IP; with ``Local``, pod-originated traffic "is subject to neither
  form of traffic policy" and keeps its source ("pod traffic for ... external destinations").
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of

from podpath.analyze.trace.dispatch import trace
from podpath.cluster import Cluster

LB_IP = "192.0.2.10"


def node(name: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "spec": {"podCIDR": f"10.244.{ip.rsplit('.', 1)[1]}.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": ip}]},
    }


def pod(name: str, app: str, node_name: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": "default", "name": name, "labels": {"app": app}},
        "spec": {
            "nodeName": node_name,
            "containers": [{"name": "c", "ports": [{"containerPort": 8080}]}],
        },
        "status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def build(etp: str = "Cluster", itp: str = "Cluster") -> Cluster:
    return cluster_of(
        node("n1", "172.18.0.1"),
        node("n2", "172.18.0.2"),
        pod("client", "client", "n1", "10.244.1.5"),
        pod("web-local", "web", "n1", "10.244.1.6"),
        pod("web-remote", "web", "n2", "10.244.2.6"),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"namespace": "default", "name": "web"},
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080}],
                "externalTrafficPolicy": etp,
                "internalTrafficPolicy": itp,
            },
            "status": {"loadBalancer": {"ingress": [{"ip": LB_IP}]}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"namespace": "default", "name": "web-from-client"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "web"}},
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}],
            },
        },
    )


# (id, eTP, iTP, destination, expected {endpoint pod: verdict})
CASES = [
    (
        "ClusterIP with iTP Local: node-local endpoints only",
        "Cluster",
        "Local",
        "svc:default/web",
        {"default/web-local": "allowed"},
    ),
    (
        "LB IP ignores iTP Local; eTP Cluster masquerades: the remote endpoint sees node n1",
        "Cluster",
        "Local",
        LB_IP,
        {"default/web-local": "allowed", "default/web-remote": "denied"},
    ),
    (
        "LB IP with eTP Local from a pod: any endpoint, client IP kept",
        "Local",
        "Cluster",
        LB_IP,
        {"default/web-local": "allowed", "default/web-remote": "allowed"},
    ),
    (
        "ClusterIP: no source NAT",
        "Cluster",
        "Cluster",
        "svc:default/web",
        {"default/web-local": "allowed", "default/web-remote": "allowed"},
    ),
]


@pytest.mark.parametrize(
    ("etp", "itp", "dst", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_service_traffic_policies(etp: str, itp: str, dst: str, expected: dict[str, str]) -> None:
    result = trace(build(etp, itp), "default/client", dst, "80")
    assert {e.pod: e.verdict for e in result.endpoints} == expected
