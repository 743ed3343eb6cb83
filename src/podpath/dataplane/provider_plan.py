"""The cloud load balancer of a provider profile (``up --provider``), as packets meet it. No I/O.

Without a profile the ``internet`` client routes each load-balancer address to a node
(:mod:`podpath.dataplane.plan`). With one, an *edge* namespace (``pp-edge``) stands between
every client outside and the cluster, and does what the profile's
:class:`~podpath.engine.providers.base.Decision` says for each of the provider's LoadBalancer
Services -- the decision is the engine's (``Choice.service``), never recomputed here:

- **scheme**: an internal load balancer answers only clients in ``reachable_from`` (the VPC,
  the VNet, the host); any other client gets ICMP net-unreachable (``trace``: no route);
- **source ranges**: enforced at the edge when the provider's firewall does it before the node
  (security group, NSG, VPC firewall, Envoy; ``Ranges.admits``, with the NSG's VNet bypass),
  on the node when only kube-proxy does (:data:`KUBE_PROXY`); ignored ranges are not enforced;
- **path**: ``pod-direct`` -- DNAT to the ready endpoints' pod IPs and target ports (EKS target
  type ip, GKE NEGs), no NodePort, no kube-proxy; ``nodeport`` -- DNAT to the NodePort of the
  nodes the load balancer uses (every node, or with ``externalTrafficPolicy: Local`` the ones
  with a ready endpoint, which the health check keeps), where kube-proxy applies
  ``externalTrafficPolicy``; ``passthrough`` -- routed to one node, destination unchanged (GKE,
  AKS floating IP, MetalLB); ``cluster-ip`` -- routed to a node, which masquerades (minikube
  tunnel);
- **the source handed on**: the client's, or (``Seen.LOAD_BALANCER``) source NAT to the load
  balancer's own address, ``Decision.seen_addresses`` (an ALB, an NLB without client IP
  preservation).

Clients: ``internet`` (the policy engine's 203.0.113.1) and one client inside each range an
internal load balancer serves (``pp-c<i>``, the last free address of the range), so that both
sides of the scheme are probed. Load balancers known only by a host name get an address of
:data:`HOSTNAME_VIPS` (nothing resolves cloud DNS names here). Every client and node routes
the others through the edge, so both directions of a connection cross it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace

from podpath.cluster import Cluster
from podpath.dataplane.families import is_v4
from podpath.dataplane.plan import PREFIX, Plan
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.providers.base import Choice, Decision, Path, first_host
from podpath.model.services import Service, ServiceType

EDGE_NS = f"{PREFIX}edge"
EDGE_IP = "198.18.0.1"  # RFC 2544 benchmarking space: no cluster's, no internet's
HOSTNAME_VIPS = "198.19.0.0/16"
KUBE_PROXY = "kube-proxy"
MAX_CLIENTS = 4


@dataclass(frozen=True, slots=True)
class Client:
    """A client outside the cluster: ``name`` (``internet`` or its address), its namespace,
    the fabric link, and the address trace is asked from."""

    name: str
    netns: str
    link: str
    ip: str

    @property
    def trace_source(self) -> str:
        return "internet" if self.ip == INTERNET_IP else self.ip


@dataclass(frozen=True, slots=True)
class Frontend:
    """One (load-balancer address, Service port) of a provider's load balancer (module
    docstring). ``targets``: where the edge DNATs (pod IPs for pod-direct, node IPs and the
    NodePort for nodeport); ``via``: the node the address is routed to (passthrough,
    cluster-ip); ``snat``: the load balancer's address handed on, None: the client's kept;
    ``reachable_from``: the sources an internal one answers (None: every source);
    ``edge_ranges`` / ``node_ranges``: the sources admitted at the edge / by kube-proxy (None:
    every source)."""

    service: str
    address: str
    port: int
    protocol: str
    path: str
    label: str
    targets: tuple[tuple[str, int], ...] = ()
    via: str | None = None
    snat: str | None = None
    reachable_from: tuple[str, ...] | None = None
    edge_ranges: tuple[str, ...] | None = None
    node_ranges: tuple[str, ...] | None = None
    health: tuple[str, int] | None = None  # (source, port) of a health check to the pods


@dataclass(frozen=True, slots=True)
class ProviderPlan:
    name: str
    params: dict[str, str]
    frontends: tuple[Frontend, ...]
    clients: tuple[Client, ...]
    lb_addresses: tuple[str, ...]  # the edge's own addresses handed on (source NAT)
    nodes_reachable: tuple[str, ...] | None  # None: the nodes are reachable from anywhere
    skipped: tuple[str, ...] = ()

    @property
    def netns_names(self) -> tuple[str, ...]:
        return (EDGE_NS, *(c.netns for c in self.clients if c.ip != INTERNET_IP))

    @property
    def extra_sources(self) -> tuple[str, ...]:
        """Addresses pods may see that the generic plan has no element for."""
        return tuple(
            sorted(set(self.lb_addresses) | {c.ip for c in self.clients if c.ip != INTERNET_IP})
        )

    def frontend_services(self) -> set[str]:
        return {f.service for f in self.frontends}


def _addresses(svc: Service, decision: Decision, taken: set[str], free: Iterable[str]) -> list[str]:
    if decision.path is Path.CLUSTER_IP:
        return [ip for ip in svc.cluster_ips if is_v4(ip)][:1]
    own = sorted({ip for ip in svc.lb_ingress if is_v4(ip)})
    if own:
        return own
    ip = next((a for a in free if a not in taken), None)
    return [ip] if ip is not None else []


def _ranges(decision: Decision) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """(edge, node) admitted sources: ``Ranges.at`` names who enforces them."""
    r = decision.ranges
    if r.ignored is not None or not r.cidrs:
        return None, None
    at = r.at.lower()
    if at.startswith(KUBE_PROXY):  # kube-proxy alone (MetalLB, minikube)
        return None, r.cidrs
    return tuple(sorted({*r.cidrs, *r.bypass})), None


def _frontends(
    cluster: Cluster, plan: Plan, svc: Service, decision: Decision, addresses: list[str]
) -> list[Frontend]:
    node_ips = {n.name: n.ip for n in plan.nodes}
    edge, node = _ranges(decision)
    reach = decision.reachable_from if decision.internal else None
    seen = [a for a in decision.seen_addresses(INTERNET_IP) if is_v4(a)]
    snat = seen[0] if decision.seen.value == "load-balancer" and seen else None
    out = []
    for pe in cluster.endpoints.get(svc.key, ()):
        sp = pe.service_port
        ready = [e for e in pe.ready if is_v4(e.ip)]
        local = {e.node_name for e in ready}
        via: str | None = None
        targets: tuple[tuple[str, int], ...] = ()
        if decision.path is Path.POD_DIRECT:
            targets = tuple(sorted({(e.ip, e.port) for e in ready}))
        elif decision.path is Path.NODE_PORT and sp.node_port:
            names = [n.name for n in plan.nodes]
            if svc.external_traffic_policy == "Local":
                names = [n for n in names if n in local]
            targets = tuple((node_ips[n], sp.node_port) for n in names)
        elif decision.path in (Path.PASSTHROUGH, Path.CLUSTER_IP) and plan.nodes:
            first = next((n for n in plan.nodes if n.name in local), plan.nodes[0])
            via = first.ip if svc.external_traffic_policy == "Local" else plan.nodes[0].ip
        label = f"{decision.label}: {decision.path} ({decision.target})"
        health = _health(decision, targets)
        for address in addresses:
            port = sp.port
            out.append(
                Frontend(
                    svc.key,
                    address,
                    port,
                    sp.protocol.value,
                    decision.path.value,
                    label,
                    targets,
                    via,
                    snat,
                    reach,
                    edge,
                    node,
                    health,
                )
            )
    return out


def _health(decision: Decision, targets: tuple[tuple[str, int], ...]) -> tuple[str, int] | None:
    """The health check the load balancer sends to the pods themselves (``HealthCheck.to_pods``,
    e.g. EKS ip targets from the NLB's subnets): from the first address of its first source
    range, on the traffic port (0) or the port it names; None when it checks the nodes."""
    hc = decision.health
    if hc is None or not hc.to_pods or not targets:
        return None
    sources = [first_host(c) for c in hc.sources if is_v4(c.split("/")[0])]
    if not sources:
        return None
    return sources[0], int(hc.port) if hc.port.isdigit() else 0


def _client_ip(cidr: str, taken: set[str]) -> str | None:
    """The last usable address of ``cidr`` nobody uses (the address of a /32)."""
    net = ipaddress.ip_network(cidr, strict=False)
    if net.version != 4:
        return None
    if net.num_addresses <= 2:
        ip = str(net.network_address)
        return None if ip in taken else ip
    top = int(net.broadcast_address) - 1
    for value in range(top, max(top - 256, int(net.network_address)), -1):
        ip = str(ipaddress.ip_address(value))
        if ip not in taken:
            return ip
    return None


def build_provider_plan(cluster: Cluster, plan: Plan, choice: Choice) -> ProviderPlan:
    """The edge, its frontends and its clients for ``choice`` (module docstring)."""
    taken = {n.ip for n in plan.nodes} | {p.ip for p in plan.pods} | {INTERNET_IP, EDGE_IP}
    taken |= {ip for ip, _ in plan.lb_routes}
    free = (str(ip) for ip in ipaddress.ip_network(HOSTNAME_VIPS).hosts())
    frontends: list[Frontend] = []
    skipped: list[str] = []
    lb_addresses: set[str] = set()
    for svc in cluster.services:
        if svc.type is not ServiceType.LOAD_BALANCER:
            continue
        decision = choice.service(svc)
        if decision is None:
            continue
        addresses = _addresses(svc, decision, taken, free)
        if not addresses:
            skipped.append(f"{svc.key}: no IPv4 load-balancer address ({choice.name})")
            continue
        taken |= set(addresses)
        fronts = _frontends(cluster, plan, svc, decision, addresses)
        for f in fronts:
            if f.health is not None and f.health[0] in taken - lb_addresses:
                f = replace(f, health=None)  # its source is a node's or a pod's
            # the load balancer's address may be its own frontend (an Envoy container: kind)
            if f.snat is not None and f.snat in taken - lb_addresses - set(addresses):
                skipped.append(f"{svc.key}: load-balancer address {f.snat} is in use")
                continue
            for own in (f.snat, f.health[0] if f.health else None):
                if own is not None:
                    lb_addresses.add(own)
                    taken.add(own)
            frontends.append(f)
    clients = _clients(frontends, taken)
    reachable = choice.profile.nodes_reachable(choice.params)
    return ProviderPlan(
        choice.name,
        dict(choice.params.values),
        tuple(frontends),
        tuple(clients),
        tuple(sorted(lb_addresses)),
        reachable,
        tuple(skipped),
    )


def _clients(frontends: list[Frontend], taken: set[str]) -> list[Client]:
    """``internet``, and a client in each range an internal load balancer serves or a source
    range admits (module docstring)."""
    clients = [Client("internet", f"{PREFIX}inet", "pp-finet", INTERNET_IP)]
    wanted = sorted({f.reachable_from[0] for f in frontends if f.reachable_from})
    wanted += sorted({f.edge_ranges[0] for f in frontends if f.edge_ranges} - set(wanted))
    for cidr in wanted:
        if len(clients) >= MAX_CLIENTS:
            break
        ip = _client_ip(cidr, taken)
        if ip is None or ipaddress.ip_address(INTERNET_IP) in _net(cidr):
            continue  # the internet client is already inside it
        taken.add(ip)
        i = len(clients) - 1
        clients.append(Client(ip, f"{PREFIX}c{i}", f"pp-fc{i}", ip))
    return clients


def _net(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(cidr, strict=False)
