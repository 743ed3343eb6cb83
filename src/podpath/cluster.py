"""The resolved cluster: addresses allocated, endpoints computed, indexes built. No I/O.

Allocation is deterministic: the same input in any file order gives the same addresses.

- Pod network: ``status.podIP(s)`` where given; host-network pods take their node's IP;
  otherwise each node's ``spec.podCIDR(s)`` (else the node's /24 of ``pod_cidr`` in node
  order, as kube-controller-manager's range allocator hands them out) and addresses from
  ``.2`` up in pod order. Pods without ``nodeName`` are spread round-robin, in pod order,
  over the nodes their nodeSelector and tolerations allow (:mod:`podpath.engine.scheduling`).
  https://kubernetes.io/docs/concepts/cluster-administration/networking/
- Service network: ``spec.clusterIP(s)`` where given; ``default/kubernetes`` gets the first
  address of ``service_cidr`` and the cluster DNS Service the tenth, as kubeadm sets them;
  others the lowest free addresses in Service order.
  https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/
- NodePorts: given, else a free port in ``node_port_range`` chosen from a hash of the
  Service port (stable when other Services change); duplicates and out-of-range are noted.
- LoadBalancer: ``status.loadBalancer.ingress`` where given, else ``spec.loadBalancerIP`` or
  the next free address of the embedded pool (as MetalLB would).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from podpath.engine.scheduling import pod_fits_node
from podpath.engine.services import service_addresses, service_endpoints
from podpath.errors import InputError
from podpath.gcpause import gc_paused
from podpath.model.core import Labels, Namespace, Node, Note, Pod, Toleration
from podpath.model.inventory import Inventory
from podpath.model.policy import NetworkPolicy
from podpath.model.services import (
    Endpoint,
    EndpointSlice,
    PortEndpoints,
    Service,
    ServicePort,
    ServiceType,
    SliceEndpoint,
    SlicePort,
)

DNS_SERVICE_NAMES = ("kube-dns", "coredns", "rke2-coredns-rke2-coredns")
API_SERVER_PORT = 6443
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
# A finished pod's IP is released and may already belong to a running pod
# (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase).
FINISHED_PHASES = ("Succeeded", "Failed")


@dataclass(frozen=True, slots=True)
class Settings:
    """Cluster-wide parameters the manifests do not carry (CLI flags)."""

    pod_cidr: str = "10.244.0.0/16"
    node_cidr_mask: int = 24
    node_cidr_mask_v6: int = 64  # kube-controller-manager --node-cidr-mask-size-ipv6
    service_cidr: str = "10.96.0.0/12"
    cluster_domain: str = "cluster.local"
    lb_pool: str = "172.18.255.200-172.18.255.250"
    node_port_range: tuple[int, int] = (30000, 32767)
    upstream_dns: str = "172.18.0.1"


@dataclass(frozen=True)
class Cluster:
    """A cluster with every address allocated and every Service's endpoints resolved.

    ``endpoints[svc_key]``: the endpoints of each Service *port* (target port resolved per pod).
    ``addresses[svc_key]``: the addresses of the Service regardless of ports, one
    :class:`Endpoint` per published pod/address with ``port`` 0
    (:data:`podpath.engine.services.NO_PORT`) -- what DNS answers for a headless Service, also
    one declared without ports (:func:`podpath.engine.services.service_addresses`).
    """

    settings: Settings
    namespaces: tuple[Namespace, ...]
    nodes: tuple[Node, ...]
    pods: tuple[Pod, ...]
    services: tuple[Service, ...]
    endpoints: dict[str, tuple[PortEndpoints, ...]]
    network_policies: tuple[NetworkPolicy, ...]
    inventory: Inventory
    dns_ip: str
    notes: tuple[Note, ...] = ()
    pod_by_key: dict[str, Pod] = field(default_factory=dict)
    pod_by_ip: dict[str, Pod] = field(default_factory=dict)
    service_by_key: dict[str, Service] = field(default_factory=dict)
    namespace_by_name: dict[str, Namespace] = field(default_factory=dict)
    node_by_name: dict[str, Node] = field(default_factory=dict)
    addresses: dict[str, tuple[Endpoint, ...]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> tuple[Any, ...]:
        return self.inventory.of_kind(kind)

    def pods_in(self, namespace: str) -> Iterator[Pod]:
        return (p for p in self.pods if p.namespace == namespace)

    def service_at(self, ip: str) -> Service | None:
        """The Service whose ClusterIP, external IP or load-balancer address is ``ip``."""
        for svc in self.services:
            if ip in svc.cluster_ips or ip in svc.lb_ingress or ip in svc.external_ips:
                return svc
        return None

    def find_pod(self, text: str) -> Pod | None:
        """A pod named on the command line: ``NS/NAME`` exactly, else the first pod (in name
        order) of the workload ``NS/WORKLOAD`` or ``NS/KIND/WORKLOAD`` (e.g. ``shop/frontend``
        for the Deployment's pods, whose names carry generated suffixes)."""
        pod = self.pod_by_key.get(text)
        if pod is not None:
            return pod
        parts = text.split("/")
        if len(parts) == 2:
            ns, kind, name = parts[0], None, parts[1]
        elif len(parts) == 3:
            ns, kind, name = parts[0], parts[1].lower(), parts[2]
        else:
            return None
        for candidate in self.pods:  # sorted by (namespace, name)
            owner = candidate.owner
            if (
                owner is not None
                and candidate.namespace == ns
                and owner.name == name
                and (kind is None or owner.kind.lower() == kind)
            ):
                return candidate
        return None

    def node_at(self, ip: str) -> Node | None:
        for node in self.nodes:
            if ip in node.internal_ips or ip in node.external_ips:
                return node
        return None


@gc_paused
def resolve(inventory: Inventory, settings: Settings | None = None) -> Cluster:
    """Allocate every address and resolve every Service's endpoints (see module docstring)."""
    settings = settings or Settings()
    notes: list[Note] = list(inventory.notes)
    nodes = _node_cidrs(inventory.nodes, settings)
    pods = _place_and_address(inventory.pods, nodes, notes)
    services, slices, dns_ip = _service_addresses(inventory, nodes, settings, notes)
    index = _SelectorIndex(pods)
    endpoints = {s.key: service_endpoints(s, index.candidates(s), slices) for s in services}
    addresses = {s.key: service_addresses(s, index.candidates(s), slices) for s in services}
    notes.extend(_assumption_notes(pods))
    return Cluster(
        settings=settings,
        namespaces=inventory.namespaces,
        nodes=nodes,
        pods=pods,
        services=services,
        endpoints=endpoints,
        network_policies=inventory.network_policies,
        inventory=inventory,
        dns_ip=dns_ip,
        notes=tuple(notes),
        pod_by_key={p.key: p for p in pods},
        pod_by_ip={
            ip: p
            for p in pods
            if not p.host_network and p.phase not in FINISHED_PHASES
            for ip in p.ips
        },
        service_by_key={s.key: s for s in services},
        namespace_by_name={n.name: n for n in inventory.namespaces},
        node_by_name={n.name: n for n in nodes},
        addresses=addresses,
    )


class _SelectorIndex:
    """Pods by (namespace, label, value), so that a Service's selector is matched against the
    pods carrying its first pair only (the engine still applies the full rule)."""

    def __init__(self, pods: tuple[Pod, ...]) -> None:
        self.by_pair: dict[tuple[str, str, str], list[Pod]] = defaultdict(list)
        self.by_namespace: dict[str, list[Pod]] = defaultdict(list)
        for pod in pods:
            self.by_namespace[pod.namespace].append(pod)
            for key, value in pod.labels.pairs:
                self.by_pair[(pod.namespace, key, value)].append(pod)

    def candidates(self, service: Service) -> list[Pod]:
        if not service.selector:
            return self.by_namespace.get(service.namespace, [])
        lists = [
            self.by_pair.get((service.namespace, k, v), []) for k, v in service.selector.items()
        ]
        return min(lists, key=len)


def _network(text: str, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InputError(f"invalid CIDR {text!r}", field=what) from None


def _node_cidrs(nodes: tuple[Node, ...], settings: Settings) -> tuple[Node, ...]:
    """Give every node without ``podCIDR`` its /24 (``node_cidr_mask``; /64 for an IPv6 pod
    CIDR, ``node_cidr_mask_v6``) of the pod CIDR, as kube-controller-manager's defaults do."""
    pod_net = _network(settings.pod_cidr, "--pod-cidr")
    mask = settings.node_cidr_mask if pod_net.version == 4 else settings.node_cidr_mask_v6
    if mask < pod_net.prefixlen:
        raise InputError("node CIDR mask is shorter than the pod CIDR", field="--pod-cidr")
    taken = {c for n in nodes for c in n.pod_cidrs}
    free = (str(s) for s in pod_net.subnets(new_prefix=mask) if str(s) not in taken)
    out = []
    for node in nodes:
        if node.pod_cidrs:
            out.append(node)
            continue
        cidr = next(free, None)
        if cidr is None:
            raise InputError(
                f"pod CIDR {settings.pod_cidr} has no /{mask} left for node "
                f"{node.name} ({len(nodes)} nodes); pass a larger --pod-cidr",
                field="--pod-cidr",
            )
        out.append(replace(node, pod_cidrs=(cidr,)))
    return tuple(out)


def _place_and_address(
    pods: tuple[Pod, ...], nodes: tuple[Node, ...], notes: list[Note]
) -> tuple[Pod, ...]:
    """Placement (nodeName, else round-robin) and IPAM from each node's pod CIDRs."""
    node_by_name = {n.name: n for n in nodes}
    used: set[str] = {ip for p in pods for ip in p.ips}
    cursors: dict[tuple[str, str], Iterator[str]] = {}
    # pod_fits_node reads only the pod's nodeSelector and tolerations: one list per pair
    eligible_by: dict[tuple[Labels, tuple[Toleration, ...]], list[Node]] = {}
    rr = 0
    out = []
    for pod in pods:  # already sorted by (namespace, name)
        changes: dict[str, Any] = {}  # applied at once: one copy of the pod
        node_name = pod.node_name
        if node_name is None or node_name not in node_by_name:
            constraints = (pod.node_selector, pod.tolerations)
            eligible = eligible_by.get(constraints)
            if eligible is None:
                eligible = eligible_by[constraints] = [n for n in nodes if pod_fits_node(pod, n)]
            if not eligible:
                notes.append(
                    Note(
                        "warning",
                        "pod-unschedulable",
                        "no node matches its nodeSelector and tolerates the nodes' taints; "
                        "it stays Pending without an IP",
                        str(pod.ref),
                        pod.source,
                    )
                )
                out.append(replace(pod, node_name=None, phase="Pending", ready=False))
                continue
            chosen = eligible[rr % len(eligible)].name
            if pod.node_name is not None:
                notes.append(
                    Note(
                        "warning",
                        "unknown-node",
                        f"node {pod.node_name} is not declared; pod placed on {chosen}",
                        str(pod.ref),
                    )
                )
            changes["node_name"] = node_name = chosen
            rr += 1
        node = node_by_name[node_name or ""]
        if pod.host_network:
            changes["ips"], changes["ip_origin"] = node.internal_ips, "node"
        elif not pod.ips and pod.ip_origin == "ipam" and pod.phase == "Running":
            ips = []
            for cidr in node.pod_cidrs:
                cursor = cursors.setdefault((node.name, cidr), _hosts(cidr, used))
                ip = next(cursor, None)
                if ip is None:
                    raise InputError(
                        f"node {node.name}'s pod CIDR {cidr} is full", field="--pod-cidr"
                    )
                used.add(ip)
                ips.append(ip)
            changes["ips"] = tuple(ips)
        out.append(replace(pod, **changes) if changes else pod)
    return tuple(out)


def _hosts(cidr: str, used: set[str]) -> Iterator[str]:
    """Addresses of a node's pod CIDR from .2 up (.1 is the node's bridge/gateway)."""
    net = ipaddress.ip_network(cidr)
    first = int(net.network_address) + 2
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    for value in range(first, last + 1):
        ip = str(ipaddress.ip_address(value))
        if ip not in used:
            yield ip


def is_dns_service(svc: Service) -> bool:
    """The cluster DNS Service: kube-system's kube-dns (CoreDNS keeps that name) or one
    labelled ``k8s-app: kube-dns``."""
    return svc.namespace == "kube-system" and (
        svc.name in DNS_SERVICE_NAMES or svc.labels.get("k8s-app") == "kube-dns"
    )


def _api_server(
    services: list[Service], slices: list[EndpointSlice], nodes: tuple[Node, ...]
) -> None:
    """``default/kubernetes`` exists on every cluster; its endpoints are the API servers (the
    control-plane nodes, else the first node) on 6443."""
    if any(s.namespace == "default" and s.name == "kubernetes" for s in services):
        return
    services.append(
        Service(
            namespace="default",
            name="kubernetes",
            ports=(ServicePort(443, API_SERVER_PORT, name="https"),),
            labels=Labels({"component": "apiserver", "provider": "kubernetes"}),
        )
    )
    control = [n for n in nodes if CONTROL_PLANE_LABEL in n.labels] or list(nodes[:1])
    slices.append(
        EndpointSlice(
            namespace="default",
            name="kubernetes",
            service_name="kubernetes",
            endpoints=tuple(SliceEndpoint((n.internal_ips[0],)) for n in control if n.internal_ips),
            ports=(SlicePort(API_SERVER_PORT, name="https"),),
        )
    )


def _service_addresses(
    inventory: Inventory, nodes: tuple[Node, ...], settings: Settings, notes: list[Note]
) -> tuple[tuple[Service, ...], tuple[EndpointSlice, ...], str]:
    services = list(inventory.services)
    slices = list(inventory.endpoint_slices)
    _api_server(services, slices, nodes)
    services.sort(key=lambda s: (s.namespace, s.name))
    net = _network(settings.service_cidr, "--service-cidr")
    base = int(net.network_address)
    api_ip, dns_ip = str(ipaddress.ip_address(base + 1)), str(ipaddress.ip_address(base + 10))
    used = {ip for s in services for ip in s.cluster_ips}
    reserved = {api_ip, dns_ip}
    next_free = (
        str(ipaddress.ip_address(v))
        for v in range(base + 2, int(net.broadcast_address))
        if str(ipaddress.ip_address(v)) not in used and str(ipaddress.ip_address(v)) not in reserved
    )
    out = []
    for svc in services:
        if svc.external_name is None and not svc.headless and not svc.cluster_ips:
            if svc.namespace == "default" and svc.name == "kubernetes" and api_ip not in used:
                ip = api_ip
            elif is_dns_service(svc) and dns_ip not in used:
                ip = dns_ip
            else:
                ip = next(next_free)
            used.add(ip)
            svc = replace(svc, cluster_ips=(ip,))
        out.append(svc)
    dns = next((s.cluster_ips[0] for s in out if is_dns_service(s) and s.cluster_ips), dns_ip)
    out = _node_ports(out, settings, notes)
    out = _load_balancers(out, settings, notes)
    return tuple(out), tuple(slices), dns


def _node_ports(services: list[Service], settings: Settings, notes: list[Note]) -> list[Service]:
    """NodePorts as the API server's allocator gives them (``initNodePorts`` in
    pkg/registry/core/service/storage/alloc.go; see :func:`allocates_node_ports`).

    - The allocator holds port *numbers*: a nodePort taken by one Service, whatever the
      protocol, is taken for every other Service (two Services asking for it collide).
    - Within one Service, ports with the same ``port`` number share one nodePort (e.g. DNS on
      53/TCP and 53/UDP), the one requested by either, else one allocated.
    - A requested nodePort is kept even where none would be allocated.
    """
    low, high = settings.node_port_range
    size = high - low + 1
    owners = _requested_node_ports(services, settings, notes)
    out = []
    for svc in services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            out.append(svc)
            continue
        by_number = {p.port: p.node_port for p in svc.ports if p.node_port is not None}
        ports = []
        for p in svc.ports:
            if p.node_port is None and p.port in by_number:
                p = replace(p, node_port=by_number[p.port])
            elif p.node_port is None and allocates_node_ports(svc):
                digest = hashlib.sha256(f"{svc.key}/{p.port}/{p.protocol}".encode())
                seed = int(digest.hexdigest()[:8], 16)
                for step in range(size):
                    candidate = low + (seed + step) % size
                    if candidate not in owners:
                        owners[candidate] = svc.key
                        by_number[p.port] = candidate
                        p = replace(p, node_port=candidate)
                        break
            ports.append(p)
        out.append(replace(svc, ports=tuple(ports)))
    return out


def _requested_node_ports(
    services: list[Service], settings: Settings, notes: list[Note]
) -> dict[int, str]:
    """The nodePorts the Services ask for, by number, with out-of-range and collision notes."""
    low, high = settings.node_port_range
    owners: dict[int, str] = {}
    for svc in services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        for p in svc.ports:
            if p.node_port is None:
                continue
            if not low <= p.node_port <= high:
                notes.append(
                    Note(
                        "error",
                        "nodeport-out-of-range",
                        f"nodePort {p.node_port} is outside {low}-{high}",
                        str(svc.ref),
                        svc.source,
                    )
                )
            if p.node_port in owners and owners[p.node_port] != svc.key:
                notes.append(
                    Note(
                        "error",
                        "nodeport-collision",
                        f"nodePort {p.node_port}/{p.protocol} is also used by Service "
                        f"{owners[p.node_port]}",
                        str(svc.ref),
                        svc.source,
                    )
                )
            owners.setdefault(p.node_port, svc.key)
    return owners


def allocates_node_ports(svc: Service) -> bool:
    """``shouldAllocateNodePorts``: NodePort Services always; LoadBalancer Services unless
    ``spec.allocateLoadBalancerNodePorts`` is false
    (https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation)."""
    if svc.type is ServiceType.NODE_PORT:
        return True
    return svc.type is ServiceType.LOAD_BALANCER and svc.allocate_lb_node_ports


def _pool_addresses(pool: str) -> list[str]:
    """An address pool: ``FIRST-LAST`` or a CIDR (several comma-separated)."""
    out: list[str] = []
    for part in (p.strip() for p in pool.split(",") if p.strip()):
        try:
            if "-" in part:
                first, last = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
                out.extend(str(ipaddress.ip_address(v)) for v in range(int(first), int(last) + 1))
            else:
                out.extend(str(ip) for ip in ipaddress.ip_network(part, strict=False).hosts())
        except ValueError:
            raise InputError(f"invalid address pool {part!r}", field="--lb-pool") from None
    return out


def _load_balancers(
    services: list[Service], settings: Settings, notes: list[Note]
) -> list[Service]:
    pool = _pool_addresses(settings.lb_pool)
    used = {ip for s in services for ip in s.lb_ingress} | {
        s.lb_requested_ip for s in services if s.lb_requested_ip
    }
    free = (ip for ip in pool if ip not in used)
    out = []
    for svc in services:
        if svc.type is ServiceType.LOAD_BALANCER and not svc.lb_ingress and not svc.lb_hostnames:
            ip = svc.lb_requested_ip or next(free, None)
            if ip is None:
                notes.append(
                    Note(
                        "warning",
                        "lb-pool-exhausted",
                        "no load-balancer address left in the pool; it stays pending",
                        str(svc.ref),
                        svc.source,
                    )
                )
                out.append(replace(svc, lb_origin="none"))
                continue
            svc = replace(svc, lb_ingress=(ip,), lb_origin="pool")
        out.append(svc)
    return out


def _assumption_notes(pods: tuple[Pod, ...]) -> list[Note]:
    assumed = sum(1 for p in pods if p.ready_assumed)
    if not assumed:
        return []
    return [
        Note("info", "pod-ready-assumed", f"{assumed} pod(s) have no status; they count as ready")
    ]


def pods_by_namespace(cluster: Cluster) -> dict[str, list[Pod]]:
    out: dict[str, list[Pod]] = defaultdict(list)
    for p in cluster.pods:
        out[p.namespace].append(p)
    return out
