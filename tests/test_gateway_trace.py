"""``trace --from internet --to tcp://ADDRESS:PORT`` (and ``udp://``, ``tls://NAME:PORT``):
a connection through a Gateway's TCPRoute, UDPRoute or TLSRoute to the backends, with
NetworkPolicy on every hop (the trace pipeline of :mod:`podpath.analyze.trace.url` with the
layer-4 answer of :func:`podpath.engine.gateway_l4.route_connection`)."""

from __future__ import annotations

from typing import Any

import pytest

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.values import RouteOptions, TraceError
from routing_helpers import cluster_of

GW = "gateway.networking.k8s.io/v1"
LB = "172.18.255.210"


def _pod(
    ns: str, name: str, labels: dict[str, str], port: int | None, proto: str = "TCP"
) -> dict[str, Any]:
    ports = [{"containerPort": port, "protocol": proto}] if port else []
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": ns, "name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "ports": ports}]},
    }


def _svc(
    ns: str, name: str, selector: dict[str, str], ports: list[dict[str, Any]], **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": ns, "name": name},
        "spec": {"selector": selector, "ports": ports, **spec},
    }


def _route(
    kind: str, name: str, section: str, backend: str, port: int, **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": GW,
        "kind": kind,
        "metadata": {"namespace": "db", "name": name},
        "spec": {
            "parentRefs": [{"name": "l4", "namespace": "edge", "sectionName": section}],
            "rules": [{"backendRefs": [{"name": backend, "port": port}]}],
            **spec,
        },
    }


def _cluster(*extra: dict[str, Any]) -> Any:
    gw_labels = {"gateway.networking.k8s.io/gateway-name": "l4"}
    lb = _svc(
        "edge",
        "l4-lb",
        gw_labels,
        [
            {"name": "pg", "port": 5432},
            {"name": "dns", "port": 53, "protocol": "UDP"},
            {"name": "tls", "port": 8443},
        ],
        type="LoadBalancer",
    )
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": LB}]}}
    allow = {"allowedRoutes": {"namespaces": {"from": "All"}}}
    return cluster_of(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "db"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "edge"}},
        _pod("db", "postgres-0", {"app": "postgres"}, 5432),
        _svc("db", "postgres", {"app": "postgres"}, [{"port": 5432}]),
        _pod("db", "dns-0", {"app": "dns"}, 53, "UDP"),
        _svc("db", "dns", {"app": "dns"}, [{"port": 53, "protocol": "UDP"}]),
        _pod("edge", "gw-envoy-0", gw_labels, None),
        lb,
        {
            "apiVersion": GW,
            "kind": "Gateway",
            "metadata": {"namespace": "edge", "name": "l4"},
            "spec": {
                "gatewayClassName": "eg",
                "listeners": [
                    {"name": "pg", "port": 5432, "protocol": "TCP", **allow},
                    {"name": "dns", "port": 53, "protocol": "UDP", **allow},
                    {
                        "name": "tls",
                        "port": 8443,
                        "protocol": "TLS",
                        "hostname": "*.example.com",
                        "tls": {"mode": "Passthrough"},
                        **allow,
                    },
                ],
            },
        },
        _route("TCPRoute", "pg", "pg", "postgres", 5432),
        _route("UDPRoute", "dns", "dns", "dns", 53),
        _route("TLSRoute", "pg-tls", "tls", "postgres", 5432, hostnames=["pg.example.com"]),
        *extra,
    )


DENY_DB = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"namespace": "db", "name": "deny-all"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
}


@pytest.mark.parametrize(
    ("dst", "route", "pod"),
    [
        (f"tcp://{LB}:5432", "TCPRoute/db/pg", "db/postgres-0"),
        (f"udp://{LB}:53", "UDPRoute/db/dns", "db/dns-0"),
        ("tls://pg.example.com:8443", "TLSRoute/db/pg-tls", "db/postgres-0"),
    ],
)
def test_connection_reaches_the_backend(dst: str, route: str, pod: str) -> None:
    result = trace(_cluster(), "internet", dst)
    assert result.verdict == "allowed", result.hops
    assert [e.pod for e in result.endpoints] == [pod]
    (hop,) = [h for h in result.hops if h.step == "route"]
    assert route in hop.objects and "connection forwarded" in hop.detail
    steps = [h.step for h in result.hops]
    assert steps.index("loadbalancer") < steps.index("route") < len(steps) - 1


def test_policy_applies_to_the_backend_hop() -> None:
    result = trace(_cluster(DENY_DB), "internet", f"tcp://{LB}:5432")
    assert result.verdict == "denied"
    (e,) = result.endpoints
    assert e.verdict == "denied"


def test_udp_uses_the_udp_port_of_the_load_balancer() -> None:
    result = trace(_cluster(), "internet", f"udp://{LB}:53")
    lb = next(h for h in result.hops if h.step == "loadbalancer")
    assert "53/UDP" in lb.detail


@pytest.mark.parametrize(
    ("dst", "why"),
    [
        ("tls://other.example.com:8443", "no TLSRoute matches SNI other.example.com"),
        (
            "tls://pg.other.org:8443",
            "no Gateway listener takes TLS port 8443 SNI pg.other.org",
        ),
    ],
)
def test_unserved_connections(dst: str, why: str) -> None:
    result = trace(_cluster(), "internet", dst)
    assert result.verdict == "unreachable"
    assert any(why in h.detail for h in result.hops), result.hops


def test_tls_to_an_ip_takes_the_sni_from_the_host_header() -> None:
    opts = RouteOptions(headers=(("Host", "pg.example.com"),))
    result = trace(_cluster(), "internet", f"tls://{LB}:8443", options=opts)
    assert result.verdict == "allowed"
    with pytest.raises(TraceError):
        trace(_cluster(), "internet", f"tls://{LB}:8443")


def test_connection_needs_a_port() -> None:
    with pytest.raises(TraceError):
        trace(_cluster(), "internet", "tcp://pg.example.com")


def test_tcp_to_an_address_no_gateway_owns_is_a_plain_connection() -> None:
    """tcp://IP:PORT to a LoadBalancer Service of its own: traced as a connection to that
    address (as ``--to IP --port PORT/TCP``), not through a Gateway."""
    pg_lb = _svc("db", "pg-lb", {"app": "postgres"}, [{"port": 5432}], type="LoadBalancer")
    pg_lb["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.255.220"}]}}
    result = trace(_cluster(pg_lb), "internet", "tcp://172.18.255.220:5432")
    assert result.verdict == "allowed", result.hops
    assert [e.pod for e in result.endpoints] == ["db/postgres-0"]
    assert not [h for h in result.hops if h.step == "route"]
    udp = trace(_cluster(pg_lb), "internet", "udp://172.18.255.220:5432")
    assert udp.verdict == "unreachable"  # the load balancer has no UDP port 5432
