"""Conformance cases for the Service network, taken from Kubernetes' own rules.

Sources (cases written in our own words and data):
- EndpointSlice controller (pkg/controller/endpointslice, ``podToEndpoint``,
  ``ShouldPodBeInEndpoints``) and ``podutil.FindPort`` (pkg/api/v1/pod): which pods become
  endpoints, ``ready``, named targetPort lookup by name *and protocol*, sidecar containers
  (initContainers with ``restartPolicy: Always``) searched after the app containers.
- Service API reference (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/):
  targetPort defaults to port, ExternalName has no ClusterIP, ``clusterIP: None`` is headless,
  ``allocateLoadBalancerNodePorts``.
- NodePort allocation (pkg/registry/core/service/storage/alloc.go ``initNodePorts``,
  ``shouldAllocateNodePorts``; portallocator is a bitmap of port *numbers*): ports of one
  Service with the same port number share one nodePort; LoadBalancer with
  ``allocateLoadBalancerNodePorts: false`` gets none unless asked.
- EndpointSlice API (discovery.k8s.io/v1 EndpointConditions): consumers (kube-proxy, CoreDNS)
  take ``ready`` from the slice; ``publishNotReadyAddresses`` is applied by the controller that
  writes slices, never by consumers of a hand-written slice.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of

from podpath.cluster import Cluster
from podpath.model.services import Endpoint


def pod(
    name: str,
    labels: dict[str, str] | None = None,
    *,
    ns: str = "default",
    ports: list[dict[str, Any]] | None = None,
    ready: bool | None = None,
    phase: str = "Running",
    ip: str | None = None,
    terminating: bool = False,
    init: list[dict[str, Any]] | None = None,
    hostname: str | None = None,
    subdomain: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "ports": ports or []}]}
    if init is not None:
        spec["initContainers"] = init
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    meta: dict[str, Any] = {"namespace": ns, "name": name, "labels": labels or {"app": "web"}}
    if terminating:
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    if ready is not None or ip is not None or phase != "Running":
        status: dict[str, Any] = {"phase": phase}
        if ip:
            status["podIP"] = ip
        if ready is not None:
            status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        out["status"] = status
    return out


def svc(name: str = "web", *, ns: str = "default", **spec: Any) -> dict[str, Any]:
    spec.setdefault("selector", {"app": "web"})
    spec.setdefault("ports", [{"port": 80, "targetPort": 8080}])
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": ns, "name": name},
        "spec": spec,
    }


def eps(c: Cluster, key: str = "default/web", port_index: int = 0) -> list[Endpoint]:
    return list(c.endpoints[key][port_index].endpoints)


def by_pod(
    c: Cluster, key: str = "default/web", port_index: int = 0
) -> dict[str, tuple[int, bool]]:
    return {e.pod or e.ip: (e.port, e.ready) for e in eps(c, key, port_index)}


TCP_HTTP = [{"name": "http", "containerPort": 8080}]
UDP_HTTP = [{"name": "http", "containerPort": 8080, "protocol": "UDP"}]

# (case id, objects, expected {pod: (target port, ready)} for the Service's first port)
ENDPOINT_CASES: list[tuple[str, list[dict[str, Any]], dict[str, tuple[int, bool]]]] = [
    (
        "targetPort-defaults-to-port",
        [pod("a", ip="10.244.0.5"), svc(ports=[{"port": 8000}])],
        {"default/a": (8000, True)},
    ),
    (
        "named-targetPort-resolved-per-pod",
        [
            pod("a", ports=[{"name": "http", "containerPort": 8080}]),
            pod("b", ports=[{"name": "http", "containerPort": 9090}]),
            svc(ports=[{"port": 80, "targetPort": "http"}]),
        ],
        {"default/a": (8080, True), "default/b": (9090, True)},
    ),
    (
        # FindPort compares port.Protocol == svcPort.Protocol
        "named-targetPort-needs-same-protocol",
        [pod("a", ports=UDP_HTTP), svc(ports=[{"port": 80, "targetPort": "http"}])],
        {},
    ),
    (
        "named-targetPort-udp-service-port",
        [
            pod("a", ports=UDP_HTTP),
            svc(ports=[{"port": 80, "targetPort": "http", "protocol": "UDP"}]),
        ],
        {"default/a": (8080, True)},
    ),
    (
        # FindPort: "also support sidecar container (initContainer with restartPolicy=Always)"
        "named-targetPort-in-sidecar-init-container",
        [
            pod(
                "a",
                init=[
                    {
                        "name": "proxy",
                        "restartPolicy": "Always",
                        "ports": [{"name": "proxy", "containerPort": 15001}],
                    }
                ],
            ),
            svc(ports=[{"port": 80, "targetPort": "proxy"}]),
        ],
        {"default/a": (15001, True)},
    ),
    (
        # a plain init container (no restartPolicy: Always) has exited: not searched
        "named-targetPort-not-in-plain-init-container",
        [
            pod(
                "a", init=[{"name": "setup", "ports": [{"name": "proxy", "containerPort": 15001}]}]
            ),
            svc(ports=[{"port": 80, "targetPort": "proxy"}]),
        ],
        {},
    ),
    (
        "app-container-wins-over-sidecar-with-same-name",
        [
            pod(
                "a",
                ports=TCP_HTTP,
                init=[
                    {
                        "name": "proxy",
                        "restartPolicy": "Always",
                        "ports": [{"name": "http", "containerPort": 15001}],
                    }
                ],
            ),
            svc(ports=[{"port": 80, "targetPort": "http"}]),
        ],
        {"default/a": (8080, True)},
    ),
    (
        "not-ready-pod-is-a-not-ready-endpoint",
        [pod("a", ready=False, ip="10.244.0.5"), svc()],
        {"default/a": (8080, False)},
    ),
    (
        "publishNotReadyAddresses-makes-it-ready",
        [pod("a", ready=False, ip="10.244.0.5"), svc(publishNotReadyAddresses=True)],
        {"default/a": (8080, True)},
    ),
    (
        "pending-pod-without-ip-is-left-out",
        [pod("a", ready=False, phase="Pending"), svc()],
        {},
    ),
    ("succeeded-pod-is-left-out", [pod("a", phase="Succeeded", ip="10.244.0.5"), svc()], {}),
    ("failed-pod-is-left-out", [pod("a", phase="Failed", ip="10.244.0.5"), svc()], {}),
    (
        "publishNotReadyAddresses-keeps-terminating-pod-ready",
        [
            pod("a", ready=True, ip="10.244.0.5", terminating=True),
            svc(publishNotReadyAddresses=True),
        ],
        {"default/a": (8080, True)},
    ),
    (
        "selector-selects-own-namespace-only",
        [pod("a", ns="other"), svc()],
        {},
    ),
    (
        "selector-needs-every-pair",
        [
            pod("a", {"app": "web"}),
            pod("b", {"app": "web", "tier": "fe"}),
            svc(selector={"app": "web", "tier": "fe"}),
        ],
        {"default/b": (8080, True)},
    ),
]


@pytest.mark.parametrize(
    ("objs", "expected"), [c[1:] for c in ENDPOINT_CASES], ids=[c[0] for c in ENDPOINT_CASES]
)
def test_selector_endpoints(
    objs: list[dict[str, Any]], expected: dict[str, tuple[int, bool]]
) -> None:
    assert by_pod(cluster_of(*objs)) == expected


def endpoint_slice(ready: bool | None, ip: str = "10.1.2.3") -> dict[str, Any]:
    endpoint: dict[str, Any] = {"addresses": [ip]}
    if ready is not None:
        endpoint["conditions"] = {"ready": ready}
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "namespace": "default",
            "name": "web-1",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "ports": [{"port": 8080}],
        "endpoints": [endpoint],
    }


MANUAL_SLICE_CASES = [
    # (id, slice ready condition, publishNotReadyAddresses, expected ready)
    ("ready-true", True, False, True),
    ("ready-unset-means-ready", None, False, True),  # "nil ... should be interpreted as ready"
    ("ready-false", False, False, False),
    # kube-proxy/CoreDNS read conditions.ready from the slice; the flag is the controller's job
    ("ready-false-publishNotReady-ignored-by-consumers", False, True, False),
]


@pytest.mark.parametrize(
    ("ready", "publish", "expected"),
    [c[1:] for c in MANUAL_SLICE_CASES],
    ids=[c[0] for c in MANUAL_SLICE_CASES],
)
def test_manual_slice_readiness(ready: bool | None, publish: bool, expected: bool) -> None:
    spec: dict[str, Any] = {
        "ports": [{"port": 80, "targetPort": 8080}],
        "publishNotReadyAddresses": publish,
    }
    c = cluster_of(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"namespace": "default", "name": "web"},
            "spec": spec,
        },
        endpoint_slice(ready),
    )
    assert [(e.ip, e.port, e.ready) for e in eps(c)] == [("10.1.2.3", 8080, expected)]


def test_empty_selector_is_no_selector() -> None:
    """``selector: {}`` is stored as no selector: the Service takes the given slices."""
    c = cluster_of(svc(selector={}), endpoint_slice(True), pod("a"))
    assert [e.ip for e in eps(c)] == ["10.1.2.3"]


def test_endpoints_object_not_ready_addresses() -> None:
    """core/v1 Endpoints: ``notReadyAddresses`` mirror to not-ready slice endpoints."""
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"namespace": "default", "name": "web"},
        "subsets": [
            {
                "addresses": [{"ip": "10.1.0.1"}],
                "notReadyAddresses": [{"ip": "10.1.0.2"}],
                "ports": [{"port": 8080}],
            }
        ],
    }
    c = cluster_of({**svc(), "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}, endpoints)
    assert {(e.ip, e.ready) for e in eps(c)} == {("10.1.0.1", True), ("10.1.0.2", False)}


def test_endpoint_hostname_needs_subdomain_equal_to_service_name() -> None:
    c = cluster_of(
        pod("a", hostname="a0", subdomain="web"),
        pod("b", hostname="b0", subdomain="other"),
        svc(clusterIP="None"),
    )
    assert {e.pod: e.hostname for e in eps(c)} == {"default/a": "a0", "default/b": None}


# -- addresses -----------------------------------------------------------------------------

ADDRESS_CASES = [
    # (id, spec, expected cluster_ips empty?, headless)
    ("clusterip-allocated", {}, False, False),
    ("clusterIP-None-is-headless", {"clusterIP": "None"}, True, True),
    (
        "externalName-has-no-clusterIP",
        {"type": "ExternalName", "externalName": "db.example.com"},
        True,
        False,
    ),
]


@pytest.mark.parametrize(
    ("spec", "no_ip", "headless"), [c[1:] for c in ADDRESS_CASES], ids=[c[0] for c in ADDRESS_CASES]
)
def test_cluster_ip(spec: dict[str, Any], no_ip: bool, headless: bool) -> None:
    s = cluster_of(svc(**spec)).service_by_key["default/web"]
    assert (not s.cluster_ips, s.headless) == (no_ip, headless)


def test_external_name_has_no_endpoints_even_with_selector() -> None:
    c = cluster_of(pod("a"), svc(type="ExternalName", externalName="db.example.com"))
    assert eps(c) == []


def node_ports(c: Cluster, key: str = "default/web") -> list[int | None]:
    return [p.node_port for p in c.service_by_key[key].ports]


NODEPORT_CASES = [
    # (id, spec, check)
    ("clusterip-gets-none", {}, lambda ps: ps == [None]),
    (
        "nodeport-in-default-range",
        {"type": "NodePort"},
        lambda ps: all(30000 <= p <= 32767 for p in ps),
    ),
    (
        "loadbalancer-gets-one",
        {"type": "LoadBalancer"},
        lambda ps: all(30000 <= p <= 32767 for p in ps),
    ),
    (
        "allocateLoadBalancerNodePorts-false-gets-none",
        {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False},
        lambda ps: ps == [None],
    ),
    (
        "allocateLoadBalancerNodePorts-false-keeps-requested",
        {
            "type": "LoadBalancer",
            "allocateLoadBalancerNodePorts": False,
            "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}],
        },
        lambda ps: ps == [30080],
    ),
    (
        "same-port-number-tcp-and-udp-share-one-nodePort",
        {
            "type": "NodePort",
            "ports": [
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                {"name": "dns-udp", "port": 53, "protocol": "UDP"},
            ],
        },
        lambda ps: ps[0] is not None and ps[0] == ps[1],
    ),
    (
        "requested-nodePort-reused-by-same-port-number",
        {
            "type": "NodePort",
            "ports": [
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "nodePort": 30053},
                {"name": "dns-udp", "port": 53, "protocol": "UDP"},
            ],
        },
        lambda ps: ps == [30053, 30053],
    ),
]


@pytest.mark.parametrize(
    ("spec", "check"), [c[1:] for c in NODEPORT_CASES], ids=[c[0] for c in NODEPORT_CASES]
)
def test_node_port_allocation(spec: dict[str, Any], check: Any) -> None:
    assert check(node_ports(cluster_of(svc(**spec))))


def test_node_port_numbers_are_shared_across_protocols() -> None:
    """The nodePort allocator holds port numbers: 30080/UDP of one Service collides with
    30080/TCP of another."""
    c = cluster_of(
        svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]),
        svc("b", type="NodePort", ports=[{"port": 80, "protocol": "UDP", "nodePort": 30080}]),
    )
    assert any(n.code == "nodeport-collision" for n in c.notes)


def test_allocated_node_port_avoids_numbers_used_by_other_protocol() -> None:
    """An automatically allocated nodePort is never a number another Service holds, whatever
    its protocol."""
    taken = list(range(30000, 32767))  # leave only 32767 free
    objs = [
        svc(
            "big",
            type="NodePort",
            ports=[{"name": f"p{n}", "port": n - 29000, "nodePort": n} for n in taken],
        )
    ]
    objs.append(svc("udp", type="NodePort", ports=[{"port": 53, "protocol": "UDP"}]))
    assert node_ports(cluster_of(*objs), "default/udp") == [32767]
