"""The ``ip`` batches that wire the planned namespaces (no I/O: lines for ``ip -batch``), and
the per-namespace kernel settings (:func:`sysctls`).

IPv4 as :mod:`podpath.dataplane.plan` describes it. IPv6 (``plan.ipv6``) alongside, on the
same links: addresses with ``nodad`` and duplicate address detection off in every namespace
(an address is usable at once; nothing else is on these links), each pod's /128 routed on its
node as its /32 is, the pod's default route via :data:`~podpath.dataplane.plan.GATEWAY6_IP`
(a permanent neighbour entry, as Calico does), the nodes' IPv6 addresses on the fabric, the
IPv6 Service range local to every node (refused without endpoints, as IPv4's), and multicast
snooping off on the fabric bridge (neighbour discovery must flood).
"""

from __future__ import annotations

from podpath.dataplane.families import family_of
from podpath.dataplane.plan import DNS_NS, GATEWAY6_IP, GATEWAY_IP, GATEWAY_MAC, INTERNET_NS, Plan
from podpath.engine.policy_verdict import INTERNET_IP


def fabric_lines(plan: Plan) -> list[str]:
    bridge = "link add pp-br type bridge" + (" mcast_snooping 0" if plan.ipv6 else "")
    lines = [bridge, "link set pp-br up"]
    ends = [(n.fabric_link, n.netns) for n in plan.nodes] + [("pp-finet", INTERNET_NS)]
    if not plan.dns_in_pods:
        ends.append(("pp-fdns", DNS_NS))
    for link, ns in ends:
        lines += [
            f"link add {link} type veth peer name eth0 netns {ns}",
            f"link set {link} master pp-br up",
        ]
    return lines


def node_lines(plan: Plan, index: int, service_cidr: str) -> list[str]:
    node = plan.nodes[index]
    lines = ["link set lo up", f"addr add {node.ip}/32 dev eth0", "link set eth0 up"]
    if node.ip6 is not None:
        lines.append(f"addr add {node.ip6}/128 dev eth0 nodad")
    for other in plan.nodes:
        if other.name != node.name:
            lines.append(f"route add {other.ip}/32 dev eth0 scope link")
            if node.ip6 is not None and other.ip6 is not None:
                lines.append(f"route add {other.ip6}/128 dev eth0")
    lines.append(f"route add {INTERNET_IP}/32 dev eth0 scope link")
    if not plan.dns_in_pods:
        lines.append(f"route add {plan.dns_ip}/32 dev eth0 scope link")
    # addresses of Services without endpoints are rejected here (RST / ICMP port unreachable)
    # rather than routed anywhere, as kube-proxy rejects them
    lines += [
        f"route add local {cidr.strip()} dev lo"
        for cidr in service_cidr.split(",")
        if family_of(cidr.strip()) in plan.families
    ]
    lines += [f"route add local {ip}/32 dev lo" for ip, _ in plan.lb_routes]
    for pod in plan.pods:
        if pod.host_network:
            continue
        if pod.node == node.name:
            lines += [
                f"link add {pod.veth} type veth peer name eth0 netns {pod.netns}",
                f"link set {pod.veth} address {GATEWAY_MAC} up",
                f"route add {pod.ip}/32 dev {pod.veth}",
            ]
            if pod.ip6 is not None:
                lines.append(f"route add {pod.ip6}/128 dev {pod.veth}")
        else:
            owner = plan.node(pod.node)
            if owner is not None:
                lines.append(f"route add {pod.ip}/32 via {owner.ip} dev eth0 onlink")
                if pod.ip6 is not None and owner.ip6 is not None:
                    lines.append(f"route add {pod.ip6}/128 via {owner.ip6} dev eth0")
    return lines


def pod_lines(ip: str, ip6: str | None = None) -> list[str]:
    lines = [
        "link set lo up",
        f"addr add {ip}/32 dev eth0",
        "link set eth0 up",
        f"route add {GATEWAY_IP} dev eth0 scope link",
        f"route add default via {GATEWAY_IP} dev eth0",
        f"neigh replace {GATEWAY_IP} lladdr {GATEWAY_MAC} dev eth0 nud permanent",
    ]
    if ip6 is not None:
        lines += [
            f"addr add {ip6}/128 dev eth0 nodad",
            f"neigh replace {GATEWAY6_IP} lladdr {GATEWAY_MAC} dev eth0 nud permanent",
            f"route add default via {GATEWAY6_IP} dev eth0",
        ]
    return lines


def edge_lines(plan: Plan, own_ip: str, lb: bool) -> list[str]:
    """The internet (LB addresses routed to nodes) or the DNS server's namespace (IPv4 only:
    the model gives neither an IPv6 address)."""
    lines = ["link set lo up", f"addr add {own_ip}/32 dev eth0", "link set eth0 up"]
    lines += [f"route add {n.ip}/32 dev eth0 scope link" for n in plan.nodes]
    if lb:
        lines += [
            f"route add {ip}/32 via {node_ip} dev eth0 onlink" for ip, node_ip in plan.lb_routes
        ]
    else:
        for pod in plan.pods:
            owner = plan.node(pod.node)
            if owner is not None and not pod.host_network:
                lines.append(f"route add {pod.ip}/32 via {owner.ip} dev eth0 onlink")
    return lines


NO_DAD = (
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
)


def early_sysctls(plan: Plan) -> list[tuple[str, str]]:
    """Settings a namespace needs before its links exist (IPv6: no duplicate address
    detection, so link-local addresses are usable at once)."""
    return list(NO_DAD) if plan.ipv6 else []


def node_sysctls(plan: Plan) -> list[tuple[str, str]]:
    """A node's forwarding and ICMP settings."""
    out = [
        ("net.ipv4.ip_forward", "1"),
        # rejections (ICMP unreachable) answer every probe, not one per second per client
        ("net.ipv4.icmp_ratelimit", "0"),
        ("net.ipv4.icmp_msgs_per_sec", "1000000"),
        ("net.ipv4.icmp_msgs_burst", "1000000"),
    ]
    if plan.ipv6:
        out += [("net.ipv6.conf.all.forwarding", "1"), ("net.ipv6.icmp.ratelimit", "0")]
    return out
