"""Stage 3 of ``trace``: what an address is.

kube-proxy implements "a form of virtual IP for Services of type other than ExternalName"
(https://kubernetes.io/docs/reference/networking/virtual-ips/): an ``externalIPs`` entry on an
ExternalName Service is served by nothing, so a connection to it is one to an address outside
the cluster; the Service's name is still a DNS alias.
"""

from __future__ import annotations

from typing import Any

from tests.routing_helpers import cluster_of, pod

from podpath.analyze.trace.dispatch import trace

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
