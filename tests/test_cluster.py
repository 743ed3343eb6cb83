"""The resolved cluster: pod IPAM, ClusterIP/NodePort/LoadBalancer allocation, determinism.

https://kubernetes.io/docs/concepts/cluster-administration/networking/
https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/
https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport
"""

from __future__ import annotations

import ipaddress
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpath.cluster import Cluster, resolve
from podpath.cluster.settings import Settings
from podpath.errors import InputError
from podpath.model.services import ServiceType
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text


def load(text: str, cfg: Settings | None = None, node_count: int | None = None) -> Cluster:
    docs = parse_text(textwrap.dedent(text).encode(), "t.yaml")
    return resolve(normalize(docs, node_count=node_count), cfg)


def node(name: str, ip: str, cidr: str | None = None, control_plane: bool = False) -> str:
    labels = "{node-role.kubernetes.io/control-plane: ''}" if control_plane else "{}"
    spec = f"{{podCIDR: {cidr}}}" if cidr else "{}"
    return (
        f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {labels}}}\n"
        f"spec: {spec}\nstatus: {{addresses: [{{type: InternalIP, address: {ip}}}]}}\n"
    )


def pod(name: str, ns: str = "default", extra_spec: str = "", status: str = "") -> str:
    text = (
        f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\n"
        f"spec: {{containers: [{{name: c}}]{', ' + extra_spec if extra_spec else ''}}}\n"
    )
    return text + (f"status: {status}\n" if status else "")


def service(name: str, ns: str = "default", spec: str = "ports: [{port: 80}]") -> str:
    return (
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\n"
        f"spec: {{{spec}}}\n"
    )


# -- Pod network ------------------------------------------------------------------------------


def test_status_ips_are_kept_and_others_come_from_the_nodes_pod_cidr() -> None:
    c = load(
        node("n1", "172.18.0.2", "10.244.1.0/24")
        + pod("given", extra_spec="nodeName: n1", status="{phase: Running, podIP: 10.244.1.2}")
        + pod("a", extra_spec="nodeName: n1")
        + pod("b", extra_spec="nodeName: n1")
    )
    by = c.pod_by_key
    assert (by["default/given"].ips, by["default/given"].ip_origin) == (("10.244.1.2",), "status")
    # .1 is the node's gateway; .2 is taken by the pod with status: the next free ones follow.
    assert by["default/a"].ips == ("10.244.1.3",)
    assert by["default/b"].ips == ("10.244.1.4",)
    assert by["default/a"].ip_origin == "ipam"


def test_nodes_without_pod_cidr_get_a_24_of_the_pod_cidr_in_node_order() -> None:
    c = load(
        node("a", "172.18.0.2")
        + node("b", "172.18.0.3", "10.244.0.0/24")
        + node("c", "172.18.0.4"),
        Settings(pod_cidr="10.100.0.0/16"),
    )
    cidrs = {n.name: n.pod_cidrs for n in c.nodes}
    assert cidrs == {"a": ("10.100.0.0/24",), "b": ("10.244.0.0/24",), "c": ("10.100.1.0/24",)}


def test_host_network_pods_take_their_nodes_ip() -> None:
    c = load(node("n1", "192.168.1.10") + pod("agent", extra_spec="hostNetwork: true"))
    agent = c.pod_by_key["default/agent"]
    assert (agent.ips, agent.ip_origin, agent.node_name) == (("192.168.1.10",), "node", "n1")
    assert "192.168.1.10" not in c.pod_by_ip  # host-network pods are not pod-network addresses


def test_pods_without_node_name_are_spread_round_robin() -> None:
    c = load("".join(pod(f"p{i}") for i in range(6)), node_count=3)
    assert [p.node_name for p in c.pods] == ["node-1", "node-2", "node-3"] * 2


def test_unknown_node_name_is_noted_and_the_pod_placed() -> None:
    c = load(node("n1", "172.18.0.2") + pod("p", extra_spec="nodeName: ghost"))
    assert c.pod_by_key["default/p"].node_name == "n1"
    assert any(n.code == "unknown-node" for n in c.notes)


def test_pending_pods_get_no_ip() -> None:
    c = load(pod("p", status="{phase: Pending}"))
    assert c.pod_by_key["default/p"].ips == ()


def test_full_node_cidr_is_an_input_error() -> None:
    text = node("n1", "172.18.0.2", "10.244.0.0/30") + pod("a") + pod("b") + pod("c")
    with pytest.raises(InputError, match="is full"):
        load(text)


def test_bad_pod_cidr_setting_is_an_input_error() -> None:
    with pytest.raises(InputError, match="invalid CIDR"):
        load(pod("a"), Settings(pod_cidr="10.244.0.0/33"))


# -- Service network ----------------------------------------------------------------------------


def test_kubernetes_service_is_first_address_and_dns_the_tenth() -> None:
    c = load(
        service("kube-dns", "kube-system", "selector: {k8s-app: kube-dns}, ports: [{port: 53}]")
        + service("aaa", "aaa")
    )
    assert c.service_by_key["default/kubernetes"].cluster_ips == ("10.96.0.1",)
    assert c.service_by_key["kube-system/kube-dns"].cluster_ips == ("10.96.0.10",)
    assert c.dns_ip == "10.96.0.10"
    assert c.service_by_key["aaa/aaa"].cluster_ips == ("10.96.0.2",)


def test_custom_service_cidr() -> None:
    c = load(service("a"), Settings(service_cidr="10.100.0.0/16"))
    assert c.service_by_key["default/kubernetes"].cluster_ips == ("10.100.0.1",)
    assert c.dns_ip == "10.100.0.10"


def test_given_cluster_ips_are_kept_and_never_reallocated() -> None:
    c = load(
        service("fixed", spec="clusterIP: 10.96.0.2, ports: [{port: 80}]")
        + service("other")
        + service("headless", spec="clusterIP: None, ports: [{port: 80}]")
    )
    assert c.service_by_key["default/fixed"].cluster_ips == ("10.96.0.2",)
    assert c.service_by_key["default/other"].cluster_ips == ("10.96.0.3",)
    assert c.service_by_key["default/headless"].cluster_ips == ()


def test_kubernetes_api_service_endpoints_are_the_control_plane_nodes() -> None:
    c = load(
        node("cp", "192.168.0.10", control_plane=True) + node("w", "192.168.0.11") + service("a")
    )
    (port,) = c.endpoints["default/kubernetes"]
    assert (port.service_port.port, [(e.ip, e.port) for e in port.endpoints]) == (
        443,
        [("192.168.0.10", 6443)],
    )


# -- NodePort ----------------------------------------------------------------------------------


def test_node_ports_given_are_kept_and_others_allocated_without_collision() -> None:
    text = service("given", spec="type: NodePort, ports: [{port: 80, nodePort: 30007}]")
    text += "".join(
        service(f"s{i}", spec="type: NodePort, ports: [{port: 80}, {port: 443}]") for i in range(50)
    )
    c = load(text)
    ports = [p.node_port for s in c.services for p in s.ports if s.type is ServiceType.NODE_PORT]
    assert c.service_by_key["default/given"].ports[0].node_port == 30007
    assert all(p is not None and 30000 <= p <= 32767 for p in ports)
    assert len(set(ports)) == len(ports) == 101


def test_node_port_collision_and_out_of_range_are_noted() -> None:
    c = load(
        service("a", spec="type: NodePort, ports: [{port: 80, nodePort: 30007}]")
        + service("b", spec="type: NodePort, ports: [{port: 80, nodePort: 30007}]")
        + service("c", spec="type: NodePort, ports: [{port: 80, nodePort: 8080}]")
        + service("udp", spec="type: NodePort, ports: [{port: 80, nodePort: 30007, protocol: UDP}]")
    )
    codes = [(n.code, n.object) for n in c.notes if n.severity == "error"]
    assert ("nodeport-collision", "Service/default/b") in codes
    assert ("nodeport-out-of-range", "Service/default/c") in codes
    # the nodePort allocator holds port numbers, whatever the protocol (initNodePorts)
    assert ("nodeport-collision", "Service/default/udp") in codes


def test_a_full_node_port_range_is_an_error_per_port_left_without_one() -> None:
    """portallocator's ErrFull: with 3 numbers and 5 ports to place, 3 get one, 2 a note."""
    text = "".join(service(f"s{i}", spec="type: NodePort, ports: [{port: 80}]") for i in range(5))
    c = load(text, Settings(node_port_range=(30000, 30002)))
    ports = sorted(p.node_port for s in c.services for p in s.ports if p.node_port is not None)
    assert ports == [30000, 30001, 30002]
    full = [n for n in c.notes if n.code == "nodeport-range-full"]
    assert len(full) == 2 and all("range is full" in n.message for n in full)
    assert {n.object for n in full} == {
        str(s.ref)
        for s in c.services
        if s.type is ServiceType.NODE_PORT and s.ports[0].node_port is None
    }


def test_clusterip_services_get_no_node_port() -> None:
    c = load(service("a"))
    assert c.service_by_key["default/a"].ports[0].node_port is None


# -- LoadBalancer -----------------------------------------------------------------------------


def test_load_balancer_status_requested_and_pool_addresses() -> None:
    c = load(
        service("a-pool", spec="type: LoadBalancer, ports: [{port: 80}]")
        + service(
            "b-requested",
            spec="type: LoadBalancer, loadBalancerIP: 10.0.0.2, ports: [{port: 80}]",
        )
        + "---\napiVersion: v1\nkind: Service\nmetadata: {name: c-status}\n"
        "spec: {type: LoadBalancer, ports: [{port: 80}]}\n"
        "status: {loadBalancer: {ingress: [{ip: 192.0.2.127}]}}\n"
        + service("d-pool", spec="type: LoadBalancer, ports: [{port: 80}]"),
        Settings(lb_pool="10.0.0.1-10.0.0.3"),
    )
    got = {s.name: (s.lb_ingress, s.lb_origin) for s in c.services if s.name != "kubernetes"}
    assert got == {
        "a-pool": (("10.0.0.1",), "pool"),
        "b-requested": (("10.0.0.2",), "pool"),
        "c-status": (("192.0.2.127",), "status"),
        "d-pool": (("10.0.0.3",), "pool"),
    }
    # LoadBalancer Services are NodePort Services too.
    assert all(s.ports[0].node_port for s in c.services if s.type is ServiceType.LOAD_BALANCER)


def test_exhausted_pool_leaves_the_load_balancer_pending_with_a_note() -> None:
    c = load(
        service("a", spec="type: LoadBalancer, ports: [{port: 80}]")
        + service("b", spec="type: LoadBalancer, ports: [{port: 80}]"),
        Settings(lb_pool="10.0.0.1/32"),
    )
    assert c.service_by_key["default/b"].lb_ingress == ()
    assert any(n.code == "lb-pool-exhausted" and n.object == "Service/default/b" for n in c.notes)


def test_bad_lb_pool_is_an_input_error() -> None:
    with pytest.raises(InputError, match="invalid address pool"):
        load(service("a"), Settings(lb_pool="10.0.0.300-10.0.0.4"))


# -- Determinism in any document order (hypothesis) -------------------------------------------

DOCS = [
    node("n1", "172.18.0.2"),
    node("n2", "172.18.0.3", "10.244.7.0/24"),
    node("n3", "172.18.0.4"),
    pod("a", "x"),
    pod("b", "x", extra_spec="nodeName: n2"),
    pod("c", "y", status="{phase: Running, podIP: 10.244.0.2}", extra_spec="nodeName: n1"),
    pod("h", "y", extra_spec="hostNetwork: true"),
    pod("d", "z"),
    service("s1", "x", "type: NodePort, ports: [{port: 80}, {port: 81}]"),
    service("s2", "y", "type: LoadBalancer, ports: [{port: 80}]"),
    service("s3", "y", "clusterIP: 10.96.0.3, ports: [{port: 80}]"),
    service("kube-dns", "kube-system", "ports: [{port: 53, protocol: UDP}]"),
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: x}\n"
    "spec: {replicas: 4, selector: {matchLabels: {app: web}}, template: {metadata: "
    "{labels: {app: web}}, spec: {containers: [{name: c}]}}}\n",
]


def _addresses(c: Cluster) -> tuple[object, ...]:
    return (
        tuple((p.key, p.node_name, p.ips) for p in c.pods),
        tuple(
            (s.key, s.cluster_ips, s.lb_ingress, tuple(p.node_port for p in s.ports))
            for s in c.services
        ),
        tuple((n.name, n.pod_cidrs) for n in c.nodes),
    )


BASELINE = _addresses(load("".join(DOCS)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(DOCS))
def test_same_input_in_any_order_gives_the_same_addresses(docs: list[str]) -> None:
    assert _addresses(load("".join(docs))) == BASELINE


def test_pod_ips_are_unique_and_inside_their_nodes_cidr() -> None:
    c = load("".join(DOCS))
    ips = [ip for p in c.pods if not p.host_network for ip in p.ips]
    assert len(ips) == len(set(ips))
    for p in c.pods:
        if p.host_network or p.ip_origin != "ipam":
            continue
        cidr = ipaddress.ip_network(c.node_by_name[p.node_name or ""].pod_cidrs[0])
        assert ipaddress.ip_address(p.ips[0]) in cidr


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=30000, max_value=30010), min_size=1, max_size=8))
def test_allocated_node_ports_never_collide_with_given_ones(given_ports: list[int]) -> None:
    text = "".join(
        service(f"g{i}", spec=f"type: NodePort, ports: [{{port: 80, nodePort: {p}}}]")
        for i, p in enumerate(given_ports)
    )
    text += "".join(service(f"a{i}", spec="type: NodePort, ports: [{port: 80}]") for i in range(5))
    c = load(text, Settings(node_port_range=(30000, 30015)))
    allocated = [c.service_by_key[f"default/a{i}"].ports[0].node_port for i in range(5)]
    assert not set(allocated) & set(given_ports)
    assert len(set(allocated)) == 5


def test_ipv6_pod_cidr_gives_each_node_a_64() -> None:
    """kube-controller-manager's default --node-cidr-mask-size-ipv6 is 64."""
    c = load(
        node("a", "fd00::a") + node("b", "fd00::b") + pod("p", extra_spec="nodeName: b"),
        Settings(pod_cidr="fd00:10:244::/56"),
    )
    assert [n.pod_cidrs for n in c.nodes] == [("fd00:10:244::/64",), ("fd00:10:244:1::/64",)]
    assert c.pod_by_key["default/p"].ips == ("fd00:10:244:1::2",)
