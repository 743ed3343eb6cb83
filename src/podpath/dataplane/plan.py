"""The data plane to build, computed from the resolved :class:`~podpath.cluster.Cluster`. No I/O.

Topology (everything named with the ``pp-`` prefix, every link inside a namespace it owns):

- ``pp-fabric``: the underlay, one bridge ``pp-br`` joining every node and the ``internet``.
- ``pp-n<i>``: one namespace per node, ``eth0`` on the fabric with the node's IP (/32 and
  on-link routes to the other nodes, their pod CIDRs routed through them), IP forwarding on.
  Its nftables tables play kube-proxy (``pp-svc``) and the CNI's policy agent (``pp-pol``).
- ``pp-p<i>``: one namespace per pod with an IP, its ``eth0`` a veth whose peer ``pp-v<i>``
  sits in the pod's node. Pods are *routed* (a /32 route per pod on the node, the pod's
  default route via the link-local gateway 169.254.1.1, as Calico does) rather than bridged,
  so that every packet between pods -- same node or not -- crosses a node's IP forwarding
  path where the Service NAT and the policy rules apply, with no ``br_netfilter``.
- ``pp-inet``: the ``internet`` client, on the fabric with the policy engine's
  ``INTERNET_IP`` (the address the model gives "internet"); it routes the
  load-balancer addresses to a node (a node with a ready local endpoint when
  ``externalTrafficPolicy: Local``, as a cloud load balancer's health check would choose),
  and node IPs directly. Pod and Service addresses are not routable from it.
- ``pp-dns``: the cluster DNS server at ``cluster.dns_ip`` when the DNS Service has no ready
  pod endpoints in the model (otherwise the DNS server answers inside those pods).

Host-network pods serve in their node's namespace.

IPv6 (dual stack, where the kernel allows it: ``build_plan(ipv6=True)``): a pod with an IPv6
address gets it too (``ip6``), routed the same way (a /128 per pod, default route via the
link-local gateway ``fe80::ecee:eeff:feee:eeee``, Calico's); each node gets its IPv6
InternalIP, or, when the model gives it none, an address of :data:`NODE6_NET` that only the
data plane uses (the source of its hairpin NAT; nothing in the model sees it). Services, policy
and DNS follow per family (:mod:`podpath.dataplane.nft`, :mod:`podpath.dataplane.policy`). The
internet client and the synthetic DNS server stay IPv4 only: the model gives them no IPv6
address. A pod without an IPv4 address (an IPv6-only cluster) is skipped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from podpath.cluster import Cluster
from podpath.cluster.service_network import is_dns_service
from podpath.dataplane.families import first_of, first_v4, is_v4
from podpath.dataplane.proxy import ProxyPort, proxy_ports
from podpath.errors import InputError
from podpath.model.core import Protocol
from podpath.model.services import ServiceType

MSG_BAD_PREFIX = (
    "PODPATH_PREFIX={value!r} is not `pp`, up to 6 lowercase letters or digits, and `-` "
    "(e.g. ppci-)"
)


def _prefix() -> str:
    """``pp-``, or ``PODPATH_PREFIX`` (``pp`` + up to 6 lowercase letters/digits + ``-``, e.g.
    ``ppci-``) to keep several environments on one machine apart: ``down`` only removes
    namespaces with its own prefix. Any other value is an error, never a fallback to ``pp-``
    (that would act on another environment's namespaces)."""
    value = os.environ.get("PODPATH_PREFIX", "pp-")
    if not re.fullmatch(r"pp[a-z0-9]{0,6}-", value):
        raise InputError(MSG_BAD_PREFIX.format(value=value))
    return value


PREFIX = _prefix()
FABRIC_NS = f"{PREFIX}fabric"
INTERNET_NS = f"{PREFIX}inet"
DNS_NS = f"{PREFIX}dns"
GATEWAY_IP = "169.254.1.1"
GATEWAY_MAC = "ee:ee:ee:ee:ee:ee"
GATEWAY6_IP = "fe80::ecee:eeff:feee:eeee"  # the link-local address of GATEWAY_MAC (EUI-64)
NODE6_NET = "fdff:7070:7070::"  # node i without a modelled IPv6 InternalIP: NODE6_NET + (i+1)
MSG_NO_IPV6 = (
    "IPv6: the kernel has IPv6 disabled (/proc/sys/net/ipv6); brought up and probed IPv4 only"
)
DNS_PORT = 53
MAX_INTERNET_PORTS = 12
UNNAMED_PORTS = (4444, 4445, 31999)


@dataclass(frozen=True, slots=True)
class Listener:
    """A port a pod's server listens on, and what it serves there (identity or DNS)."""

    port: int
    protocol: str  # "TCP" | "UDP" | "SCTP"
    serves: str = "identity"  # "identity" | "dns" | "proxy" (Ingress/Gateway HTTP proxy)


@dataclass(frozen=True, slots=True)
class PodNet:
    key: str
    netns: str
    ip: str
    node: str
    veth: str  # the host-side link in the node namespace
    host_network: bool
    listeners: tuple[Listener, ...]
    ip6: str | None = None  # brought up only with IPv6 (dual stack)


@dataclass(frozen=True, slots=True)
class NodeNet:
    name: str
    netns: str
    ip: str
    fabric_link: str
    pod_cidrs: tuple[str, ...]
    ip6: str | None = None  # the node's IPv6 address in the data plane (dual stack)
    ip6_modelled: bool = False  # ip6 is the node's IPv6 InternalIP (else NODE6_NET's)


@dataclass(frozen=True, slots=True)
class Plan:
    nodes: tuple[NodeNet, ...]
    pods: tuple[PodNet, ...]
    lb_routes: tuple[tuple[str, str], ...]  # (LB IP, node IP) routed from the internet
    dns_ip: str
    dns_in_pods: bool
    domain: str
    skipped: tuple[str, ...] = ()
    internet_listeners: tuple[Listener, ...] = ()  # served by the internet client (identity)
    proxies: tuple[ProxyPort, ...] = ()  # on declared TCP ports
    dual_stack: bool = False  # some pod of the model has addresses of both families
    ipv6: bool = False  # IPv6 is brought up (dual stack and the kernel allows it)

    @property
    def families(self) -> tuple[int, ...]:
        """The families brought up: (4,) or (4, 6)."""
        return (4, 6) if self.ipv6 else (4,)

    @property
    def netns_names(self) -> tuple[str, ...]:
        own = [FABRIC_NS, INTERNET_NS] + ([] if self.dns_in_pods else [DNS_NS])
        return tuple(
            own + [n.netns for n in self.nodes] + [p.netns for p in self.pods if not p.host_network]
        )

    def pod(self, key: str) -> PodNet | None:
        return next((p for p in self.pods if p.key == key), None)

    def node(self, name: str) -> NodeNet | None:
        return next((n for n in self.nodes if n.name == name), None)


def dns_endpoint_ports(cluster: Cluster) -> dict[str, set[tuple[int, str]]]:
    """Pod key -> the (target port, protocol) pairs of the cluster DNS Service's ready endpoints
    on its port 53: those pods serve DNS there."""
    out: dict[str, set[tuple[int, str]]] = {}
    for svc in cluster.services:
        if not is_dns_service(svc) or cluster.dns_ip not in svc.cluster_ips:
            continue
        for pe in cluster.endpoints.get(svc.key, ()):
            if pe.service_port.port != DNS_PORT:
                continue
            for ep in pe.ready:
                if ep.pod is not None:
                    out.setdefault(ep.pod, set()).add((ep.port, pe.service_port.protocol.value))
    return out


def _listeners(
    ports: list[tuple[int, str]], dns: set[tuple[int, str]], sctp: bool
) -> tuple[Listener, ...]:
    out = {}
    for port, proto in ports + sorted(dns):
        if proto == Protocol.SCTP.value and not sctp:
            continue
        out[(port, proto)] = Listener(port, proto, "dns" if (port, proto) in dns else "identity")
    return tuple(out[k] for k in sorted(out))


def build_plan(cluster: Cluster, *, sctp: bool = False, ipv6: bool = False) -> Plan:
    """The namespaces, links, addresses and listeners of :mod:`podpath.dataplane` (module doc);
    ``ipv6``: the kernel allows IPv6 (a dual-stack model then gets both families)."""
    skipped: list[str] = []
    dual = any(first_v4(p.ips) and first_of(p.ips, 6) for p in cluster.pods)
    ipv6 = ipv6 and dual
    if dual and not ipv6:
        skipped.append(MSG_NO_IPV6)
    proxies = proxy_ports(cluster)
    proxied = {(p.pod, p.target) for p in proxies}
    nodes: list[NodeNet] = []
    for i, model in enumerate(cluster.nodes):
        node_ip = first_v4(model.internal_ips)
        if node_ip is None:
            skipped.append(f"node {model.name}: no IPv4 InternalIP")
            continue
        cidrs = tuple(c for c in model.pod_cidrs if is_v4(c))
        own6 = first_of(model.internal_ips, 6) if ipv6 else None
        ip6 = (own6 or f"{NODE6_NET}{len(nodes) + 1:x}") if ipv6 else None
        nodes.append(
            NodeNet(model.name, f"{PREFIX}n{i}", node_ip, f"pp-f{i}", cidrs, ip6, own6 is not None)
        )
    by_node = {n.name: n for n in nodes}
    dns_ports = dns_endpoint_ports(cluster)
    pods = []
    host_ports: set[tuple[str, int, str]] = set()
    for i, pod in enumerate(cluster.pods):
        ip = first_v4(pod.ips)
        node = by_node.get(pod.node_name or "")
        if ip is None or node is None:
            skipped.append(f"pod {pod.key}: no IPv4 address or node")
            continue
        ports = [(p.container_port, p.protocol.value) for p in pod.ports]
        listeners = tuple(
            Listener(lst.port, lst.protocol, "proxy")
            if lst.protocol == "TCP" and lst.serves == "identity" and (pod.key, lst.port) in proxied
            else lst
            for lst in _listeners(ports, dns_ports.get(pod.key, set()), sctp)
        )
        if pod.host_network:
            mine = {(node.name, lst.port, lst.protocol) for lst in listeners}
            if mine & host_ports:
                skipped.append(f"pod {pod.key}: host port already taken on {node.name}")
                listeners = tuple(
                    lst
                    for lst in listeners
                    if (node.name, lst.port, lst.protocol) not in host_ports
                )
            host_ports |= mine
        netns = node.netns if pod.host_network else f"{PREFIX}p{i}"
        ip6 = first_of(pod.ips, 6) if ipv6 else None
        pods.append(
            PodNet(pod.key, netns, ip, node.name, f"pp-v{i}", pod.host_network, listeners, ip6)
        )
    if any(p.protocol is Protocol.SCTP for pod in cluster.pods for p in pod.ports) and not sctp:
        skipped.append("SCTP ports: the kernel has no SCTP support; not served, not probed")
    return Plan(
        nodes=tuple(nodes),
        pods=tuple(pods),
        lb_routes=_lb_routes(cluster, nodes),
        dns_ip=cluster.dns_ip,
        dns_in_pods=bool(dns_ports),
        domain=cluster.settings.cluster_domain,
        skipped=tuple(skipped),
        dual_stack=bool(dual),
        ipv6=bool(ipv6),
        internet_listeners=internet_listeners(cluster),
        proxies=tuple(
            p
            for p in proxies
            if any(
                q.key == p.pod
                and any(lst.serves == "proxy" and lst.port == p.target for lst in q.listeners)
                for q in pods
            )
        ),
    )


def internet_listeners(cluster: Cluster) -> tuple[Listener, ...]:
    """The ports the ``internet`` client serves, so that pods' egress to it can be probed: the
    first and last port of each numeric TCP/UDP port an egress rule names (NetworkPolicy
    ``port``/``endPort``, admin ``start``/``end``), plus one port no rule names
    (:data:`UNNAMED_PORTS`), at most :data:`MAX_INTERNET_PORTS`."""
    from podpath.engine.admin_policy import admin_policies
    from podpath.model.policy import Direction

    found: set[tuple[int, str]] = set()
    for pol in cluster.network_policies:
        for rule in pol.egress:
            for p in rule.ports:
                if isinstance(p.port, int) and p.protocol.value in ("TCP", "UDP"):
                    found |= {(p.port, p.protocol.value), (p.end_port or p.port, p.protocol.value)}
    for tier in ("Admin", "Baseline"):
        for apol in admin_policies(cluster, tier):
            for arule in apol.rules(Direction.EGRESS):
                for ap in arule.ports or ():
                    if ap.name is None and ap.protocol.value in ("TCP", "UDP"):
                        found |= {(ap.start, ap.protocol.value), (ap.end, ap.protocol.value)}
    ports = sorted(p for p in found if 0 < p[0] <= 65535)[: MAX_INTERNET_PORTS - 1]
    named = {n for n, _ in found}
    spare = next((n for n in UNNAMED_PORTS if n not in named), None)
    if spare is not None:
        ports.append((spare, "TCP"))
    return tuple(Listener(n, proto) for n, proto in ports)


def _lb_routes(cluster: Cluster, nodes: list[NodeNet]) -> tuple[tuple[str, str], ...]:
    """Each load-balancer address routed to one node: the first node with a ready local
    endpoint when ``externalTrafficPolicy: Local`` (the cloud health check), else the first."""
    if not nodes:
        return ()
    out: dict[str, str] = {}
    for svc in cluster.services:
        if svc.type is not ServiceType.LOAD_BALANCER:
            continue
        target = nodes[0]
        if svc.external_traffic_policy == "Local":
            local = {ep.node_name for pe in cluster.endpoints.get(svc.key, ()) for ep in pe.ready}
            target = next((n for n in nodes if n.name in local), nodes[0])
        for ip in list(svc.lb_ingress) + list(svc.external_ips):
            if is_v4(ip):
                out.setdefault(ip, target.ip)
    return tuple(sorted(out.items()))
