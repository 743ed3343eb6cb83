"""``trafficDistribution``: the hints the EndpointSlice controller writes and kube-proxy's
topology filter, with the cases of the Kubernetes documentation
(https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution: "If there
are no endpoints in the client's zone, traffic is routed cluster-wide"), kube-proxy's
``topologyModeFromHints`` (pkg/proxy/topology.go) and KEP-3015 (PreferSameNode)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.routing_helpers import cluster_of

from podpath.cli import main
from podpath.cluster import Cluster
from podpath.engine.traffic_distribution import (
    endpoint_hints,
    endpoints_for_client,
    topology_mode_from_hints,
)
from podpath.model.services import Endpoint

ZONE = "topology.kubernetes.io/zone"
# node-1 and node-2 in zone a, node-3 in zone b, node-4 without a zone label
NODES = {"node-1": "a", "node-2": "a", "node-3": "b", "node-4": None}


def node(name: str, zone: str | None, i: int) -> dict[str, Any]:
    labels = {ZONE: zone} if zone else {}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"podCIDR": f"10.244.{i}.0/24"},
        "status": {"addresses": [{"type": "InternalIP", "address": f"172.18.0.{i + 2}"}]},
    }


def pod(name: str, on: str, app: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": app}},
        "spec": {"nodeName": on, "containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
    }


def service(distribution: str | None, itp: str = "Cluster") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"app": "web"},
        "ports": [{"port": 80}],
        "internalTrafficPolicy": itp,
    }
    if distribution:
        spec["trafficDistribution"] = distribution
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}


def objects(
    distribution: str | None, backends: dict[str, str], itp: str = "Cluster"
) -> list[dict[str, Any]]:
    objs = [node(n, z, i) for i, (n, z) in enumerate(NODES.items())]
    objs += [pod(p, on) for p, on in backends.items()]
    objs += [pod(f"client-{n}", n, app="client") for n in NODES]
    return [*objs, service(distribution, itp)]


def cluster(distribution: str | None, backends: dict[str, str], itp: str = "Cluster") -> Cluster:
    return cluster_of(*objects(distribution, backends, itp))


def reached(c: Cluster, client_node: str) -> list[str]:
    (pe,) = c.endpoints["default/web"]
    near = endpoints_for_client(pe.endpoints, client_node, NODES[client_node])
    return sorted(e.pod or "" for e in near.endpoints)


BACKENDS = {"web-1": "node-1", "web-3": "node-3"}
ALL = ["default/web-1", "default/web-3"]

CASES = [
    # (case, trafficDistribution, backends, client's node, endpoints reached)
    ("no trafficDistribution: all", None, BACKENDS, "node-2", ALL),
    ("PreferClose: the client's zone", "PreferClose", BACKENDS, "node-2", ["default/web-1"]),
    ("PreferSameZone = PreferClose", "PreferSameZone", BACKENDS, "node-3", ["default/web-3"]),
    ("none in the zone: cluster-wide", "PreferClose", {"web-3": "node-3"}, "node-1",
     ["default/web-3"]),
    ("client node without zone: all", "PreferClose", BACKENDS, "node-4", ALL),
    ("an endpoint without zone: all", "PreferClose", {**BACKENDS, "web-4": "node-4"}, "node-1",
     [*ALL, "default/web-4"]),
    ("PreferSameNode: the client's node", "PreferSameNode",
     {**BACKENDS, "web-2": "node-2"}, "node-2", ["default/web-2"]),
    ("PreferSameNode: none on the node, the zone", "PreferSameNode", BACKENDS, "node-2",
     ["default/web-1"]),
    ("PreferSameNode: none in the zone either: all", "PreferSameNode", {"web-3": "node-3"},
     "node-2", ["default/web-3"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "distribution", "backends", "client", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_endpoints_a_client_reaches(
    case: str, distribution: str | None, backends: dict[str, str], client: str, expected: list[str]
) -> None:
    assert reached(cluster(distribution, backends), client) == expected


def test_the_controller_writes_hints_only_on_ready_endpoints_with_a_zone() -> None:
    assert endpoint_hints("PreferClose", True, "n1", "a") == (("a",), ())
    assert endpoint_hints("PreferClose", True, "n1", None) == ((), ())
    assert endpoint_hints("PreferClose", False, "n1", "a") == ((), ())
    assert endpoint_hints("PreferSameNode", True, "n1", "a") == (("a",), ("n1",))
    assert endpoint_hints("PreferSameNode", True, "n1", None) == ((), ("n1",))
    assert endpoint_hints(None, True, "n1", "a") == ((), ())


def test_endpoints_carry_their_node_zone_and_hints() -> None:
    (pe,) = cluster("PreferSameNode", BACKENDS).endpoints["default/web"]
    assert [(e.pod, e.zone, e.for_zones, e.for_nodes) for e in pe.endpoints] == [
        ("default/web-1", "a", ("a",), ("node-1",)),
        ("default/web-3", "b", ("b",), ("node-3",)),
    ]


def test_not_ready_endpoints_play_no_part_in_the_mode() -> None:
    hinted = Endpoint("10.0.0.1", 80, True, node_name="n1", zone="a", for_zones=("a",))
    unhinted_not_ready = Endpoint("10.0.0.2", 80, False, node_name="n2")
    assert topology_mode_from_hints([hinted, unhinted_not_ready], "n3", "a")[0] == (
        "PreferSameZone"
    )


def test_hints_given_in_a_slice_are_what_kube_proxy_reads() -> None:
    objs = [node(n, z, i) for i, (n, z) in enumerate(NODES.items())]
    manual = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ext"},
        "spec": {"ports": [{"port": 80}]},
    }
    eslice = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "ext-1", "labels": {"kubernetes.io/service-name": "ext"}},
        "addressType": "IPv4",
        "ports": [{"port": 80}],
        "endpoints": [
            {"addresses": ["10.9.0.1"], "zone": "a", "hints": {"forZones": [{"name": "a"}]}},
            {"addresses": ["10.9.0.2"], "zone": "b", "hints": {"forZones": [{"name": "b"}]}},
        ],
    }
    c = cluster_of(*objs, manual, eslice)
    (pe,) = c.endpoints["default/ext"]
    assert [e.ip for e in endpoints_for_client(pe.endpoints, "node-3", "b").endpoints] == [
        "10.9.0.2"
    ]


def test_internal_traffic_policy_local_is_not_topology(tmp_path: Path) -> None:
    """internalTrafficPolicy Local keeps the node's endpoints; topology plays no part."""
    objs = objects("PreferClose", {"web-1": "node-1", "web-2": "node-2"}, itp="Local")
    trace = _trace(tmp_path, objs, "default/client-node-2")
    assert [e["pod"] for e in trace["endpoints"]] == ["default/web-2"]


def test_trace_reaches_the_close_endpoints_and_says_why(tmp_path: Path) -> None:
    objs = objects("PreferClose", BACKENDS)
    near = _trace(tmp_path, objs, "default/client-node-2")
    assert [e["pod"] for e in near["endpoints"]] == ["default/web-1"]
    assert any("endpoints in zone a only" in h["detail"] for h in near["hops"])
    far = _trace(tmp_path, objs, "default/client-node-4")
    assert [e["pod"] for e in far["endpoints"]] == ALL
    assert any("no zone label" in h["detail"] for h in far["hops"])


def _trace(tmp_path: Path, objs: list[dict[str, Any]], source: str) -> dict[str, Any]:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["trace", "-f", str(path), "--from", source, "--to", "svc:default/web",
              "--port", "80", "--format", "json"])  # fmt: skip
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_the_data_plane_dnats_each_node_to_its_close_endpoints() -> None:
    """The nftables Service rules of each node are kube-proxy's: the topology filter applies."""
    from podpath.dataplane.nft import service_ruleset
    from podpath.dataplane.plan import build_plan

    c = cluster("PreferClose", BACKENDS)
    plan = build_plan(c)
    ips = {p.name: p.ips[0] for p in c.pods}
    rules = {n.name: service_ruleset(c, plan, n) for n in plan.nodes}
    assert ips["web-1"] in rules["node-2"] and ips["web-3"] not in rules["node-2"]
    assert ips["web-3"] in rules["node-3"] and ips["web-1"] not in rules["node-3"]
    assert ips["web-1"] in rules["node-4"] and ips["web-3"] in rules["node-4"]  # no zone


@pytest.mark.parametrize(
    ("node_ip", "expected"),
    [
        ("172.18.0.3", ["default/web-1"]),  # node-2, zone a: the zone's endpoints
        ("172.18.0.4", ["default/web-3"]),  # node-3, zone b
        ("172.18.0.5", ALL),  # node-4, no zone label: all
    ],
)
def test_external_traffic_policy_cluster_applies_the_topology_of_the_receiving_node(
    tmp_path: Path, node_ip: str, expected: list[str]
) -> None:
    """kube-proxy filters the cluster-wide endpoints by hints for every policy that uses
    them (``CategorizeEndpoints``), externalTrafficPolicy Cluster included: a NodePort
    connection reaches the endpoints close to the node it arrives on."""
    objs = objects("PreferClose", BACKENDS)
    svc = objs[-1]
    svc["spec"]["type"] = "NodePort"
    svc["spec"]["ports"] = [{"port": 80, "nodePort": 30080}]
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["trace", "-f", str(path), "--from", "internet", "--to", node_ip,
              "--port", "30080", "--format", "json"])  # fmt: skip
    trace = json.loads(out.getvalue())
    assert sorted(e["pod"] for e in trace["endpoints"]) == expected
