"""The pipeline of an HTTP(S) request from outside the cluster: public name (stage 2) ->
entry point address -> node, source NAT per externalTrafficPolicy (stage 3) -> controller or
gateway pods, NetworkPolicy client -> pods, the matched rule (stage 4) -> backend Service ->
endpoint pods (stage 5), NetworkPolicy pods -> backends (stage 6).

Which entry points serve the host, and what each answers, is the routing engine's
(:func:`podpath.engine.routing.route_request` with the routing options;
:func:`podpath.engine.routing.entry_points` for the pods implementing each, with
``--ingress-controller`` as its override).

Several entry points may serve the host (e.g. an IngressClass and a Gateway during a
migration); which one a client reaches depends on public DNS, which podpath does not know. Each
is then traced on its own (``TraceResult.paths``, in the routing engine's order: IngressClasses
by name, then Gateways), and the result sums them up:

- ``verdict``: the paths' verdict when they agree; ``partial`` when some path allows (or
  answers itself: a redirect, a CORS preflight) and another does not; ``denied`` when none
  allows and some deny (the others unreachable);
- ``endpoints``: every endpoint of every path, an endpoint reached through several entry points
  merged (allowed only if every one allows it);
- ``hops``: the source and one ``route`` hop naming each entry point and its verdict;
- ``drop``: the first path's drop reason unless the verdict is ``allowed``;
- ``location`` and ``path``: the value every path gives (else None; each path has its own).
"""

from __future__ import annotations

from collections import defaultdict

from podpath.analyze.trace.entry import connection_answers, is_connection
from podpath.analyze.trace.name import reach_public_name
from podpath.analyze.trace.source import outside_leg
from podpath.analyze.trace.values import (
    ALLOWED,
    ANSWERED,
    DENIED,
    NO_ROUTE,
    PARTIAL,
    EndpointVerdict,
    Hop,
    Leg,
    PortSpec,
    RouteOptions,
    Source,
    TraceResult,
    finish,
    merge_endpoint,
)
from podpath.cluster import Cluster
from podpath.engine.entrypoints import entry_points
from podpath.engine.routing import parse_request, route_request
from podpath.model.routing import EntryPoint, Request, RouteAnswer


def trace_url(
    cluster: Cluster, source: Source, url: str, spec: PortSpec, options: RouteOptions
) -> TraceResult:
    """The whole path of a request from outside, once per entry point that serves its host
    (module docstring)."""
    if is_connection(url):
        request, answers, spec = connection_answers(cluster, url, spec, options)
    else:
        request = parse_request(url, options.method, options.headers)
        answers = route_request(
            cluster, request, gateway=options.gateway, ingress_class=options.ingress_class
        )
    eps = {ep.label: ep for ep in entry_points(cluster, options.ingress_controller)}
    lead = outside_leg(source)
    served = [a for a in answers if a.entry_point]
    legs = [
        (a, lead + through(cluster, source, eps.get(a.entry_point), request, a, spec))
        for a in (served if len(served) > 1 else served[:1] or answers[:1])
    ]
    paths = tuple(finish(leg, entry_point=a.entry_point or None) for a, leg in legs)
    return paths[0] if len(paths) == 1 else combine_paths(lead, request, paths)


def through(
    cluster: Cluster,
    source: Source,
    ep: EntryPoint | None,
    request: Request,
    answer: RouteAnswer,
    spec: PortSpec,
) -> Leg:
    """The path through one entry point (none: nothing serves the request, and why)."""
    if ep is None:
        detail = "; ".join(answer.reasons) or f"nothing serves {request.host}"
        return Leg((Hop("route", detail, ()),), drop=NO_ROUTE)
    return reach_public_name(cluster, source, ep, request, answer, spec)


def combined_verdict(verdicts: list[str]) -> str:
    """The verdict over several entry points (module docstring)."""
    kinds = set(verdicts)
    if len(kinds) == 1:
        return verdicts[0]
    if kinds & {ALLOWED, PARTIAL, ANSWERED}:
        return PARTIAL
    return DENIED


def combine_paths(lead: Leg, request: Request, paths: tuple[TraceResult, ...]) -> TraceResult:
    """Sum up one traced path per entry point (module docstring)."""
    verdict = combined_verdict([p.verdict for p in paths])
    each = "; ".join(
        f"{p.entry_point} {p.verdict}" + (f" ({p.drop})" if p.drop else "") for p in paths
    )
    hop = Hop(
        "route",
        f"{len(paths)} entry points serve {request.host}; public DNS may send the client to "
        f"any of them, so each is traced (paths): {each}",
        tuple(p.entry_point or "" for p in paths),
    )
    grouped: dict[tuple[str | None, str, int], list[EndpointVerdict]] = defaultdict(list)
    for path in paths:
        for e in path.endpoints:
            grouped[(e.pod, e.ip, e.port)].append(e)
    drops = [p.drop for p in paths if p.drop]
    drop = None if verdict == ALLOWED or not drops else drops[0]
    endpoints = tuple(merge_endpoint(v) for v in grouped.values())
    locations = {p.location for p in paths}
    received = {p.path for p in paths}
    return TraceResult(
        verdict,
        (*lead.hops, hop),
        endpoints,
        drop,
        lead.notes,
        paths=paths,
        location=locations.pop() if len(locations) == 1 else None,
        path=received.pop() if len(received) == 1 else None,
    )
