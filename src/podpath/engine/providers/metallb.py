"""MetalLB (https://metallb.universe.tf/concepts/layer2/, https://metallb.universe.tf/concepts/bgp/,
https://metallb.universe.tf/usage/#traffic-policies): the node answers for the address (ARP/NDP
in layer 2, a BGP next hop), so the packet reaches it with the load-balancer address as
destination and the client's address as source; kube-proxy does the rest. Layer 2: "all
traffic for a service IP goes to one node" (the leader); with ``externalTrafficPolicy: Local``
only that node's pods serve, with the client's address. BGP: every node attracts the traffic
(Cluster), or only the nodes with a ready endpoint (Local). MetalLB has no source-range or
health-check of its own: ``loadBalancerSourceRanges`` is kube-proxy's.
"""

from __future__ import annotations

from podpath.engine.providers.base import (
    INTERNET_FACING,
    Cite,
    Decision,
    Params,
    ParamSpec,
    Path,
    Profile,
    Ranges,
    Seen,
)
from podpath.model.services import Service

METALLB_CITES = (
    Cite("https://metallb.universe.tf/concepts/layer2/", "Load-balancing behavior"),
    Cite("https://metallb.universe.tf/concepts/bgp/", "Load-balancing behavior"),
    Cite("https://metallb.universe.tf/usage/#traffic-policies", "Traffic policies"),
)


def metallb_service(service: Service, params: Params) -> Decision | None:
    """MetalLB's address for a LoadBalancer Service (module docstring); a Service with a
    ``loadBalancerClass`` other than the ``lb-class`` parameter is not MetalLB's."""
    if service.lb_class is not None and service.lb_class != params.get("lb-class"):
        return None
    bgp = params.get("mode").lower() == "bgp"
    local = service.external_traffic_policy == "Local"
    if bgp:
        who = "the nodes with a ready endpoint" if local else "every node"
        note = f"BGP: {who} announce the address"
    else:
        note = "layer 2: one node (the leader MetalLB elects"
        note += ", among those with a ready endpoint)" if local else ")"
        note += " attracts all the traffic"
        if local:
            note += "; only that node's pods serve"
    return Decision(
        "metallb",
        "MetalLB " + ("BGP" if bgp else "layer 2"),
        "MetalLB (no loadBalancerClass)" if service.lb_class is None else service.lb_class,
        INTERNET_FACING,
        "MetalLB announces the address on the network it is configured for",
        Path.PASSTHROUGH,
        "node",
        Seen.CLIENT,
        Ranges(
            service.lb_source_ranges,
            "spec.loadBalancerSourceRanges" if service.lb_source_ranges else "",
            "kube-proxy (MetalLB does not filter)",
        ),
        None,
        (),
        (),
        (note,),
        METALLB_CITES,
    )


PROFILE = Profile(
    "metallb",
    "MetalLB",
    (
        ParamSpec("mode", "l2", "l2 (layer 2, ARP/NDP) or bgp"),
        ParamSpec("lb-class", "", "MetalLB's --lb-class, if it was started with one"),
    ),
    metallb_service,
    docs=METALLB_CITES,
)
