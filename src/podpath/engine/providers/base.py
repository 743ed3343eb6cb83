"""What a provider profile decides, as small frozen values (no I/O).

A profile looks at one entry path -- a LoadBalancer Service, an Ingress served by the
provider's own controller, a Gateway of the provider's GatewayClass -- and answers with one
:class:`Decision`:

- which :class:`Path` traffic takes: through a NodePort and kube-proxy, passthrough to the node
  with the load-balancer address as destination, or straight to pod IPs;
- who the pod sees as source (:class:`Seen`): the client, or the load balancer's own addresses
  (a proxy, or client IP preservation off); behind kube-proxy, ``externalTrafficPolicy:
  Cluster`` then masquerades to the node's IP (the trace applies that rule, not the profile);
- the scheme (internet-facing or internal, and who can reach an internal one);
- where source ranges are enforced (:class:`Ranges`), and when they are ignored;
- the health check (:class:`HealthCheck`): its source ranges, port and protocol, and whether
  it reaches the pods themselves (then the backends' NetworkPolicies must admit it);
- the documentation pages that say so (:class:`Cite`).

Parameters the manifests do not carry (a VPC CIDR, the load balancer's subnet) are
:class:`Params`, each with a documented default (:class:`ParamSpec`).
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from podpath.model.gateway import Gateway, GatewayClass
from podpath.model.ingress import Ingress, IngressClass
from podpath.model.services import Service

INTERNET_FACING, INTERNAL = "internet-facing", "internal"
TRAFFIC_PORT = "traffic-port"
HEALTH_CHECK_NODE_PORT = "healthCheckNodePort"
KUBE_PROXY_HEALTHZ = "10256"  # kube-proxy --healthz-bind-address default port


class Path(enum.Enum):
    """How the load balancer hands the connection to the cluster."""

    NODE_PORT = "nodeport"  # to a node's NodePort; kube-proxy forwards (SNAT per eTP)
    PASSTHROUGH = "passthrough"  # to a node, destination still the LB address; kube-proxy
    POD_DIRECT = "pod-direct"  # to the pod IPs; kube-proxy is not on the path
    CLUSTER_IP = "cluster-ip"  # a host route to the ClusterIP (minikube tunnel)

    def __str__(self) -> str:
        return self.value


class Seen(enum.Enum):
    """The source address the load balancer hands to the cluster."""

    CLIENT = "client"
    LOAD_BALANCER = "load-balancer"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Cite:
    """A documentation page and the section that states a behaviour."""

    url: str
    section: str

    def __str__(self) -> str:
        return f"{self.url} ({self.section})"


KUBE_PROXY_MASQ = Cite(
    "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/",
    "--cluster-cidr: traffic to a ClusterIP from outside it is masqueraded",
)


@dataclass(frozen=True, slots=True)
class Ranges:
    """Source ranges: ``cidrs`` admitted (empty: every client), where they come from
    (``origin``), who enforces them (``at``), why they are ignored (``ignored``, else None),
    and ``bypass``: clients admitted whatever the ranges say (Azure's default VNet rule)."""

    cidrs: tuple[str, ...] = ()
    origin: str = ""
    at: str = ""
    ignored: str | None = None
    bypass: tuple[str, ...] = ()
    cite: Cite | None = None

    def admits(self, ip: str) -> bool:
        """Whether a client at ``ip`` gets past the ranges."""
        if self.ignored is not None or not self.cidrs:
            return True
        return ip_in(ip, self.cidrs) or ip_in(ip, self.bypass)


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """Where the load balancer's health checks come from (``sources``), the port
    (``traffic-port``, ``healthCheckNodePort``, kube-proxy's ``10256`` or a number), the
    protocol, and whether they reach the pods (``to_pods``) -- then NetworkPolicy must admit
    ``sources`` -- or a node's port: answered by kube-proxy itself (``healthCheckNodePort``,
    ``10256``), or a NodePort that kube-proxy forwards to a pod (``forwarded``; with
    ``externalTrafficPolicy: Cluster`` the pod sees the node's address)."""

    sources: tuple[str, ...]
    port: str
    protocol: str
    to_pods: bool
    path: str | None = None
    cite: Cite | None = None
    forwarded: bool = False

    def __str__(self) -> str:
        where = (
            "the pods"
            if self.to_pods
            else "the NodePort (forwarded to a pod)"
            if self.forwarded
            else "the nodes"
        )
        path = f" {self.path}" if self.path else ""
        src = ", ".join(self.sources) or "the load balancer"
        return f"{self.protocol}{path} on {self.port} to {where}, from {src}"


@dataclass(frozen=True, slots=True)
class Decision:
    """What a provider does with one entry path (module docstring).

    ``implementation`` names the load balancer and ``why`` what selected it; ``scheme`` and
    ``scheme_why``; ``reachable_from``: the CIDRs an internal load balancer serves (empty for
    internet-facing); ``target`` the provider's word for the target mode; ``lb_sources`` the
    CIDRs the load balancer's own addresses come from (the source pods see when ``seen`` is
    LOAD_BALANCER)."""

    provider: str
    implementation: str
    why: str
    scheme: str
    scheme_why: str
    path: Path
    target: str
    seen: Seen
    ranges: Ranges
    health: HealthCheck | None
    reachable_from: tuple[str, ...] = ()
    lb_sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    cites: tuple[Cite, ...] = ()

    @property
    def internal(self) -> bool:
        return self.scheme == INTERNAL

    def reachable(self, ip: str) -> bool:
        """Whether a client at ``ip`` can reach the load balancer at all (its scheme)."""
        return not self.internal or ip_in(ip, self.reachable_from)

    def seen_addresses(self, client: str) -> tuple[str, ...]:
        """The source address(es) the load balancer hands on: the client's, or one address
        of each of its own subnets (a representative: the first host)."""
        if self.seen is Seen.CLIENT:
            return (client,)
        return tuple(first_host(c) for c in self.lb_sources)

    @property
    def label(self) -> str:
        return f"{self.provider}: {self.implementation}"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A provider parameter the manifests do not carry: its key, default and meaning."""

    key: str
    default: str
    help: str


@dataclass(frozen=True, slots=True)
class Params:
    """Provider parameters (``--provider-param KEY=VALUE`` or podpath.yaml), over the
    profile's documented defaults."""

    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def cidrs(self, key: str, default: str = "") -> tuple[str, ...]:
        """A comma-separated list of CIDRs."""
        return tuple(c.strip() for c in self.get(key, default).split(",") if c.strip())


ServiceRule = Callable[[Service, Params], "Decision | None"]
IngressRule = Callable[[Ingress, "IngressClass | None", Service | None, Params], "Decision | None"]
GatewayRule = Callable[[Gateway, GatewayClass, Params], "Decision | None"]
RangesRule = Callable[[Params], "tuple[str, ...] | None"]


def no_ingress(
    ingress: Ingress, cls: IngressClass | None, backend: Service | None, params: Params
) -> Decision | None:
    """A profile whose provider implements no Ingress controller."""
    return None


def no_gateway(gateway: Gateway, cls: GatewayClass, params: Params) -> Decision | None:
    """A profile whose provider implements no GatewayClass."""
    return None


def anywhere(params: Params) -> tuple[str, ...] | None:
    """No restriction (None)."""
    return None


def nowhere(params: Params) -> tuple[str, ...]:
    """No CIDR."""
    return ()


@dataclass(frozen=True, slots=True)
class Profile:
    """One provider's rules for each entry path, and its parameters.

    - ``service``: a LoadBalancer Service (None: not this provider's, e.g. another
      ``loadBalancerClass``);
    - ``ingress``: an Ingress whose class the provider's own controller implements
      (``ingress_controllers``): the load balancer *is* the entry point, no controller pods on
      the path; ``gateway`` likewise for a Gateway of the provider's GatewayClass;
    - ``pods_routable``: the CIDRs from which pod IPs are routed directly (pod IPs from the
      VPC; empty: from nowhere outside the cluster);
    - ``nodes_reachable``: the CIDRs from which the nodes (and so anything on them) can be
      reached at all, None: anywhere (a local cluster lives on the host's private network).
    """

    name: str
    title: str
    params: tuple[ParamSpec, ...]
    service: ServiceRule
    ingress: IngressRule = no_ingress
    gateway: GatewayRule = no_gateway
    ingress_controllers: tuple[str, ...] = ()
    gateway_controllers: tuple[str, ...] = ()
    pods_routable: Callable[[Params], tuple[str, ...]] = nowhere
    nodes_reachable: RangesRule = anywhere
    docs: tuple[Cite, ...] = ()

    def with_defaults(self, given: Mapping[str, str]) -> Params:
        """The parameters: the defaults, overridden by ``given``."""
        values = {p.key: p.default for p in self.params}
        values.update(given)
        return Params(values)


@dataclass(frozen=True, slots=True)
class Choice:
    """The provider in front of this cluster: its profile, the parameters in effect, and how
    it was chosen (``how``: given, from podpath.yaml, or what ``auto`` detected)."""

    profile: Profile
    params: Params
    how: str = ""

    @property
    def name(self) -> str:
        return self.profile.name

    def service(self, service: Service) -> Decision | None:
        return self.profile.service(service, self.params)

    def ingress(
        self, ingress: Ingress, cls: IngressClass | None, backend: Service | None
    ) -> Decision | None:
        return self.profile.ingress(ingress, cls, backend, self.params)

    def gateway(self, gateway: Gateway, cls: GatewayClass) -> Decision | None:
        return self.profile.gateway(gateway, cls, self.params)

    def implements_ingress(self, controller: str) -> bool:
        return controller in self.profile.ingress_controllers

    def implements_gateway(self, controller: str) -> bool:
        return controller in self.profile.gateway_controllers

    def pods_routable_from(self, ip: str) -> bool:
        return ip_in(ip, self.profile.pods_routable(self.params))

    def nodes_reachable_from(self, ip: str) -> bool:
        cidrs = self.profile.nodes_reachable(self.params)
        return cidrs is None or ip_in(ip, cidrs)


def ip_in(ip: str, cidrs: Sequence[str]) -> bool:
    """Whether ``ip`` is in any of ``cidrs`` (an unparsable address is in none)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for c in cidrs:
        net = ipaddress.ip_network(c, strict=False)
        if addr.version == net.version and addr in net:
            return True
    return False


def first_host(cidr: str) -> str:
    """The first usable address of a CIDR (the address itself for a /32 or /128)."""
    net = ipaddress.ip_network(cidr, strict=False)
    if net.num_addresses <= 2:
        return str(net.network_address)
    return str(net.network_address + 1)


def annotation_bool(service_or_ingress: Service | Ingress, key: str) -> bool | None:
    """An annotation read as a boolean (``"true"``/``"false"``, any case), None when absent."""
    value = service_or_ingress.annotations.get(key)
    if value is None:
        return None
    return value.strip().lower() == "true"


def annotation_list(service_or_ingress: Service | Ingress, key: str) -> tuple[str, ...]:
    """A comma-separated annotation (a stringList), without blanks."""
    value = service_or_ingress.annotations.get(key) or ""
    return tuple(v.strip() for v in value.split(",") if v.strip())


def annotation_map(service_or_ingress: Service | Ingress, key: str) -> dict[str, str]:
    """A ``k1=v1,k2=v2`` annotation (a stringMap)."""
    out: dict[str, str] = {}
    for item in annotation_list(service_or_ingress, key):
        k, _, v = item.partition("=")
        out[k.strip()] = v.strip()
    return out
