"""The pipeline of a connection from outside the cluster (``internet`` or an outside IP) to an
address or a Service: the load balancer, node or NodePort (stage 3) -> the endpoints the node
forwards to (stage 5) -> NetworkPolicy on each, from the source address the endpoint sees
(stage 6). A URL from outside is :mod:`podpath.analyze.trace.url`'s.
"""

from __future__ import annotations

from podpath.analyze.trace.address import reach_from_outside
from podpath.analyze.trace.policy import judge
from podpath.analyze.trace.question import ToAddress, ToService
from podpath.analyze.trace.source import outside_leg
from podpath.analyze.trace.values import (
    OPTIONS_IGNORED,
    Leg,
    PortSpec,
    RouteOptions,
    Source,
    TraceResult,
    finish,
)
from podpath.cluster import Cluster

L4_URL = (
    "{url}: no Ingress or Gateway serves {address}, the address of a LoadBalancer Service: "
    "the client opens a TCP connection to it on port {port}"
)


def trace_outside(
    cluster: Cluster,
    source: Source,
    dest: ToService | ToAddress,
    spec: PortSpec,
    options: RouteOptions,
) -> TraceResult:
    """The path and verdict of a connection from outside to an address or a Service."""
    leg = outside_leg(source) + (Leg(notes=(OPTIONS_IGNORED,)) if options.given else Leg())
    if isinstance(dest, ToAddress) and dest.url is not None:
        leg += Leg(notes=(L4_URL.format(url=dest.url, address=dest.ip, port=spec.port),))
    leg += reach_from_outside(cluster, source, dest, spec)
    if leg.drop is None:
        leg += judge(cluster, leg.targets, spec.protocol, "NetworkPolicy")
    return finish(leg)
