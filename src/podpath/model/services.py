"""Service network model: Services, their ports, EndpointSlices, resolved endpoints.

Reference: https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from podpath.model.core import NO_SOURCE, Labels, ObjectRef, Protocol, SourceRef
from podpath.model.objects import Namespaced


class ServiceType(enum.Enum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ServicePort:
    """``ServicePort`` with defaults applied: protocol TCP, targetPort = port."""

    port: int
    target_port: int | str
    protocol: Protocol = Protocol.TCP
    name: str | None = None
    node_port: int | None = None
    app_protocol: str | None = None

    @property
    def label(self) -> str:
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class Service(Namespaced):
    """A Service. ``selector`` is ``None`` for a Service without selector (manual endpoints).

    ``cluster_ips`` is empty until the resolved cluster allocates it; ``headless`` is
    ``spec.clusterIP: None``. ``ip_families`` holds ``spec.ipFamilies`` (4/6, primary first)
    as given, and after resolution the families the Service has. ``lb_ingress`` holds
    status.loadBalancer.ingress IPs (or the embedded pool's allocation after resolution);
    ``lb_hostnames`` the hostnames; ``lb_ip_modes`` their ``ipMode`` (empty: all VIP).
    """

    KIND = "Service"

    namespace: str
    name: str
    type: ServiceType = ServiceType.CLUSTER_IP
    selector: Labels | None = None
    ports: tuple[ServicePort, ...] = ()
    cluster_ips: tuple[str, ...] = ()
    headless: bool = False
    external_name: str | None = None
    external_ips: tuple[str, ...] = ()
    lb_ingress: tuple[str, ...] = ()
    lb_hostnames: tuple[str, ...] = ()
    lb_requested_ip: str | None = None
    lb_source_ranges: tuple[str, ...] = ()
    lb_origin: str = "status"  # "status" | "pool" | "none"
    session_affinity: str = "None"
    external_traffic_policy: str = "Cluster"
    internal_traffic_policy: str = "Cluster"
    publish_not_ready_addresses: bool = False
    allocate_lb_node_ports: bool = True  # spec.allocateLoadBalancerNodePorts (default true)
    lb_class: str | None = None  # spec.loadBalancerClass
    health_check_node_port: int | None = None  # spec.healthCheckNodePort
    traffic_distribution: str | None = None  # PreferClose | PreferSameZone | PreferSameNode
    ip_family_policy: str | None = None  # SingleStack | PreferDualStack | RequireDualStack
    ip_families: tuple[int, ...] = ()  # spec.ipFamilies as 4/6; resolved by the cluster
    lb_ip_modes: tuple[str, ...] = ()  # status.loadBalancer.ingress[].ipMode, per lb_ingress
    labels: Labels = Labels()
    annotations: Labels = Labels()
    source: SourceRef = NO_SOURCE

    def port_named(self, name: str) -> ServicePort | None:
        for port in self.ports:
            if port.name == name:
                return port
        return None

    def port_numbered(self, number: int, protocol: Protocol | None = None) -> ServicePort | None:
        for port in self.ports:
            if port.port == number and (protocol is None or port.protocol is protocol):
                return port
        return None


@dataclass(frozen=True, slots=True)
class SliceEndpoint:
    """One endpoint of an EndpointSlice (discovery.k8s.io/v1 ``Endpoint``)."""

    addresses: tuple[str, ...]
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    hostname: str | None = None
    node_name: str | None = None
    target_pod: str | None = None  # "NS/NAME" when targetRef is a Pod
    zone: str | None = None
    for_zones: tuple[str, ...] = ()  # hints.forZones[].name
    for_nodes: tuple[str, ...] = ()  # hints.forNodes[].name


@dataclass(frozen=True, slots=True)
class SlicePort:
    port: int | None
    protocol: Protocol = Protocol.TCP
    name: str = ""


@dataclass(frozen=True, slots=True)
class EndpointSlice:
    """A given EndpointSlice (or a core/v1 Endpoints object converted to one)."""

    namespace: str
    name: str
    service_name: str
    endpoints: tuple[SliceEndpoint, ...] = ()
    ports: tuple[SlicePort, ...] = ()
    address_type: str = "IPv4"
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved endpoint of one Service port: the pod (if any), the IP and the target port.

    ``ready`` is what the data plane routes to (EndpointSlice ``conditions.ready``, forced true by
    ``publishNotReadyAddresses``). ``zone`` and the hints ``for_zones``/``for_nodes`` are what
    the slice carries (set by the EndpointSlice controller from ``trafficDistribution``, or
    given in a slice), which kube-proxy's topology filter reads.
    """

    ip: str
    port: int
    ready: bool
    pod: str | None = None  # "NS/NAME"
    node_name: str | None = None
    hostname: str | None = None
    origin: str = "selector"  # "selector" | "slice"
    zone: str | None = None
    for_zones: tuple[str, ...] = ()
    for_nodes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PortEndpoints:
    """The endpoints of one Service port, plus the pods left out of it and why."""

    service_port: ServicePort
    endpoints: tuple[Endpoint, ...]
    excluded: tuple[tuple[str, str], ...] = ()  # (pod key, reason)

    @property
    def ready(self) -> tuple[Endpoint, ...]:
        return tuple(e for e in self.endpoints if e.ready)


@dataclass(frozen=True, slots=True)
class ServiceCIDR:
    """networking.k8s.io/v1 ServiceCIDR (cluster-scoped): ``spec.cidrs``, at most one per
    family, the ranges ClusterIPs are allocated from (KEP-1880,
    https://kubernetes.io/docs/reference/kubernetes-api/networking/service-cidr-v1/)."""

    name: str
    cidrs: tuple[str, ...] = ()
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("ServiceCIDR", "", self.name)
