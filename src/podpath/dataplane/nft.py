"""nftables rulesets for one node: the Service network (kube-proxy) and NetworkPolicy. No I/O.

Service network, as kube-proxy's nftables mode programs it
(https://kubernetes.io/docs/reference/networking/virtual-ips/):

- ClusterIP:port -> DNAT to a ready endpoint's IP and target port, chosen at random
  (``numgen random``); ``sessionAffinity: ClientIP`` hashes the client address instead
  (``jhash ip saddr``), so one client keeps one endpoint.
- ``internalTrafficPolicy: Local``: only endpoints on the client's node; none -> dropped.
  Otherwise (and for external traffic with ``externalTrafficPolicy: Cluster``) the endpoints
  kube-proxy's topology filter keeps for this node (``trafficDistribution``, see
  :mod:`podpath.engine.traffic_distribution`).
- NodePort on the node's address and LoadBalancer addresses (and ``externalIPs``) on every node:
  ``externalTrafficPolicy: Cluster`` -> any ready endpoint and source NAT to the node's IP;
  ``Local`` -> only this node's ready endpoints, client source kept; none -> dropped.
  https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip
- Hairpin: a pod reaching itself through a Service is source-NATed to its node's IP so that
  replies come back through the node (kube-proxy's masquerade of hairpin traffic).
- No ready endpoints: not DNATed; the Service CIDR and LB addresses are local to the node, so
  the client is refused (TCP reset, ICMP port unreachable), as kube-proxy rejects such traffic.

NetworkPolicy: packets delivered to a pod of this node (the ``postrouting`` hook after NAT, so
the destination port is the pod's port and the source is what the pod sees) must match an
allowed (source, protocol, port, destination) element computed by the policy engine (ingress
and egress combined); replies of allowed connections pass (``ct state established,related``),
and so does traffic from the pod's own node ("pods cannot block access from their resident
node", NetworkPolicy docs, "What you can't do with network policies"), which includes
external traffic source-NATed by the pod's own node. Hairpin traffic (a pod reaching itself
through a Service, source-NATed to its node so replies come back) is judged by its original
source, the pod itself, as the policy engine judges a pod's connection to itself.

Egress to addresses that are no pod's (the ``internet``, node IPs) is checked on the pod's node
(forward hook, after Service DNAT, before source NAT) against allowed (pod, protocol, port
range, address) elements; packets to the internet are then source-NATed to the node's IP, as a
cluster's outgoing traffic is masqueraded.

IPv6 (dual stack): the same tables again in the ``ip6`` family (``table ip6 pp-svc``,
``table ip6 pp-pol``), from the IPv6 ClusterIPs, endpoints, pod addresses and the node's IPv6
address, with ICMPv6 passed (neighbour discovery); NodePorts on the node's IPv6 InternalIP
where the model gives it one. There is no IPv6 internet client, hence no source NAT to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from podpath.cluster import Cluster
from podpath.dataplane.families import family_of
from podpath.dataplane.plan import NodeNet, Plan
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.traffic_distribution import endpoints_for_client, zone_of
from podpath.model.services import Endpoint, Service, ServiceType

SVC_TABLE = "pp-svc"
POL_TABLE = "pp-pol"
SNAT_MARK = "0x4000"
PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
# per family: the nftables table family / address match keyword, address type, ICMP protocol
NFT = {4: ("ip", "ipv4_addr", "icmp"), 6: ("ip6", "ipv6_addr", "ipv6-icmp")}


@dataclass(frozen=True, slots=True)
class Allow:
    """One allowed flow to a pod: from ``source`` (an address or CIDR) on ``protocol``/``port``
    (0: every port)."""

    source: str
    protocol: str
    port: int
    destination: str
    end_port: int | None = None  # the range port..end_port


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """What ``pp-pol`` enforces: ``ingress`` (flows delivered to pods, destination = a pod)
    and ``egress`` (flows from pods to addresses that are no pod's)."""

    ingress: tuple[Allow, ...]
    egress: tuple[Allow, ...]


def _ports(allow: Allow) -> str:
    if allow.end_port is not None and allow.end_port != allow.port:
        return f"{allow.port}-{allow.end_port}"
    return "0-65535" if allow.port == 0 and allow.end_port is None else str(allow.port)


def _targets(endpoints: Sequence[Endpoint], family: int = 4) -> list[tuple[str, int]]:
    return sorted({(e.ip, e.port) for e in endpoints if family_of(e.ip) == family})


def _dnat(
    proto: str, targets: list[tuple[str, int]], affinity: bool, seed: str, family: int = 4
) -> str:
    """The DNAT statement load-balancing over ``targets``."""
    ip_kw = NFT[family][0]
    if len(targets) == 1:
        ip, port = targets[0]
        where = f"[{ip}]:{port}" if family == 6 else f"{ip}:{port}"
        return f"meta l4proto {proto} dnat {ip_kw} to {where}"
    pairs = ", ".join(f"{i} : {ip} . {port}" for i, (ip, port) in enumerate(targets))
    if affinity:
        value = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
        chooser = f"jhash {ip_kw} saddr mod {len(targets)} seed {value:#x}"
    else:
        chooser = f"numgen random mod {len(targets)}"
    return f"meta l4proto {proto} dnat {ip_kw} to {chooser} map {{ {pairs} }}"


class _SvcRules:
    def __init__(self, node: NodeNet, family: int = 4) -> None:
        self.node = node
        self.family = family
        self.chains: list[str] = []
        self.rules: list[str] = []

    def add(
        self,
        match: str,
        targets: list[tuple[str, int]],
        proto: str,
        *,
        affinity: bool,
        snat: bool,
        seed: str,
        some_ready: bool = False,
    ) -> None:
        if not targets:
            if some_ready:  # a traffic policy of Local without a local endpoint: dropped
                self.rules.append(f"{match} drop")
            return  # no endpoint at all: rejected (unreachable route, or no listener on a node)
        name = f"s{len(self.chains)}"
        body = ([f"meta mark set {SNAT_MARK}"] if snat else []) + [
            _dnat(proto, targets, affinity, seed, self.family)
        ]
        self.chains.append(f"  chain {name} {{\n" + "".join(f"    {b}\n" for b in body) + "  }\n")
        self.rules.append(f"{match} jump {name}")


def _service(
    rules: _SvcRules, svc: Service, cluster: Cluster, node: NodeNet, protocols: Iterable[str]
) -> None:
    affinity = svc.session_affinity == "ClientIP"
    fam = rules.family
    kw = NFT[fam][0]
    node_ip = node.ip if fam == 4 else (node.ip6 if node.ip6_modelled else None)
    for pe in cluster.endpoints.get(svc.key, ()):
        sp = pe.service_port
        proto = PROTO[sp.protocol.value]
        if sp.protocol.value not in protocols:
            continue
        ready = list(pe.ready)
        local = [e for e in ready if e.node_name == node.name]
        near = endpoints_for_client(ready, node.name, zone_of(cluster.nodes, node.name))
        ready = list(near.endpoints)  # trafficDistribution: kube-proxy's topology filter
        seed = f"{svc.key}/{sp.port}/{proto}"
        internal = _targets(local if svc.internal_traffic_policy == "Local" else ready, fam)
        external_local = svc.external_traffic_policy == "Local"
        external = _targets(local if external_local else ready, fam)
        rules_wanted = [
            (f"{kw} daddr {ip} {proto} dport {sp.port}", internal, False)
            for ip in svc.cluster_ips
            if family_of(ip) == fam
        ]
        nodeport = svc.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)
        if (
            nodeport
            and sp.node_port
            and node_ip is not None
            and (fam == 4 or fam in svc.ip_families)
        ):
            rules_wanted.append(
                (f"{kw} daddr {node_ip} {proto} dport {sp.node_port}", external, not external_local)
            )
        outside = list(svc.external_ips)
        if svc.type is ServiceType.LOAD_BALANCER:
            outside += list(svc.lb_ingress)
        rules_wanted += [
            (f"{kw} daddr {ip} {proto} dport {sp.port}", external, not external_local)
            for ip in sorted({i for i in outside if family_of(i) == fam})
        ]
        some_ready = bool(_targets(ready, fam))
        for match, targets, snat in rules_wanted:
            rules.add(
                match,
                targets,
                proto,
                affinity=affinity,
                snat=snat,
                seed=seed,
                some_ready=some_ready,
            )


def _ip(pod_or_node: object, family: int) -> str | None:
    return getattr(pod_or_node, "ip" if family == 4 else "ip6", None)


def service_ruleset(
    cluster: Cluster,
    plan: Plan,
    node: NodeNet,
    protocols: Iterable[str] = ("TCP", "UDP"),
    family: int = 4,
) -> str:
    """The ``pp-svc`` table of one node for one IP family (module docstring)."""
    protos = tuple(protocols)
    rules = _SvcRules(node, family)
    for svc in cluster.services:
        if svc.external_name is None and not svc.headless:
            _service(rules, svc, cluster, node, protos)
    kw, addr, _ = NFT[family]
    own = _ip(node, family)
    local = [
        ip
        for p in plan.pods
        if p.node == node.name and not p.host_network and (ip := _ip(p, family)) is not None
    ]
    hairpin = ", ".join(f"{ip} . {ip}" for ip in local)
    out = [f"table {kw} {SVC_TABLE} {{\n"]
    out.append(
        f"  set hairpin {{ type {addr} . {addr}; "
        + (f"elements = {{ {hairpin} }} " if hairpin else "")
        + "}\n"
    )
    out.append("  chain services {\n" + "".join(f"    {r}\n" for r in rules.rules) + "  }\n")
    out.extend(rules.chains)
    out.append(
        "  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
        "    jump services\n  }\n"
    )
    out.append(
        "  chain output { type nat hook output priority -100; policy accept;\n"
        "    jump services\n  }\n"
    )
    internet = (
        f"    ip daddr {INTERNET_IP} ip saddr != {own} snat ip to {own}\n" if family == 4 else ""
    )
    out.append(
        "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
        f"    ct status dnat {kw} saddr . {kw} daddr @hairpin snat {kw} to {own}\n"
        f"{internet}"
        f"    meta mark {SNAT_MARK} snat {kw} to {own}\n"
        "  }\n"
    )
    out.append("}\n")
    return "".join(out)


def _set(name: str, kind: str, elements: Iterable[str], interval: bool = False) -> str:
    items = sorted(set(elements))
    flags = "flags interval; " if interval else ""
    body = (
        ("elements = {\n" + ",\n".join(f"      {e}" for e in items) + "\n    } ") if items else ""
    )
    return f"  set {name} {{ type {kind}; {flags}{body}}}\n"


def _flow(family: int) -> str:
    addr = NFT[family][1]
    return f"{addr} . inet_proto . inet_service . {addr}"


def policy_ruleset(plan: Plan, node: NodeNet, rules: PolicyRules, family: int = 4) -> str:
    """The ``pp-pol`` table of one node for one IP family: packets delivered to its pods pass
    only when allowed (``deliver``), and packets its pods send to addresses that are no pod's
    (the internet, nodes) only when their egress allows (``egress``, on the forward path,
    before the source NAT to the internet). The synthetic DNS server (no DNS pods in the
    model) is exempt."""
    kw, addr, icmp = NFT[family]
    own = _ip(node, family)
    policed = [p for p in plan.pods if not p.host_network]
    local = sorted(
        {ip for p in policed if p.node == node.name and (ip := _ip(p, family)) is not None}
    )
    pods = sorted({ip for p in policed if (ip := _ip(p, family)) is not None})
    mine = set(local)
    deliver = [
        f"{a.source} . {PROTO[a.protocol]} . {_ports(a)} . {a.destination}"
        for a in rules.ingress
        if a.destination in mine
    ]
    egress = [
        f"{a.source} . {PROTO[a.protocol]} . {_ports(a)} . {a.destination}"
        for a in rules.egress
        if a.source in mine
    ]
    exempt = f"    ip daddr {plan.dns_ip} accept\n" if not plan.dns_in_pods and family == 4 else ""
    flow = _flow(family)
    return (
        f"table {kw} {POL_TABLE} {{\n"
        + _set("local", addr, local)
        + _set("pods", addr, pods)
        + _set("allow", flow, deliver, interval=True)
        + _set("egress", flow, egress, interval=True)
        + _set("hairpin", f"{addr} . {addr}", [f"{ip} . {ip}" for ip in local])
        + "  chain deliver { type filter hook postrouting priority 110; policy accept;\n"
        "    ct state established,related accept\n"
        f"    {kw} daddr != @local accept\n"
        f"    meta l4proto {icmp} accept\n"
        f"    ct original {kw} saddr . {kw} daddr @hairpin"
        f" ct original {kw} saddr . meta l4proto . th dport . {kw} daddr @allow accept\n"
        f"    ct original {kw} saddr . {kw} daddr @hairpin drop\n"
        f"    {kw} saddr {own} accept\n"
        f"    {kw} saddr . meta l4proto . th dport . {kw} daddr @allow accept\n"
        "    drop\n"
        "  }\n"
        "  chain egress { type filter hook forward priority 0; policy accept;\n"
        "    ct state established,related accept\n"
        f"    {kw} saddr != @local accept\n"
        f"    {kw} daddr @pods accept\n"
        f"{exempt}"
        "    meta l4proto != { tcp, udp } accept\n"
        f"    {kw} saddr . meta l4proto . th dport . {kw} daddr @egress accept\n"
        "    drop\n"
        "  }\n"
        "}\n"
    )
