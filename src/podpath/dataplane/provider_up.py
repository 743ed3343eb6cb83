"""``up --provider``: build the edge and its clients (:mod:`podpath.dataplane.provider_net`)
and record them in the state, as JSON data."""

from __future__ import annotations

from typing import Any

from podpath.dataplane import netns as nx
from podpath.dataplane.plan import FABRIC_NS, Plan
from podpath.dataplane.provider_net import (
    client_lines,
    edge_lines,
    edge_ruleset,
    fabric_lines,
    node_lines,
    node_ruleset,
)
from podpath.dataplane.provider_plan import EDGE_NS, ProviderPlan


def provider_state(pplan: ProviderPlan, how: str) -> dict[str, Any]:
    """What ``probe`` and ``exec`` need of the edge (``state.json``'s ``provider``)."""
    return {
        "name": pplan.name,
        "params": dict(sorted(pplan.params.items())),
        "how": how,
        "edge": EDGE_NS,
        "clients": [[c.name, c.netns, c.ip] for c in pplan.clients],
        "frontends": [[f.service, f.address, f.port, f.protocol] for f in pplan.frontends],
        "health": sorted(
            {
                (f.service, f.health[0], ip, f.health[1] or port)
                for f in pplan.frontends
                if f.health is not None and f.protocol == "TCP"
                for ip, port in f.targets
            }
        ),
        "paths": sorted({f"{f.service} {f.address}:{f.port} {f.label}" for f in pplan.frontends}),
        "lb_addresses": list(pplan.lb_addresses),
        "nodes_reachable": None if pplan.nodes_reachable is None else list(pplan.nodes_reachable),
    }


def build_edge(plan: Plan, pplan: ProviderPlan) -> None:
    """Wire the edge and the clients (the internet's too, instead of the generic routes),
    route the nodes' way out through the edge, load the ``pp-prov`` tables. The namespaces
    exist already."""
    nx.ip_batch(FABRIC_NS, fabric_lines(pplan), "linking the load balancer edge")
    nx.parallel(
        [(c.netns, client_lines(c), f"wiring client {c.name}") for c in pplan.clients]
        + [(EDGE_NS, edge_lines(plan, pplan), "wiring the load balancer edge")]
        + [(n.netns, node_lines(plan, pplan), f"routing node {n.name}") for n in plan.nodes]
    )
    nx.sysctl(EDGE_NS, "net.ipv4.ip_forward", "1")
    # rejections (ICMP unreachable) answer every probe, not one per second per client
    nx.sysctl(EDGE_NS, "net.ipv4.icmp_ratelimit", "0")
    nx.sysctl(EDGE_NS, "net.ipv4.icmp_msgs_per_sec", "1000000")
    nx.sysctl(EDGE_NS, "net.ipv4.icmp_msgs_burst", "1000000")
    nx.nft_load(EDGE_NS, edge_ruleset(plan, pplan))
    for node in plan.nodes:
        table = node_ruleset(pplan, node)
        if table:
            nx.nft_load(node.netns, table)
