"""``trace(cluster, src, dst, port, options)``: the kinds of SRC and DST choose the pipeline,
once -- from inside (:mod:`podpath.analyze.trace.inside`), from outside to an address or a
Service (:mod:`podpath.analyze.trace.outside`), or from outside to a URL
(:mod:`podpath.analyze.trace.url`). The result's ``port`` is the port the connection goes to
as the question decided it: ``--port``, else the one DST names (``HOST:PORT``, a URL's from
inside or to an L4 load balancer); a URL asked of an entry point keeps ``--port`` (its request
names its own)."""

from __future__ import annotations

from dataclasses import replace

from podpath.analyze.trace.entry import connection_address, is_connection
from podpath.analyze.trace.exposure import not_a_destination_from_outside
from podpath.analyze.trace.inside import trace_inside
from podpath.analyze.trace.outside import trace_outside
from podpath.analyze.trace.question import (
    ToAddress,
    ToRequest,
    ask,
    ask_outside,
    l4_load_balancer,
    parse_port,
    workload_pods,
)
from podpath.analyze.trace.source import is_outside, parse_source
from podpath.analyze.trace.url import trace_url
from podpath.analyze.trace.values import (
    SERVICE_PREFIX,
    PortSpec,
    RouteOptions,
    TraceError,
    TraceResult,
    pick,
)
from podpath.cluster import Cluster
from podpath.engine.providers.base import Choice
from podpath.model.core import Pod


def trace(
    cluster: Cluster,
    src: str,
    dst: str,
    port: str | None = None,
    options: RouteOptions | None = None,
    provider: Choice | None = None,
    family: int | None = None,
) -> TraceResult:
    """The path and verdict of one connection from ``src`` to ``dst`` (package docstring);
    ``provider``: the provider profile in front of the cluster (None: the generic model);
    ``family`` (4 or 6; ``--family``): the IP family of the connection -- the source pod's
    address, the destination's and the DNS query (A or AAAA) of that family; connections are
    per family on a dual-stack cluster
    (https://kubernetes.io/docs/concepts/services-networking/dual-stack/)."""
    source = replace(parse_source(cluster, src), provider=provider, family=family)
    if family is not None and source.pod is not None:
        ip = pick(source.pod.ips, family)
        if ip is None:
            raise TraceError(f"{source.label} has no IPv{family} address")
        source = replace(source, ip=ip)
    spec = parse_port(port)
    options = options or RouteOptions()
    if not is_outside(cluster, source):
        dest, spec = ask(cluster, dst, spec)
        result = trace_inside(cluster, source, dest, spec, options)
        return replace(result, port=spec.port)
    pods = outside_pod(cluster, dst)
    if pods:  # no packet from outside names a pod: say what exposes it (exposure.py)
        raise TraceError(not_a_destination_from_outside(cluster, dst, pods))
    outside, spec = ask_outside(cluster, dst, spec)
    if isinstance(outside, ToRequest):
        l4 = (
            _plain_connection(cluster, outside.url, spec)
            if is_connection(outside.url)
            else l4_load_balancer(cluster, outside.url, spec, options)
        )
        if l4 is None:
            return replace(trace_url(cluster, source, outside.url, spec, options), port=spec.port)
        outside, spec = l4
    return replace(trace_outside(cluster, source, outside, spec, options), port=spec.port)


def outside_pod(cluster: Cluster, dst: str) -> tuple[Pod, ...]:
    """The pods DST names as ``NS/POD`` or ``NS/WORKLOAD`` (nothing for a Service, an address,
    a URL or a host name)."""
    if dst.startswith(SERVICE_PREFIX) or "://" in dst or "/" not in dst:
        return ()
    if dst in cluster.pod_by_key:
        return (cluster.pod_by_key[dst],)
    return workload_pods(cluster, dst)


def _plain_connection(
    cluster: Cluster, url: str, spec: PortSpec
) -> tuple[ToAddress, PortSpec] | None:
    """``tcp://IP:PORT`` / ``udp://IP:PORT`` to an address no Gateway owns: a connection to
    that address (:func:`podpath.analyze.trace.entry.connection_address`)."""
    found = connection_address(cluster, url, spec)
    return None if found is None else (ToAddress(found[0]), found[1])
