"""The resolved cluster: :func:`resolve` allocates every address, computes every Service's
endpoints and builds the indexes of :class:`Cluster`. No I/O. Allocation is deterministic: the
same input in any file order gives the same addresses. One module per concern:

- :mod:`~podpath.cluster.settings`: the parameters the manifests do not carry (CLI flags);
- :mod:`~podpath.cluster.pod_network`: node pod CIDRs, placement, pod IPs;
- :mod:`~podpath.cluster.service_network`: ClusterIPs, ``default/kubernetes``, cluster DNS;
- :mod:`~podpath.cluster.node_ports`: NodePorts;
- :mod:`~podpath.cluster.load_balancers`: load-balancer addresses;
- :mod:`~podpath.cluster.endpoints`: each Service's endpoints and addresses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from podpath.cluster.endpoints import endpoints_and_addresses
from podpath.cluster.pod_network import node_cidrs, place_and_address
from podpath.cluster.service_network import allocate_services
from podpath.cluster.settings import Settings as Settings
from podpath.gcpause import gc_paused
from podpath.model.admin_policy import ADMIN_KINDS, AdminPolicy
from podpath.model.core import Namespace, Node, Note, Pod
from podpath.model.inventory import Inventory
from podpath.model.policy import NetworkPolicy
from podpath.model.services import Endpoint, PortEndpoints, Service

# A finished pod's IP is released and may already belong to a running pod
# (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase).
FINISHED_PHASES = ("Succeeded", "Failed")


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

    @cached_property
    def policies_by_namespace(self) -> dict[str, tuple[NetworkPolicy, ...]]:
        """The NetworkPolicies of each namespace, in cluster order (built on first use)."""
        grouped: dict[str, list[NetworkPolicy]] = {}
        for policy in self.network_policies:
            grouped.setdefault(policy.namespace, []).append(policy)
        return {ns: tuple(ps) for ns, ps in grouped.items()}

    @cached_property
    def selection_memo(self) -> dict[tuple[object, ...], tuple[Any, ...]]:
        """The policy engine's memo of which policies select a pod, keyed by what selection
        reads of the pod (namespace, labels, ...): every answer derives from this cluster's
        immutable fields, so it is computed once per cluster (built on first use)."""
        return {}

    @cached_property
    def admin_tiers(self) -> dict[str, tuple[AdminPolicy, ...]]:
        """The policies of each admin tier (``Admin``, ``Baseline``) of every admin kind, in
        evaluation order (built on first use)."""
        tiers: dict[str, tuple[AdminPolicy, ...]] = {}
        for name in ("Admin", "Baseline"):
            found = [p for kind in ADMIN_KINDS for p in self.of_kind(kind) if p.tier == name]
            tiers[name] = tuple(sorted(found, key=lambda p: p.order))
        return tiers

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
    nodes = node_cidrs(inventory.nodes, settings)
    pods = place_and_address(inventory.pods, nodes, notes)
    services, slices, dns_ip = allocate_services(inventory, nodes, settings, notes)
    endpoints, addresses = endpoints_and_addresses(services, pods, slices, nodes)
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


def _assumption_notes(pods: tuple[Pod, ...]) -> list[Note]:
    assumed = sum(1 for p in pods if p.ready_assumed)
    if not assumed:
        return []
    return [
        Note("info", "pod-ready-assumed", f"{assumed} pod(s) have no status; they count as ready")
    ]
