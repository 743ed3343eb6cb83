"""The pipeline of a connection from inside the cluster (a pod, or a node's address).

It enters the stages where DST is: a DNS name (or a URL's host) at stage 2, which resolves it
as the source pod would and hands each address to stage 3; an ExternalName ``svc:`` at stage 2
too (its name is an alias); a Service, a pod or an IP at stage 3, which hands a Service on to
its endpoints (stage 5). NetworkPolicy (stage 6) then judges every target reached, unless a
hop dropped the connection.
"""

from __future__ import annotations

from podpath.analyze.trace.address import at_pod, reach_ip, reach_service
from podpath.analyze.trace.name import reach_alias, reach_name
from podpath.analyze.trace.policy import judge_path
from podpath.analyze.trace.question import Destination, ToAddress, ToName, ToPod, ToService
from podpath.analyze.trace.source import source_leg
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


def workload_leg(dest: ToPod) -> Leg:
    """A note naming the pods a workload DST stands for (each one is a destination)."""
    if dest.workload is None:
        return Leg()
    keys = ", ".join(p.key for p in dest.pods)
    return Leg(notes=(f"{dest.workload}: its {len(dest.pods)} pod(s) are traced: {keys}",))


def trace_inside(
    cluster: Cluster, source: Source, dest: Destination, spec: PortSpec, options: RouteOptions
) -> TraceResult:
    """The path and verdict of a connection from inside (module docstring)."""
    leg = Leg(notes=(OPTIONS_IGNORED,)) if options.given else Leg()
    leg += source_leg(source)
    if isinstance(dest, ToName):
        leg += reach_name(cluster, source, dest.name, spec)
    elif isinstance(dest, ToService) and dest.service.external_name is not None:
        leg += reach_alias(cluster, source, dest.service, spec)
    elif isinstance(dest, ToService):
        leg += reach_service(cluster, source, dest.service, spec)
    elif isinstance(dest, ToAddress):
        leg += reach_ip(cluster, source, dest.ip, spec)
    else:
        leg += workload_leg(dest)
        for pod in dest.pods:
            leg += at_pod(source, pod, spec)
    return finish(judge_path(cluster, leg, spec.protocol, source))
