"""Stage 3, the address: what the IP (or Service) the client connects to is, and how the
connection arrives at the Service behind it.

From a pod (or node) inside the cluster:

- a pod IP: the pod itself, on the given port (a named port resolved against its containers;
  a port no container declares is still evaluated, with a note);
- a load-balancer address with ``ipMode: Proxy``: out to the load balancer, as from outside
  (:mod:`~podpath.analyze.trace.ip_mode`);
- a ClusterIP, or an in-cluster load-balancer/external IP (kube-proxy serves them too): the
  Service port(s) ``--port`` names (https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service),
  else "port not exposed"; the endpoints behind them are stage 5's. A load-balancer or
  external IP is external traffic for kube-proxy (its "external destinations" chain, never
  ``internalTrafficPolicy``): with ``externalTrafficPolicy: Cluster`` the connection is
  masqueraded to the source node's IP (:func:`external_masquerade`);
- a node IP: a NodePort, else a ``hostPort`` of a pod on that node, or a host-network pod
  declaring that port, else "no listener";
- any other address, or a name forwarded upstream: outside the cluster, egress only.

From outside (``internet`` or an outside IP):

- a load-balancer address (https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer):
  ``loadBalancerSourceRanges`` admits only clients in those CIDRs ("denied by
  loadBalancerSourceRanges of NS/NAME"); externalIPs have no source ranges;
- the node (https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip):
  ``externalTrafficPolicy: Cluster`` -> any node forwards to any ready endpoint with source NAT
  to the node's IP, so policies see a node address (every node is evaluated); ``Local`` -> the
  client IP is kept and only endpoints on the receiving node serve (the load balancer's health
  check sends only to nodes that have one; a NodePort asked on a node without one drops);
- a pod IP or ClusterIP: not routed from outside ("no route"); a Service that is neither
  LoadBalancer nor NodePort: not exposed.

kube-proxy implements "a form of virtual IP for Services of type other than ExternalName"
(https://kubernetes.io/docs/reference/networking/virtual-ips/): an address of an ExternalName
Service is not one of them (its name is stage 2's alias).

Where the connection arrives is an :class:`Addressed`: the leg so far, and a
:class:`~podpath.analyze.trace.endpoints.ServiceAddress` (kube-proxy on the client's node) or
:class:`~podpath.analyze.trace.endpoints.NodeForward` (a node forwarding to the endpoints) that
stage 5 takes on (``reach_*`` functions follow it there). An entry point's front hands over to
stage 4 instead (:func:`reach_entry_point`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

from podpath.analyze.trace.endpoints import NodeForward, ServiceAddress, behind
from podpath.analyze.trace.entry import through_entry_point
from podpath.analyze.trace.ip_mode import PROXY, ip_mode, proxied_client, proxied_spec
from podpath.analyze.trace.load_balancer import (
    lb_service_at,
    nodes_unreachable,
    provider_entry,
    provider_load_balancer,
)
from podpath.analyze.trace.question import ToAddress, ToService
from podpath.analyze.trace.values import (
    DENIED_SOURCE_RANGES,
    NO_LISTENER,
    NO_ROUTE,
    PORT_NOT_EXPOSED,
    Hop,
    Leg,
    PortSpec,
    Source,
    Target,
    TraceError,
    pick,
    source_ips,
)
from podpath.cluster import Cluster
from podpath.engine.route_address import is_ip_address
from podpath.model.core import Node, Pod
from podpath.model.routing import EntryPoint, Request, RouteAnswer
from podpath.model.services import Service, ServicePort, ServiceType


@dataclass(frozen=True, slots=True)
class Addressed:
    """Where the connection arrives: the leg so far, and the Service address or the node
    forwarding it that stage 5 takes from there (None: the leg has its targets, or dropped)."""

    leg: Leg
    arrival: ServiceAddress | NodeForward | None = None

    def followed(self, cluster: Cluster) -> Leg:
        """The leg on to the endpoints (stage 5)."""
        return self.leg + behind(cluster, self.arrival)


def service_ports(service: Service, spec: PortSpec) -> list[ServicePort]:
    """The Service ports a ``--port`` names (all ports when none is given)."""
    if spec.port is None:
        return list(service.ports)
    if isinstance(spec.port, str):
        return [p for p in service.ports if p.name == spec.port and p.protocol is spec.protocol]
    return [p for p in service.ports if p.port == spec.port and p.protocol is spec.protocol]


def pod_port(pod: Pod, spec: PortSpec) -> list[int]:
    """The pod ports a ``--port`` means for a pod destination: the number, a named container
    port, or (no ``--port``) every declared container port of that protocol."""
    if isinstance(spec.port, int):
        return [spec.port]
    if isinstance(spec.port, str):
        found = pod.find_named_port(spec.port, spec.protocol)
        return [found] if found is not None else []
    return sorted({p.container_port for p in pod.ports if p.protocol is spec.protocol})


def reach_ip(cluster: Cluster, source: Source, ip: str, spec: PortSpec) -> Leg:
    """An IP from inside, and on to the endpoints behind it."""
    return at_ip(cluster, source, ip, spec).followed(cluster)


def reach_service(cluster: Cluster, source: Source, service: Service, spec: PortSpec) -> Leg:
    """``svc:NS/NAME`` from inside (its ClusterIP), and on to its endpoints."""
    return at_service(cluster, source, service, spec, via=None).followed(cluster)


def reach_from_outside(
    cluster: Cluster, source: Source, dest: ToService | ToAddress, spec: PortSpec
) -> Leg:
    """``svc:NS/NAME`` or an address from outside, and on to the endpoints the node forwards
    to."""
    if isinstance(dest, ToService):
        return service_from_outside(cluster, source, dest.service, spec).followed(cluster)
    return ip_from_outside(cluster, source, dest.ip, spec).followed(cluster)


def at_pod(source: Source, pod: Pod, spec: PortSpec) -> Leg:
    """A pod destination: its IP on the given port(s)."""
    obj = (str(pod.ref),)
    ip = pick(pod.ips, source.family)
    if ip is None:
        return Leg((Hop("pod", f"{pod.key} has no IP", obj),), drop=NO_LISTENER)
    ports = pod_port(pod, spec)
    if not ports:
        what = f"no container port {spec}" if spec.port is not None else "no declared port"
        return Leg((Hop("pod", f"{pod.key}: {what}; pass --port", obj),), drop=PORT_NOT_EXPOSED)
    declared = {p.container_port for p in pod.ports if p.protocol is spec.protocol}
    detail = f"{pod.key} {ip} port {', '.join(map(str, ports))}/{spec.protocol}"
    notes: tuple[str, ...] = ()
    if any(p not in declared for p in ports):
        notes = (f"{pod.key} declares no container port {spec}; the connection may be refused",)
    targets = tuple(Target(ip, p, pod, source_ips(source), source.pod) for p in ports)
    return Leg((Hop("pod", detail, obj),), notes, targets)


def at_ip(cluster: Cluster, source: Source, ip: str, spec: PortSpec) -> Addressed:
    """An IP from inside: a pod, a Service, a node, or outside the cluster."""
    pod = cluster.pod_by_ip.get(ip)
    if pod is not None:
        return Addressed(at_pod(source, pod, spec))
    service = cluster.service_at(ip)
    if service is not None and service.external_name is None:  # kube-proxy skips ExternalName
        return at_service(cluster, source, service, spec, via=ip)
    node = cluster.node_at(ip)
    if node is not None:
        return at_node(cluster, source, node, ip, spec)
    if not isinstance(spec.port, int):
        raise TraceError(f"--port must be a number for an address outside the cluster ({ip})")
    hop = Hop("external", f"{ip} is outside the cluster: egress only", ())
    target = Target(ip, spec.port, None, source_ips(source), source.pod)
    return Addressed(Leg((hop,), targets=(target,)))


def at_service(
    cluster: Cluster, source: Source, service: Service, spec: PortSpec, *, via: str | None
) -> Addressed:
    """A Service from inside, by ``svc:`` (``via`` None: its ClusterIP) or at an address."""
    ports = service_ports(service, spec)
    if not ports:
        return Addressed(no_port(service, spec))
    if via is not None and ip_mode(service, via) == PROXY:
        out, seen = proxied_client(cluster, source, service, via, ports[0])
        if out.drop is not None:
            return Addressed(out)
        lb = load_balancer(cluster, seen, service, via, proxied_spec(ports[0]))
        return Addressed(out + lb.leg, lb.arrival)
    address = via or pick(service.cluster_ips, source.family) or "(headless)"
    kind = service_ip_kind(service, address) if via else "ClusterIP"
    external = via is not None and via not in service.cluster_ips
    masquerade = external_masquerade(cluster, source, service) if external else None
    arrival = ServiceAddress(service, tuple(ports), kind, address, external, masquerade, source)
    return Addressed(Leg(), arrival)


def no_port(service: Service, spec: PortSpec) -> Leg:
    declared = ", ".join(p.label for p in service.ports) or "none"
    detail = f"{service.key} has no port {spec} (ports: {declared})"
    return Leg((Hop("service", detail, (str(service.ref),)),), drop=PORT_NOT_EXPOSED)


def service_ip_kind(service: Service, ip: str) -> str:
    if ip in service.cluster_ips:
        return "ClusterIP"
    if ip in service.lb_ingress:
        return "load-balancer address"
    return "external IP"


def external_masquerade(cluster: Cluster, source: Source, service: Service) -> str | None:
    """The node IP a pod's connection to a load-balancer or external IP is masqueraded to, or
    None. kube-proxy sends it through the Service's "external destinations" chain: with
    ``externalTrafficPolicy: Cluster`` it is marked for masquerade; with ``Local``, traffic from
    a local pod goes to the cluster-wide endpoints with its source kept (pkg/proxy/iptables
    ``externalTrafficChain``). A host-network source already has the node's address."""
    pod = source.pod
    if pod is None or pod.host_network or service.external_traffic_policy == "Local":
        return None
    node = cluster.node_by_name.get(pod.node_name or "")
    return node.internal_ips[0] if node is not None and node.internal_ips else None


def ip_from_outside(cluster: Cluster, source: Source, ip: str, spec: PortSpec) -> Addressed:
    """An address asked from outside: a load-balancer address or externalIP, a node, or one
    not routed from outside."""
    for svc in cluster.services:
        lb = ip in svc.lb_ingress or ip in svc.lb_hostnames
        if lb and svc.type is ServiceType.LOAD_BALANCER:
            return load_balancer(cluster, source, svc, ip, spec)
        if ip in svc.external_ips:
            return load_balancer(cluster, source, svc, ip, spec, kind="externalIPs")
    tunnelled = lb_service_at(cluster, source.provider, ip)
    if tunnelled is not None:
        return load_balancer(cluster, source, tunnelled, ip, spec)
    pod = cluster.pod_by_ip.get(ip)
    if pod is not None and source.provider and source.provider.pods_routable_from(source.ip):
        return Addressed(at_pod(source, pod, spec))
    node = cluster.node_at(ip)
    off = nodes_unreachable(source, ip) if node is not None else None
    if node is not None:
        return Addressed(off) if off else at_node(cluster, source, node, ip, spec)
    what = (
        "a pod IP"
        if ip in cluster.pod_by_ip
        else "a ClusterIP"
        if cluster.service_at(ip)
        else "unknown"
    )
    hop = Hop("route", f"{ip} is {what}: not routed from outside the cluster", ())
    return Addressed(Leg((hop,), drop=NO_ROUTE))


def service_from_outside(
    cluster: Cluster, source: Source, service: Service, spec: PortSpec
) -> Addressed:
    """``svc:NS/NAME`` from outside: its load-balancer address, else its NodePort on the first
    node, else not exposed."""
    if service.type is ServiceType.LOAD_BALANCER and service.lb_ingress:
        return load_balancer(cluster, source, service, service.lb_ingress[0], spec)
    if service.type is ServiceType.LOAD_BALANCER and service.lb_hostnames and source.provider:
        return load_balancer(cluster, source, service, service.lb_hostnames[0], spec)
    if service.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER) and cluster.nodes:
        node = cluster.nodes[0]
        ports = service_ports(service, spec)
        if not ports:
            return Addressed(no_port(service, spec))
        port = replace(spec, port=ports[0].node_port)
        return at_node(cluster, source, node, node.internal_ips[0], port)
    detail = f"{service.key} is {service.type}: not exposed outside the cluster"
    return Addressed(Leg((Hop("route", detail, (str(service.ref),)),), drop=NO_ROUTE))


def load_balancer(
    cluster: Cluster,
    source: Source,
    service: Service,
    address: str,
    spec: PortSpec,
    kind: str = "load balancer",
) -> Addressed:
    """LB address -> Service port (source ranges checked) -> node (module docstring)."""
    obj = (str(service.ref),)
    ports = service_ports(service, spec)
    if not ports:
        return Addressed(no_port(service, spec))
    provided = (
        provider_load_balancer(cluster, source, service, address, ports[0])
        if kind == "load balancer"
        else None
    )
    if provided is not None:
        return Addressed(*provided)
    ranges = service.lb_source_ranges if kind == "load balancer" else ()
    if ranges and not ip_in(source.ip, ranges):
        detail = (
            f"{address}: client {source.ip} not in loadBalancerSourceRanges {', '.join(ranges)}"
        )
        drop = DENIED_SOURCE_RANGES.format(service=service.key)
        return Addressed(Leg((Hop("loadbalancer", detail, obj),), drop=drop))
    admitted = f" (client in loadBalancerSourceRanges {', '.join(ranges)})" if ranges else ""
    sp = ports[0]
    detail = f"{kind} {address} port {sp.label} -> Service {service.key}{admitted}"
    forward = node_forward(cluster, source, service, sp.port, None)
    return Addressed(Leg((Hop("loadbalancer", detail, obj),)) + forward.leg, forward.arrival)


def ip_in(ip: str, cidrs: Sequence[str]) -> bool:
    addr = ipaddress.ip_address(ip)
    return any(addr in ipaddress.ip_network(c, strict=False) for c in cidrs)


def node_forward(
    cluster: Cluster, source: Source, service: Service, port: int, node: Node | None
) -> Addressed:
    """The ``node`` hop: which endpoints the node forwards to, and with which source address
    (module docstring); the endpoints themselves are stage 5's."""
    sp = next(p for p in service.ports if p.port == port)
    if service.external_traffic_policy == "Local":
        where = (
            f"node {node.name}"
            if node is not None
            else "the nodes with a ready endpoint (the load balancer's health check skips "
            "the others)"
        )
        detail = f"externalTrafficPolicy Local: {where}; client IP {source.ip} kept"
        seen: tuple[str, ...] = (source.ip,)
        only = node.name if node is not None else None
    else:
        seen = (node.internal_ips[0],) if node is not None else node_ips(cluster)
        where = f"node {node.name}" if node is not None else "any node"
        detail = (
            f"externalTrafficPolicy Cluster: {where} forwards with source NAT to the node IP "
            f"({', '.join(seen)})"
        )
        only = None
    nodeport = f" nodePort {sp.node_port}" if sp.node_port else ""
    hop = Hop("node", detail + nodeport, (str(service.ref),))
    via = node.name if node is not None and only is None else None
    return Addressed(Leg((hop,)), NodeForward(service, sp, only, seen, via))


def node_ips(cluster: Cluster) -> tuple[str, ...]:
    return tuple(n.internal_ips[0] for n in cluster.nodes if n.internal_ips)


def at_node(cluster: Cluster, source: Source, node: Node, ip: str, spec: PortSpec) -> Addressed:
    """A node IP: a NodePort, else a hostPort or host-network pod on that node, else nothing."""
    if not isinstance(spec.port, int):
        raise TraceError(f"--port must be a number for a node address ({ip})")
    for svc in cluster.services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        for sp in svc.ports:
            if sp.node_port == spec.port and sp.protocol is spec.protocol:
                detail = f"node {node.name} {ip}:{spec.port} -> Service {svc.key} port {sp.label}"
                hop = Hop("nodeport", detail, (str(svc.ref), str(node.ref)))
                forward = node_forward(cluster, source, svc, sp.port, node)
                notes = (
                    ("from a pod, kube-proxy may treat NodePort traffic differently per mode",)
                    if source.pod is not None
                    else ()
                )
                return Addressed(Leg((hop,), notes) + forward.leg, forward.arrival)
    return Addressed(host_listener(cluster, source, node, spec))


def host_listener(cluster: Cluster, source: Source, node: Node, spec: PortSpec) -> Leg:
    """A ``hostPort`` or a host-network pod on the node listening on the port, else none."""
    port = spec.port
    for pod in (p for p in cluster.pods if p.node_name == node.name):
        for cp in pod.ports:
            if cp.protocol is not spec.protocol:
                continue
            if cp.host_port == port and pod.ips:
                detail = f"node {node.name} hostPort {port} -> {pod.key}:{cp.container_port}"
                target = Target(pod.ips[0], cp.container_port, pod, (source.ip,), source.pod)
                return Leg((Hop("hostport", detail, (str(pod.ref),)),), targets=(target,))
            if pod.host_network and cp.container_port == port:
                detail = f"node {node.name}:{port} -> host-network pod {pod.key}"
                target = Target(pod.ips[0], cp.container_port, pod, (source.ip,), source.pod)
                return Leg((Hop("hostnetwork", detail, (str(pod.ref),)),), targets=(target,))
    detail = (
        f"nothing listens on node {node.name} port {spec} "
        "(no NodePort, hostPort or host-network pod)"
    )
    return Leg((Hop("node", detail, (str(node.ref),)),), drop=NO_LISTENER)


def reach_entry_point(
    cluster: Cluster,
    source: Source,
    ep: EntryPoint,
    request: Request,
    answer: RouteAnswer,
    spec: PortSpec,
) -> Leg:
    """From outside to the Service in front of an entry point's pods, then through the entry
    point (stage 4)."""
    provided = provider_entry(cluster, source, ep, request, answer, spec)
    if provided is not None:
        return provided
    address = request.host if is_ip_address(request.host) else None
    front = _entry_front(cluster, source, ep, request.port, spec, address)
    if front.leg.drop is not None:
        return front.leg
    rest = through_entry_point(
        cluster, ep, request, answer, front.arrival, front.leg.targets, spec, source.family
    )
    return front.leg + rest


def _entry_front(
    cluster: Cluster,
    source: Source,
    ep: EntryPoint,
    port: int,
    spec: PortSpec,
    address: str | None,
) -> Addressed:
    """Client -> the Service in front of the entry point's pods: the load-balancer address
    (``address`` when the URL's host is that IP), else a NodePort on the first node, else the
    pods directly (with a note)."""
    front = [cluster.service_by_key[k] for k in ep.services if k in cluster.service_by_key]
    entry = PortSpec(port, spec.protocol)
    if address is not None:
        for svc in front:
            if svc.type is ServiceType.LOAD_BALANCER and address in svc.lb_ingress:
                return load_balancer(cluster, source, svc, address, entry)
        node = cluster.node_at(address)
        if node is not None:
            return at_node(cluster, source, node, address, entry)
    for svc in front:
        if svc.type is ServiceType.LOAD_BALANCER and svc.lb_ingress:
            return load_balancer(cluster, source, svc, svc.lb_ingress[0], entry)
    for svc in front:
        if svc.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER) and cluster.nodes:
            sp = next((p for p in svc.ports if p.port == port), None)
            if sp is not None and sp.node_port:
                node = cluster.nodes[0]
                return at_node(cluster, source, node, node.internal_ips[0], PortSpec(sp.node_port))
    off = nodes_unreachable(source, ep.label)
    if off is not None:
        return Addressed(off)
    note = (
        f"no LoadBalancer/NodePort Service in front of {ep.label}: assuming the client reaches "
        "its pods directly (hostNetwork/hostPort)"
    )
    pods = [cluster.pod_by_key[k] for k in ep.pods if k in cluster.pod_by_key]
    targets = tuple(Target(p.ips[0], port, p, (source.ip,), None) for p in pods if p.ips)
    return Addressed(Leg(notes=(note,), targets=targets))
