"""``trace --from internet --to URL`` when the URL's host is an L4 load balancer.

Online Boutique's README (GoogleCloudPlatform/microservices-demo) tells users to find the
``EXTERNAL_IP`` of the LoadBalancer Service ``frontend-external`` and open
``http://EXTERNAL_IP`` in a browser. No Ingress or Gateway owns that address: the browser opens
a TCP connection to the load balancer on the URL's port (80 for http, 443 for https, else the
URL's own), which forwards it to the Service's endpoints
(https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer). The trace is
then the one of ``--to EXTERNAL_IP --port 80``, with a note. A load balancer known by its
hostname (``status.loadBalancer.ingress[].hostname``, which public DNS resolves to it) is the
same. An address that an entry point owns, or ``--gateway``/``--ingress-class``, stays an HTTP
request for the routing engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.routing_helpers import cluster_of

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.values import RouteOptions, TraceResult
from podpath.api import load_cluster
from podpath.cluster import Cluster

BOUTIQUE = Path(__file__).parent / "data" / "trace" / "boutique.yaml"
SHOP = Path(__file__).parents[1] / "examples" / "shop"
ELB = "a1b2c3.elb.us-east-1.amazonaws.com"


def boutique(**frontend_external: Any) -> Cluster:
    docs = [d for d in yaml.safe_load_all(BOUTIQUE.read_text()) if d]
    for doc in docs:
        if doc["kind"] == "Service" and doc["metadata"]["name"] == "frontend-external":
            doc["spec"].update(frontend_external.get("spec", {}))
            doc["status"] = frontend_external.get("status", {})
    return cluster_of(*docs)


def external_ip(cluster: Cluster) -> str:
    return cluster.service_by_key["default/frontend-external"].lb_ingress[0]


def path(result: TraceResult) -> tuple[object, ...]:
    return (
        result.verdict,
        result.drop,
        tuple(h.detail for h in result.hops),
        tuple((e.pod, e.port, e.verdict) for e in result.endpoints),
    )


# (case, URL with EXTERNAL_IP, the same connection as --to ... --port ..., verdict, drop)
CASES = [
    ("http://EXTERNAL_IP", "http://{ip}", "80", "allowed", None),
    ("http://EXTERNAL_IP/ with a path", "http://{ip}/cart?x=1", "80", "allowed", None),
    ("http://EXTERNAL_IP:80/", "http://{ip}:80/", "80", "allowed", None),
    (
        "https: port 443, not a port of the Service",
        "https://{ip}/",
        "443",
        "unreachable",
        "port not exposed",
    ),
    (
        "a port of the URL the Service lacks",
        "http://{ip}:8080/",
        "8080",
        "unreachable",
        "port not exposed",
    ),
    ("no scheme", "{ip}/", "80", "allowed", None),
]


@pytest.mark.parametrize(
    ("url", "port", "verdict", "drop"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_url_to_an_l4_load_balancer_is_a_tcp_connection(
    url: str, port: str, verdict: str, drop: str | None
) -> None:
    cluster = boutique()
    ip = external_ip(cluster)
    result = trace(cluster, "internet", url.format(ip=ip))
    assert (result.verdict, result.drop) == (verdict, drop)
    same = trace(cluster, "internet", ip, port)
    assert path(result) == path(same)
    (note,) = result.notes
    assert note.endswith(
        f"no Ingress or Gateway serves {ip}, the address of a LoadBalancer Service: "
        f"the client opens a TCP connection to it on port {port}"
    )


def test_the_frontend_pods_answer() -> None:
    cluster = boutique()
    result = trace(cluster, "internet", f"http://{external_ip(cluster)}")
    pods = sorted(p.key for p in cluster.pods if p.key.startswith("default/frontend-"))
    assert sorted(e.pod or "" for e in result.endpoints) == pods
    assert {e.port for e in result.endpoints} == {8080}
    assert [h.step for h in result.hops] == ["source", "loadbalancer", "node", "service", "policy"]


def test_a_load_balancer_hostname() -> None:
    cluster = boutique(status={"loadBalancer": {"ingress": [{"hostname": ELB}]}})
    result = trace(cluster, "internet", f"http://{ELB}/")
    assert result.verdict == "allowed"
    assert result.hops[1].step == "loadbalancer" and ELB in result.hops[1].detail


def test_load_balancer_source_ranges_apply() -> None:
    cluster = boutique(spec={"loadBalancerSourceRanges": ["198.51.100.0/24"]})
    ip = external_ip(cluster)
    assert trace(cluster, "internet", f"http://{ip}/").verdict == "denied"
    admitted = trace(cluster, "198.51.100.7", f"http://{ip}/")
    assert admitted.verdict == "allowed"


def test_from_inside_the_url_is_the_address_as_before() -> None:
    cluster = boutique()
    ip = external_ip(cluster)
    result = trace(cluster, "default/cartservice", f"http://{ip}/")
    assert path(result) == path(trace(cluster, "default/cartservice", ip, "80"))
    assert result.verdict == "allowed"


def test_an_address_an_entry_point_owns_is_an_http_request() -> None:
    cluster = load_cluster([str(SHOP)])
    lb = cluster.service_by_key["ingress-nginx/ingress-nginx-controller"].lb_ingress[0]
    result = trace(cluster, "internet", f"http://{lb}/")
    assert result.entry_point == "IngressClass/nginx"
    assert not any("TCP connection" in n for n in result.notes)


def test_an_entry_point_asked_by_name_is_routed() -> None:
    cluster = load_cluster([str(SHOP), str(BOUTIQUE)])
    ip = next(s.lb_ingress[0] for s in cluster.services if s.key == "default/frontend-external")
    result = trace(cluster, "internet", f"http://{ip}/", None, RouteOptions(ingress_class="nginx"))
    assert result.entry_point == "IngressClass/nginx"
    assert (result.verdict, result.drop) == ("unreachable", "no route")
