"""The edge of ``up --provider``: its links, routes and nftables table, as text. No I/O.

What each rule does and why is in :mod:`podpath.dataplane.provider_plan`. Every name is the
prefix's: the namespaces ``pp-edge`` and ``pp-c<i>``, the fabric links ``pp-fedge`` and
``pp-fc<i>`` (in ``pp-fabric``), and the table ``pp-prov`` (in ``pp-edge``, and in a node only
when kube-proxy enforces source ranges or masquerades a tunnelled ClusterIP).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from podpath.dataplane.nft import PROTO, SNAT_MARK
from podpath.dataplane.plan import NodeNet, Plan
from podpath.dataplane.provider_plan import EDGE_IP, EDGE_NS, Client, Frontend, ProviderPlan
from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.providers.base import Path

PROV_TABLE = "pp-prov"
EDGE_LINK = "pp-fedge"
DNATED = (Path.POD_DIRECT.value, Path.NODE_PORT.value)


def fabric_lines(pplan: ProviderPlan) -> list[str]:
    """The edge's and the extra clients' links on the fabric bridge."""
    ends = [(EDGE_LINK, EDGE_NS)] + [
        (c.link, c.netns) for c in pplan.clients if c.ip != INTERNET_IP
    ]
    lines: list[str] = []
    for link, ns in ends:
        lines += [
            f"link add {link} type veth peer name eth0 netns {ns}",
            f"link set {link} master pp-br up",
        ]
    return lines


def client_lines(client: Client) -> list[str]:
    """A client outside: its address, everything through the edge."""
    return [
        "link set lo up",
        f"addr add {client.ip}/32 dev eth0",
        "link set eth0 up",
        f"route add {EDGE_IP}/32 dev eth0 scope link",
        f"route add default via {EDGE_IP} dev eth0 onlink",
    ]


def _routed(plan: Plan, pplan: ProviderPlan) -> dict[str, str]:
    """Address -> node IP the edge routes it to: passthrough/cluster-ip frontends, then the
    generic plan's load-balancer routes for Services the provider does not take."""
    out: dict[str, str] = {}
    mine = {f.address for f in pplan.frontends}
    for f in pplan.frontends:
        if f.via is not None:
            out.setdefault(f.address, f.via)
    for ip, node_ip in plan.lb_routes:
        if ip not in mine:
            out.setdefault(ip, node_ip)
    return out


def edge_lines(plan: Plan, pplan: ProviderPlan) -> list[str]:
    """The edge: its addresses (its own, and the ones it hands on), routes to the nodes and
    clients on the fabric, to the pods through their nodes (pod-direct targets), to the
    routed load-balancer addresses; DNATed addresses are local (refused without a target)."""
    lines = ["link set lo up", f"addr add {EDGE_IP}/32 dev eth0"]
    lines += [f"addr add {ip}/32 dev eth0" for ip in pplan.lb_addresses]
    lines.append("link set eth0 up")
    lines += [f"route add {n.ip}/32 dev eth0 scope link" for n in plan.nodes]
    lines += [f"route add {c.ip}/32 dev eth0 scope link" for c in pplan.clients]
    for pod in plan.pods:
        owner = plan.node(pod.node)
        if owner is not None and not pod.host_network:
            lines.append(f"route add {pod.ip}/32 via {owner.ip} dev eth0 onlink")
    for ip, node_ip in sorted(_routed(plan, pplan).items()):
        lines.append(f"route replace {ip}/32 via {node_ip} dev eth0 onlink")
    local = sorted({f.address for f in pplan.frontends if f.path in DNATED})
    lines += [f"route replace local {ip}/32 dev lo" for ip in local]
    return lines


def node_lines(plan: Plan, pplan: ProviderPlan) -> list[str]:
    """A node: the internet, the other clients and the handed-on addresses through the edge
    (a handed-on address that is also a load-balancer address is no longer the node's)."""
    routed = {ip for ip, _ in plan.lb_routes}
    lines = [f"route del local {ip}/32 dev lo" for ip in pplan.lb_addresses if ip in routed]
    lines += [
        f"route add {EDGE_IP}/32 dev eth0 scope link",
        f"route replace {INTERNET_IP}/32 via {EDGE_IP} dev eth0 onlink",
    ]
    others = sorted({*pplan.lb_addresses, *(c.ip for c in pplan.clients)} - {INTERNET_IP})
    lines += [f"route replace {ip}/32 via {EDGE_IP} dev eth0 onlink" for ip in others]
    return lines


def _cidrs(cidrs: Iterable[str]) -> str:
    """An nft set of CIDRs, overlaps merged (an interval set refuses overlapping elements)."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    merged = ipaddress.collapse_addresses(n for n in nets if isinstance(n, ipaddress.IPv4Network))
    return "{ " + ", ".join(str(n) for n in merged) + " }"


def _match(f: Frontend, original: bool) -> str:
    proto = PROTO[f.protocol]
    if original:
        return (
            f"ct original ip daddr {f.address} meta l4proto {proto} ct original proto-dst {f.port}"
        )
    return f"ip daddr {f.address} {proto} dport {f.port}"


def _dnat(f: Frontend) -> str:
    proto = PROTO[f.protocol]
    if len(f.targets) == 1:
        ip, port = f.targets[0]
        return f"meta l4proto {proto} dnat ip to {ip}:{port}"
    pairs = ", ".join(f"{i} : {ip} . {port}" for i, (ip, port) in enumerate(f.targets))
    n = len(f.targets)
    return f"meta l4proto {proto} dnat ip to numgen random mod {n} map {{ {pairs} }}"


def _gate(plan: Plan, pplan: ProviderPlan) -> list[str]:
    rules = ["ct state established,related accept"]
    for f in pplan.frontends:
        if f.reachable_from is not None:
            allowed = _cidrs(f.reachable_from) if f.reachable_from else None
            cond = f"ip saddr != {allowed} " if allowed else ""
            rules.append(f"{_match(f, True)} {cond}reject with icmp type net-unreachable")
        if f.edge_ranges:
            rules.append(f"{_match(f, True)} ip saddr != {_cidrs(f.edge_ranges)} drop")
    if pplan.nodes_reachable is not None and plan.nodes:
        nodes = "{ " + ", ".join(n.ip for n in plan.nodes) + " }"
        cond = f"ip saddr != {_cidrs(pplan.nodes_reachable)} " if pplan.nodes_reachable else ""
        rules.append(f"ct original ip daddr {nodes} {cond}reject with icmp type net-unreachable")
    return rules


def edge_ruleset(plan: Plan, pplan: ProviderPlan) -> str:
    """The edge's ``pp-prov`` table: the gate (scheme, source ranges, node reachability) on
    the input and forward paths, DNAT of pod-direct and nodeport frontends, source NAT to the
    load balancer's address where it hands on its own."""
    marks = {ip: f"{0x100 + i:#x}" for i, ip in enumerate(pplan.lb_addresses)}
    chains: list[str] = []
    jumps: list[str] = []
    for f in pplan.frontends:
        if f.path not in DNATED or not f.targets:
            if f.snat is not None and f.via is not None:
                jumps.append(f"{_match(f, False)} meta mark set {marks[f.snat]}")
            continue
        name = f"f{len(chains)}"
        body = ([f"meta mark set {marks[f.snat]}"] if f.snat is not None else []) + [_dnat(f)]
        chains.append(f"  chain {name} {{\n" + "".join(f"    {b}\n" for b in body) + "  }\n")
        jumps.append(f"{_match(f, False)} jump {name}")
    gate = _gate(plan, pplan)
    post = [f"meta mark {mark} snat ip to {ip}" for ip, mark in marks.items()]
    return (
        f"table ip {PROV_TABLE} {{\n"
        + "  chain gate {\n"
        + "".join(f"    {r}\n" for r in gate)
        + "  }\n"
        + "  chain input { type filter hook input priority 0; policy accept; jump gate; }\n"
        + "  chain forward { type filter hook forward priority 0; policy accept; jump gate; }\n"
        + "".join(chains)
        + "  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
        + "".join(f"    {j}\n" for j in jumps)
        + "  }\n"
        + "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
        + "".join(f"    {p}\n" for p in post)
        + "  }\n"
        + "}\n"
    )


def node_ruleset(pplan: ProviderPlan, node: NodeNet) -> str:
    """A node's ``pp-prov`` table, or "" when it needs none: kube-proxy's source ranges on
    the load-balancer address (dropped), and the masquerade of a ClusterIP reached from
    outside (the mark ``pp-svc`` source-NATs to the node)."""
    rules: list[str] = []
    for f in pplan.frontends:
        if f.node_ranges:
            rules.append(
                f'iifname "eth0" {_match(f, False)} ip saddr != {_cidrs(f.node_ranges)} drop'
            )
        if f.path == Path.CLUSTER_IP.value:
            rules.append(f'iifname "eth0" {_match(f, False)} meta mark set {SNAT_MARK}')
    if not rules:
        return ""
    return (
        f"table ip {PROV_TABLE} {{\n"
        "  chain prerouting { type filter hook prerouting priority -150; policy accept;\n"
        + "".join(f"    {r}\n" for r in rules)
        + "  }\n}\n"
    )
