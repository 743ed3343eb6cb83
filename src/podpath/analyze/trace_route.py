"""``trace --from internet --to URL``: public name -> entry point address -> node (source NAT
per externalTrafficPolicy) -> controller/gateway pod -> matched rule -> backend Service ->
endpoint pod, with NetworkPolicy on the client -> controller and controller -> backend hops.

Routing (which entry point, rule and backend) is the routing engine's answer
(:func:`podpath.engine.routing.route_request`, asked with the ``--method``, ``--header``,
``--gateway`` and ``--ingress-class`` of :class:`RouteOptions`); the pods implementing the
entry point and the Services in front are :func:`podpath.engine.routing.entry_points`' (with
``--ingress-controller`` as its override).

Several entry points may serve the host (e.g. an IngressClass and a Gateway during a
migration); which one a client reaches depends on public DNS, which podpath does not know. Each
is then traced on its own (``TraceResult.paths``, in the routing engine's order: IngressClasses
by name, then Gateways), and the result sums them up:

- ``verdict``: the paths' verdict when they agree; ``partial`` when some path allows and
  another does not; ``denied`` when none allows and some deny (the others unreachable);
- ``endpoints``: every endpoint of every path, an endpoint reached through several entry points
  merged (allowed only if every one allows it);
- ``hops``: the source and one ``route`` hop naming each entry point and its verdict;
- ``drop``: the first path's drop reason unless the verdict is ``allowed``.

A URL whose host is an IP address (:mod:`podpath.engine.route_address`) needs no DNS: the
client connects to the address, through the Service that owns it. When the controller itself
answers 404 there (no rule without host, no defaultBackend), the verdict is about the
connection: the controller pods reached are the endpoints and the 404 is reported in the
``route`` hop.
"""

from __future__ import annotations

from collections import defaultdict

from podpath.analyze.trace_base import (
    ALLOWED,
    DENIED,
    NO_ENDPOINTS,
    NO_ROUTE,
    PARTIAL,
    EndpointVerdict,
    Hop,
    PortSpec,
    RouteOptions,
    Source,
    Target,
    TraceResult,
)
from podpath.analyze.trace_external import (
    external_finish,
    load_balancer,
    merge_endpoint,
    node_targets,
    pods_of,
)
from podpath.analyze.trace_policy import judge_target
from podpath.cluster import Cluster
from podpath.engine.entrypoints import entry_points
from podpath.engine.route_address import is_ip_address
from podpath.engine.routing import parse_request, route_request
from podpath.model.routing import EntryPoint, Request, RouteAnswer
from podpath.model.services import ServiceType


def trace_url(
    cluster: Cluster,
    source: Source,
    url: str,
    spec: PortSpec,
    result: TraceResult,
    options: RouteOptions | None = None,
) -> TraceResult:
    """The whole path of an HTTP(S) request from outside, once per entry point that serves
    its host (module docstring)."""
    options = options or RouteOptions()
    request = parse_request(url, options.method, options.headers)
    answers = route_request(
        cluster, request, gateway=options.gateway, ingress_class=options.ingress_class
    )
    eps = {ep.label: ep for ep in entry_points(cluster, options.ingress_controller)}
    served = [a for a in answers if a.entry_point]
    if len(served) <= 1:
        answer = served[0] if served else answers[0]
        return trace_entry_point(cluster, source, request, answer, eps, spec, result)
    paths = [
        trace_entry_point(
            cluster,
            source,
            request,
            answer,
            eps,
            spec,
            TraceResult(result.verdict, hops=list(result.hops)),
        )
        for answer in served
    ]
    return combine_paths(result, request, paths)


def combined_verdict(verdicts: list[str]) -> str:
    """The verdict over several entry points (module docstring)."""
    kinds = set(verdicts)
    if len(kinds) == 1:
        return verdicts[0]
    if kinds & {ALLOWED, PARTIAL}:
        return PARTIAL
    return DENIED


def combine_paths(result: TraceResult, request: Request, paths: list[TraceResult]) -> TraceResult:
    """Sum up one traced path per entry point (module docstring)."""
    result.paths = paths
    result.verdict = combined_verdict([p.verdict for p in paths])
    each = "; ".join(
        f"{p.entry_point} {p.verdict}" + (f" ({p.drop})" if p.drop else "") for p in paths
    )
    result.hops.append(
        Hop(
            "route",
            f"{len(paths)} entry points serve {request.host}; public DNS may send the client to "
            f"any of them, so each is traced (paths): {each}",
            tuple(p.entry_point or "" for p in paths),
        )
    )
    grouped: dict[tuple[str | None, str, int], list[EndpointVerdict]] = defaultdict(list)
    for path in paths:
        for e in path.endpoints:
            grouped[(e.pod, e.ip, e.port)].append(e)
    result.endpoints = [merge_endpoint(v) for v in grouped.values()]
    drops = [p.drop for p in paths if p.drop]
    result.drop = None if result.verdict == ALLOWED or not drops else drops[0]
    return result


def trace_entry_point(
    cluster: Cluster,
    source: Source,
    request: Request,
    answer: RouteAnswer,
    eps: dict[str, EntryPoint],
    spec: PortSpec,
    result: TraceResult,
) -> TraceResult:
    """The path through one entry point: its address, its pods, the matched rule, the backend
    pods (NetworkPolicy on both hops)."""
    result.entry_point = answer.entry_point or None
    ep = eps.get(answer.entry_point)
    if ep is None:
        result.hops.append(
            Hop("route", "; ".join(answer.reasons) or f"nothing serves {request.host}", ())
        )
        result.drop = NO_ROUTE
        return external_finish(result)
    by_address = is_ip_address(request.host)
    addresses = ", ".join(ep.addresses) or "(no load-balancer address)"
    dns = (
        f"{request.host}: an IP address, no DNS: the client connects to it ({ep.label})"
        if by_address
        else f"{request.host}: public DNS assumed to point at {ep.label} {addresses}"
    )
    result.hops.append(Hop("dns", dns, (ep.label,)))
    address = request.host if by_address else None
    controllers = controller_targets(cluster, source, ep, request.port, spec, result, address)
    if result.drop is not None or not controllers:
        return external_finish(result)
    reached = judge_controllers(cluster, controllers, spec, result)
    if not reached:
        return external_finish(result)
    route_hop(answer, result)
    if by_address and answer.status == 404 and answer.match is None:
        # As for a name no rule serves: the request reaches the controller, which answers
        # 404 itself; the verdict is "no route" (DESIGN.md), the path up to it is shown.
        result.notes.append(f"the controller of {ep.label} answers HTTP 404 itself")
    if result.drop is not None:
        return external_finish(result)
    backends_hop(cluster, answer, reached, spec, result)
    return external_finish(result)


def controller_targets(
    cluster: Cluster,
    source: Source,
    ep: EntryPoint,
    port: int,
    spec: PortSpec,
    result: TraceResult,
    address: str | None = None,
) -> list[Target]:
    """Client -> the Service in front of the entry point's pods (LB address, else NodePort);
    ``address``: the IP the client connects to (a URL with an IP host)."""
    pods = pods_of(cluster, ep.pods)
    result.hops.append(
        Hop(
            "entrypoint",
            f"{ep.label}: pods {', '.join(ep.pods) or 'none'} ({'; '.join(ep.reasons)})",
            (ep.label,),
        )
    )
    front = [cluster.service_by_key[k] for k in ep.services if k in cluster.service_by_key]
    entry = PortSpec(port, spec.protocol)
    if address is not None:
        for svc in front:
            if svc.type is ServiceType.LOAD_BALANCER and address in svc.lb_ingress:
                return load_balancer(cluster, source, svc, address, entry, result)
        node = cluster.node_at(address)
        if node is not None:
            return node_targets(cluster, source, node, address, entry, result)
    for svc in front:
        if svc.type is ServiceType.LOAD_BALANCER and svc.lb_ingress:
            return load_balancer(cluster, source, svc, svc.lb_ingress[0], entry, result)
    for svc in front:
        if svc.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER) and cluster.nodes:
            sp = next((p for p in svc.ports if p.port == port), None)
            if sp is not None and sp.node_port:
                node = cluster.nodes[0]
                return node_targets(
                    cluster, source, node, node.internal_ips[0], PortSpec(sp.node_port), result
                )
    result.notes.append(
        f"no LoadBalancer/NodePort Service in front of {ep.label}: assuming the client reaches "
        "its pods directly (hostNetwork/hostPort)"
    )
    return [Target(p.ips[0], port, p, (source.ip,), None) for p in pods if p.ips]


def judge_controllers(
    cluster: Cluster, targets: list[Target], spec: PortSpec, result: TraceResult
) -> list[Target]:
    """Policy on client -> controller pods; the controller pods reached, or none (the endpoints
    then list the controller pods and why they refused)."""
    judged = [judge_target(cluster, t, spec.protocol) for t in targets]
    verdicts = [v for v, _ in judged]
    reached = [t for t, v in zip(targets, verdicts, strict=True) if v.verdict == ALLOWED]
    result.hops.append(
        Hop(
            "policy",
            f"client -> entry point pods: {len(reached)}/{len(targets)} allowed",
            tuple(dict.fromkeys(o for _, objs in judged for o in objs)),
        )
    )
    if not reached:
        result.endpoints.extend(verdicts)
        result.drop = next((v.drop for v in verdicts if v.drop), None)
    return reached


def route_hop(answer: RouteAnswer, result: TraceResult) -> None:
    match = answer.match
    rule = f"{match.kind}/{match.object} rule {match.rule}" if match is not None else "no rule"
    objs = (f"{match.kind}/{match.object}",) if match is not None else ()
    filters = f"; filters {', '.join(map(str, answer.filters))}" if answer.filters else ""
    reasons = f" ({'; '.join(answer.reasons)})" if answer.reasons else ""
    result.hops.append(Hop("route", f"status {answer.status}: {rule}{filters}{reasons}", objs))
    if answer.backend is None or answer.status >= 400:
        result.drop = NO_ENDPOINTS if answer.status == 503 else NO_ROUTE


def backends_hop(
    cluster: Cluster,
    answer: RouteAnswer,
    controllers: list[Target],
    spec: PortSpec,
    result: TraceResult,
) -> None:
    """Each weighted backend's endpoints, judged from every reached controller pod."""
    targets: list[Target] = []
    for backend in answer.backends:
        if backend.status is not None or backend.weight <= 0 or backend.service is None:
            continue
        svc = cluster.service_by_key.get(backend.service)
        if svc is None:
            continue
        sp = next((p for p in svc.ports if p.port == backend.port), None)
        pe = next((x for x in cluster.endpoints.get(svc.key, ()) if x.service_port == sp), None)
        ready = [e for e in (pe.endpoints if pe else ()) if e.ready]
        mapping = ", ".join(f"{e.pod or e.ip}:{e.port}" for e in ready) or "none"
        result.hops.append(
            Hop(
                "service",
                f"backend {svc.key} port {backend.port} (weight {backend.weight}) -> "
                f"ready endpoints {mapping}",
                (str(svc.ref),),
            )
        )
        for e in ready:
            pod = cluster.pod_by_key.get(e.pod) if e.pod else None
            for c in controllers:
                src = c.pod
                targets.append(Target(e.ip, e.port, pod, (c.ip,), src))
    if not targets:
        result.drop = NO_ENDPOINTS
        return
    grouped: dict[tuple[str, int], list[EndpointVerdict]] = defaultdict(list)
    objects: list[str] = []
    for t in targets:
        ev, objs = judge_target(cluster, t, spec.protocol)
        grouped[(t.ip, t.port)].append(ev)
        objects.extend(objs)
    result.endpoints.extend(merge_endpoint(v) for v in grouped.values())
    ok = sum(1 for e in result.endpoints if e.verdict == ALLOWED)
    result.hops.append(
        Hop(
            "policy",
            f"entry point pods -> backend pods: {ok}/{len(result.endpoints)} endpoint(s) allowed",
            tuple(dict.fromkeys(objects)),
        )
    )
    drops = [e.drop for e in result.endpoints if e.drop]
    if drops and ok == 0:
        result.drop = drops[0]
