"""``trace``: the path of one connection through DNS, Services and NetworkPolicy, with reasons.

SRC is a pod (``NS/NAME``), an IP (a pod's, a node's, or outside the cluster) or ``internet``;
DST is a pod, a Service (``svc:NS/NAME``), a DNS name (resolved with SRC's resolv.conf), an IP
(pod, ClusterIP, load-balancer address, node IP + NodePort, or outside) or a URL.

The path, hop by hop (each hop a step, a detail and its objects):

- ``dns``: the name resolved as glibc in the source pod would (:mod:`podpath.engine.resolver`),
  a CNAME (ExternalName) shown, a name forwarded upstream ending outside the cluster;
  NXDOMAIN drops with "no such name".
- ``service``: a ClusterIP (or an in-cluster load-balancer/external IP, which kube-proxy also
  serves) maps a Service port to each endpoint's target port
  (https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service);
  a port the Service does not declare drops with "port not exposed", no ready endpoint with
  "no endpoints". ``internalTrafficPolicy: Local`` keeps the endpoints on the source's node.
  A headless Service's name resolves to the endpoints themselves: the port is the pod port.
- ``loadbalancer`` / ``nodeport`` / ``node`` (from ``internet``): ``loadBalancerSourceRanges``
  filters the client; the node forwards with source NAT to its own IP unless
  ``externalTrafficPolicy: Local`` (which keeps the client IP and only uses endpoints on the
  receiving node: the load balancer's health check avoids the others)
  (https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip).
  The source IP the policy sees is the node's (each node is tried) or the client's.
- ``service`` reached from a pod at a load-balancer or external IP: kube-proxy treats it as
  external traffic (its "external destinations" chain), never with ``internalTrafficPolicy``;
  with ``externalTrafficPolicy: Cluster`` it is masqueraded, so an endpoint on another node
  sees the source node's IP (an endpoint on the source's own node is filtered before the
  masquerade and sees the pod); with ``Local`` a pod's connection keeps its source and may use
  any endpoint ("subject to neither form of traffic policy", pkg/proxy/iptables/proxier.go).
- ``policy``: each endpoint pod's verdict from the NetworkPolicy engine, evaluated on the *pod*
  port (the Service port is never what a policy sees).

Verdict: ``allowed`` (every endpoint allowed), ``denied`` (none), ``partial`` (some),
``unreachable`` (no route: no such name, port not exposed, no endpoints, no listener).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from podpath.cluster import Cluster
from podpath.engine.dns import build_zone, fqdn, is_ip
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.resolver import (
    ResolvConf,
    namespace_resolv_conf,
    pod_resolv_conf,
    resolve,
    search_candidates,
)
from podpath.model.core import Pod, Protocol
from podpath.model.services import Endpoint, PortEndpoints, Service, ServicePort, ServiceType

INTERNET = "internet"
INTERNET_CLIENT_IP = INTERNET_IP  # one "client on the internet" for every layer (TEST-NET-3)

ALLOWED, DENIED, PARTIAL, UNREACHABLE = "allowed", "denied", "partial", "unreachable"

# Enumerated drop reasons (issue 3).
NO_SUCH_NAME = "no such name"
NO_ENDPOINTS = "no endpoints"
PORT_NOT_EXPOSED = "port not exposed"
NO_LISTENER = "no listener"
NO_ROUTE = "no route"
DENIED_EGRESS = "denied by egress isolation of {pod}"
DENIED_INGRESS = "denied by ingress isolation of {pod}"
DENIED_ADMIN = "denied by admin policy rule {rule}"
DENIED_SOURCE_RANGES = "denied by loadBalancerSourceRanges of {service}"

OPTIONS_IGNORED = (
    "--method/--header/--gateway/--ingress-class/--ingress-controller apply to a URL traced from "
    "outside the cluster (internet or an outside IP); ignored here"
)


@dataclass(frozen=True, slots=True)
class Hop:
    step: str
    detail: str
    objects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointVerdict:
    pod: str | None
    ip: str
    port: int
    verdict: str
    reasons: tuple[str, ...] = ()
    drop: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Who opens the connection. ``ips`` are the source addresses policies see (several when a
    node's source NAT may pick any node)."""

    kind: str  # "pod" | "ip" | "internet"
    label: str
    pod: Pod | None = None
    ip: str = ""


@dataclass(frozen=True, slots=True)
class PortSpec:
    """``--port PORT[/PROTO]``: a number or a name, and the protocol (default TCP)."""

    port: int | str | None
    protocol: Protocol = Protocol.TCP

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol}" if self.port is not None else "(every port)"


@dataclass(frozen=True, slots=True)
class Target:
    """A pod (or bare IP) the connection reaches, the port it arrives on, and from which source
    address (after any source NAT). ``seen_from``: when a source *pod*'s connection is
    masqueraded on its way (kube-proxy's external destinations), the address the receiving
    pod's ingress sees; the pod's own egress is still judged as the pod's."""

    ip: str
    port: int
    pod: Pod | None
    source_ips: tuple[str, ...]
    source_pod: Pod | None
    seen_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteOptions:
    """How a URL traced from outside is asked of the routing engine: ``--method``,
    ``--header`` (repeatable), ``--gateway NS/NAME`` or ``--ingress-class NAME`` (one entry
    point only), ``--ingress-controller NS/KEY=VALUE`` (the pods of the IngressClasses), as in
    ``podpath route`` (:func:`podpath.engine.routing.route_request`,
    :func:`podpath.engine.routing.entry_points`)."""

    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    gateway: str | None = None
    ingress_class: str | None = None
    ingress_controller: str | None = None

    @property
    def given(self) -> bool:
        """Whether any option differs from the default (a plain GET to every entry point)."""
        return self != RouteOptions()


@dataclass
class TraceResult:
    """The trace. ``paths``: when several entry points serve a URL's host, one result per
    entry point (``entry_point`` set), and this one sums them up (:mod:`trace_route`)."""

    verdict: str
    hops: list[Hop] = field(default_factory=list)
    endpoints: list[EndpointVerdict] = field(default_factory=list)
    drop: str | None = None
    notes: list[str] = field(default_factory=list)
    entry_point: str | None = None
    paths: list[TraceResult] = field(default_factory=list)


class TraceError(ValueError):
    """SRC/DST/port the cluster does not know (the command turns it into exit status 2)."""


def parse_port(text: str | None) -> PortSpec:
    """``80``, ``53/UDP``, ``http`` or ``http/TCP``."""
    if not text:
        return PortSpec(None)
    head, _, proto = text.partition("/")
    try:
        protocol = Protocol(proto.upper()) if proto else Protocol.TCP
    except ValueError:
        raise TraceError(f"unknown protocol {proto!r} (TCP, UDP, SCTP)") from None
    port: int | str = int(head) if head.isdigit() else head
    if isinstance(port, int) and not 0 < port < 65536:
        raise TraceError(f"port {port} out of range 1-65535")
    return PortSpec(port, protocol)


def parse_source(cluster: Cluster, text: str) -> Source:
    """A pod ``NS/NAME``, an IP (a pod's is that pod), or ``internet``."""
    if text.lower() == INTERNET:
        return Source(INTERNET, INTERNET, ip=INTERNET_CLIENT_IP)
    if is_ip(text):
        pod = cluster.pod_by_ip.get(text)
        if pod is not None:
            return Source("pod", pod.key, pod=pod, ip=text)
        node = cluster.node_at(text)
        return Source("ip", f"{text} (node {node.name})" if node else text, ip=text)
    pod = cluster.find_pod(text)
    if pod is None:
        raise TraceError(f"no pod {text!r} (SRC is NS/NAME, NS/WORKLOAD, an IP or internet)")
    return Source("pod", pod.key, pod=pod, ip=pod.ips[0] if pod.ips else "")


def ip_in(ip: str, cidrs: Sequence[str]) -> bool:
    addr = ipaddress.ip_address(ip)
    return any(addr in ipaddress.ip_network(c, strict=False) for c in cidrs)


def service_ports(service: Service, spec: PortSpec) -> list[ServicePort]:
    """The Service ports a ``--port`` names (all ports when none is given)."""
    if spec.port is None:
        return list(service.ports)
    if isinstance(spec.port, str):
        return [p for p in service.ports if p.name == spec.port and p.protocol is spec.protocol]
    return [p for p in service.ports if p.port == spec.port and p.protocol is spec.protocol]


def port_endpoints(cluster: Cluster, service: Service, port: ServicePort) -> PortEndpoints | None:
    for pe in cluster.endpoints.get(service.key, ()):
        if pe.service_port == port:
            return pe
    return None


def local_endpoints(endpoints: Sequence[Endpoint], node: str | None) -> list[Endpoint]:
    return [e for e in endpoints if e.node_name == node]


def pod_port(pod: Pod, spec: PortSpec) -> list[int]:
    """The pod ports a ``--port`` means for a pod destination: the number, a named container
    port, or (no ``--port``) every declared container port of that protocol."""
    if isinstance(spec.port, int):
        return [spec.port]
    if isinstance(spec.port, str):
        found = pod.find_named_port(spec.port, spec.protocol)
        return [found] if found is not None else []
    return sorted({p.container_port for p in pod.ports if p.protocol is spec.protocol})


def source_resolv_conf(cluster: Cluster, source: Source) -> ResolvConf:
    """The resolv.conf of the source pod, else of a ClusterFirst pod in ``default``."""
    if source.pod is not None:
        return pod_resolv_conf(source.pod, cluster)
    return namespace_resolv_conf("default", cluster)


def search_names(cluster: Cluster, source: Source, name: str) -> list[str]:
    """The names the source's resolver asks for ``name``, in order (fully qualified)."""
    return [fqdn(c) for c in search_candidates(name, source_resolv_conf(cluster, source))]


def resolve_name_upstream(
    cluster: Cluster, source: Source, name: str
) -> tuple[list[Hop], list[str], str | None, str | None]:
    """DNS hop: the addresses ``name`` resolves to from the source (:func:`source_resolv_conf`),
    a drop reason, and the name forwarded to upstream DNS (after any CNAME, e.g. an
    ExternalName Service's) when the cluster DNS does not answer it itself."""
    conf = source_resolv_conf(cluster, source)
    res = resolve(build_zone(cluster), conf, cluster.dns_ip, name, "A")
    upstream = res.upstream_name if res.upstream else None
    objects = tuple(dict.fromkeys(o for r in res.answers for o in r.objects))
    tried = " -> ".join(res.tried)
    if res.upstream and (res.upstream_name or "").count(".") == 1 and not res.answers:
        detail = (
            f"{name}: tried {tried}; only the single label {res.upstream_name} is left for "
            "upstream DNS, which has no such host (assumed)"
        )
        return [Hop("dns", detail, objects)], [], NO_SUCH_NAME, None
    if res.upstream:
        cnames = "".join(f"{r.name} CNAME {r.data}; " for r in res.answers if r.type == "CNAME")
        detail = (
            f"{name}: tried {tried}; {cnames}{res.upstream_name} forwarded upstream "
            "(address not modelled)"
        )
        return [Hop("dns", detail, objects)], [], None, upstream
    if not res.answers:
        hop = Hop("dns", f"{name}: {res.rcode} (tried {tried})", objects)
        return [hop], [], NO_SUCH_NAME, None
    chain = ", ".join(f"{r.name} {r.type} {r.data}" for r in res.answers)
    return [Hop("dns", f"{name}: {chain} (tried {tried})", objects)], res.addresses(), None, None


def aggregate(endpoints: Sequence[EndpointVerdict]) -> str:
    """allowed / denied / partial over the endpoints (an endpoint may itself be partial)."""
    verdicts = {e.verdict for e in endpoints}
    if verdicts == {ALLOWED}:
        return ALLOWED
    if verdicts == {DENIED}:
        return DENIED
    return PARTIAL


def service_ip_kind(service: Service, ip: str) -> str:
    if ip in service.cluster_ips:
        return "ClusterIP"
    if ip in service.lb_ingress:
        return "load-balancer address"
    return "external IP"


def is_exposed_externally(service: Service) -> bool:
    return service.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)
