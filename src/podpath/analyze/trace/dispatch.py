"""``trace(cluster, src, dst, port, options)``: the kinds of SRC and DST choose the pipeline,
once -- from inside (:mod:`podpath.analyze.trace.inside`), from outside to an address or a
Service (:mod:`podpath.analyze.trace.outside`), or from outside to a URL
(:mod:`podpath.analyze.trace.url`)."""

from __future__ import annotations

from podpath.analyze.trace.inside import trace_inside
from podpath.analyze.trace.outside import trace_outside
from podpath.analyze.trace.question import (
    ToRequest,
    ask,
    ask_outside,
    l4_load_balancer,
    parse_port,
)
from podpath.analyze.trace.source import is_outside, parse_source
from podpath.analyze.trace.url import trace_url
from podpath.analyze.trace.values import RouteOptions, TraceResult
from podpath.cluster import Cluster


def trace(
    cluster: Cluster,
    src: str,
    dst: str,
    port: str | None = None,
    options: RouteOptions | None = None,
) -> TraceResult:
    """The path and verdict of one connection from ``src`` to ``dst`` (package docstring)."""
    source = parse_source(cluster, src)
    spec = parse_port(port)
    options = options or RouteOptions()
    if not is_outside(cluster, source):
        dest, spec = ask(cluster, dst, spec)
        return trace_inside(cluster, source, dest, spec, options)
    outside, spec = ask_outside(cluster, dst, spec)
    if isinstance(outside, ToRequest):
        l4 = l4_load_balancer(cluster, outside.url, spec, options)
        if l4 is None:
            return trace_url(cluster, source, outside.url, spec, options)
        outside, spec = l4
    return trace_outside(cluster, source, outside, spec, options)
