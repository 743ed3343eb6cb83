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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from podpath.cluster import Cluster
from podpath.dataplane.ipv4 import is_v4
from podpath.dataplane.plan import NodeNet, Plan
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.traffic_distribution import endpoints_for_client, zone_of
from podpath.model.services import Endpoint, Service, ServiceType

SVC_TABLE = "pp-svc"
POL_TABLE = "pp-pol"
SNAT_MARK = "0x4000"
PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}


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


def _targets(endpoints: Sequence[Endpoint]) -> list[tuple[str, int]]:
    return sorted({(e.ip, e.port) for e in endpoints if is_v4(e.ip)})


def _dnat(proto: str, targets: list[tuple[str, int]], affinity: bool, seed: str) -> str:
    """The DNAT statement load-balancing over ``targets``."""
    if len(targets) == 1:
        ip, port = targets[0]
        return f"meta l4proto {proto} dnat ip to {ip}:{port}"
    pairs = ", ".join(f"{i} : {ip} . {port}" for i, (ip, port) in enumerate(targets))
    if affinity:
        value = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16)
        chooser = f"jhash ip saddr mod {len(targets)} seed {value:#x}"
    else:
        chooser = f"numgen random mod {len(targets)}"
    return f"meta l4proto {proto} dnat ip to {chooser} map {{ {pairs} }}"


class _SvcRules:
    def __init__(self, node: NodeNet) -> None:
        self.node = node
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
            _dnat(proto, targets, affinity, seed)
        ]
        self.chains.append(f"  chain {name} {{\n" + "".join(f"    {b}\n" for b in body) + "  }\n")
        self.rules.append(f"{match} jump {name}")


def _service(
    rules: _SvcRules, svc: Service, cluster: Cluster, node: NodeNet, protocols: Iterable[str]
) -> None:
    affinity = svc.session_affinity == "ClientIP"
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
        internal = _targets(local if svc.internal_traffic_policy == "Local" else ready)
        external_local = svc.external_traffic_policy == "Local"
        external = _targets(local if external_local else ready)
        rules_wanted = [
            (f"ip daddr {ip} {proto} dport {sp.port}", internal, False)
            for ip in svc.cluster_ips
            if is_v4(ip)
        ]
        if svc.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER) and sp.node_port:
            rules_wanted.append(
                (f"ip daddr {node.ip} {proto} dport {sp.node_port}", external, not external_local)
            )
        outside = list(svc.external_ips)
        if svc.type is ServiceType.LOAD_BALANCER:
            outside += list(svc.lb_ingress)
        rules_wanted += [
            (f"ip daddr {ip} {proto} dport {sp.port}", external, not external_local)
            for ip in sorted({i for i in outside if is_v4(i)})
        ]
        some_ready = bool(_targets(ready))
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


def service_ruleset(
    cluster: Cluster, plan: Plan, node: NodeNet, protocols: Iterable[str] = ("TCP", "UDP")
) -> str:
    """The ``pp-svc`` table of one node (module docstring)."""
    protos = tuple(protocols)
    rules = _SvcRules(node)
    for svc in cluster.services:
        if svc.external_name is None and not svc.headless:
            _service(rules, svc, cluster, node, protos)
    local = [p.ip for p in plan.pods if p.node == node.name and not p.host_network]
    hairpin = ", ".join(f"{ip} . {ip}" for ip in local)
    out = [f"table ip {SVC_TABLE} {{\n"]
    out.append(
        "  set hairpin { type ipv4_addr . ipv4_addr; "
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
    out.append(
        "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
        f"    ct status dnat ip saddr . ip daddr @hairpin snat ip to {node.ip}\n"
        f"    ip daddr {INTERNET_IP} ip saddr != {node.ip} snat ip to {node.ip}\n"
        f"    meta mark {SNAT_MARK} snat ip to {node.ip}\n"
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


FLOW = "ipv4_addr . inet_proto . inet_service . ipv4_addr"


def policy_ruleset(plan: Plan, node: NodeNet, rules: PolicyRules) -> str:
    """The ``pp-pol`` table of one node: packets delivered to its pods pass only when allowed
    (``deliver``), and packets its pods send to addresses that are no pod's (the internet,
    nodes) only when their egress allows (``egress``, on the forward path, before the source
    NAT to the internet). The synthetic DNS server (no DNS pods in the model) is exempt."""
    local = sorted({p.ip for p in plan.pods if p.node == node.name and not p.host_network})
    pods = sorted({p.ip for p in plan.pods if not p.host_network})
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
    exempt = "" if plan.dns_in_pods else f"    ip daddr {plan.dns_ip} accept\n"
    return (
        f"table ip {POL_TABLE} {{\n"
        + _set("local", "ipv4_addr", local)
        + _set("pods", "ipv4_addr", pods)
        + _set("allow", FLOW, deliver, interval=True)
        + _set("egress", FLOW, egress, interval=True)
        + _set("hairpin", "ipv4_addr . ipv4_addr", [f"{ip} . {ip}" for ip in local])
        + "  chain deliver { type filter hook postrouting priority 110; policy accept;\n"
        "    ct state established,related accept\n"
        "    ip daddr != @local accept\n"
        "    meta l4proto icmp accept\n"
        "    ct original ip saddr . ip daddr @hairpin"
        " ct original ip saddr . meta l4proto . th dport . ip daddr @allow accept\n"
        "    ct original ip saddr . ip daddr @hairpin drop\n"
        f"    ip saddr {node.ip} accept\n"
        "    ip saddr . meta l4proto . th dport . ip daddr @allow accept\n"
        "    drop\n"
        "  }\n"
        "  chain egress { type filter hook forward priority 0; policy accept;\n"
        "    ct state established,related accept\n"
        "    ip saddr != @local accept\n"
        "    ip daddr @pods accept\n"
        f"{exempt}"
        "    meta l4proto != { tcp, udp } accept\n"
        "    ip saddr . meta l4proto . th dport . ip daddr @egress accept\n"
        "    drop\n"
        "  }\n"
        "}\n"
    )
