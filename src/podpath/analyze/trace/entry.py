"""Stage 4, the entry point: from the Service in front of an Ingress controller or Gateway to
its pods, the route that matches, and on to the backends.

Routing (which entry point, rule and backend) is the routing engine's answer
(:func:`podpath.engine.routing.route_request`); this stage follows it:

- the entry point's pods are the endpoints behind the address the client reached (stage 3
  hands over the node forwarding to them, or the pods themselves when no LoadBalancer/NodePort
  Service is in front); NetworkPolicy judges client -> pods, and only the pods reached go on;
- the ``route`` hop: the matched rule, filters and reasons; a 4xx/5xx or no backend drops with
  "no route" ("no endpoints" for a 503). When the controller itself answers 404 at an IP (no
  rule without host, no defaultBackend), a note says so: the verdict is "no route", the path
  up to the controller is shown;
- each weighted backend's endpoints (stage 5), judged from every pod reached (stage 6).
"""

from __future__ import annotations

from podpath.analyze.trace.endpoints import NodeForward, ServiceAddress, behind, behind_backends
from podpath.analyze.trace.policy import judge_backends, judge_entry
from podpath.analyze.trace.values import NO_ENDPOINTS, NO_ROUTE, Hop, Leg, PortSpec, Target
from podpath.cluster import Cluster
from podpath.engine.route_address import is_ip_address
from podpath.model.routing import EntryPoint, Request, RouteAnswer


def through_entry_point(
    cluster: Cluster,
    ep: EntryPoint,
    request: Request,
    answer: RouteAnswer,
    front: ServiceAddress | NodeForward | None,
    pods: tuple[Target, ...],
    spec: PortSpec,
) -> Leg:
    """The entry point's pods (behind ``front``, else ``pods`` reached directly), the route,
    and the backends (module docstring)."""
    controllers = behind(cluster, front)
    targets = controllers.targets or pods
    if controllers.drop is not None or not targets:
        return controllers
    judged, reached = judge_entry(cluster, targets, spec.protocol)
    leg = controllers + judged
    if not reached:
        return leg
    leg += matched_route(request, answer, ep)
    if leg.drop is not None:
        return leg
    backends = behind_backends(cluster, answer, reached)
    if backends.drop is not None:
        return leg + backends
    return leg + backends + judge_backends(cluster, backends.targets, spec.protocol)


def matched_route(request: Request, answer: RouteAnswer, ep: EntryPoint) -> Leg:
    """The ``route`` hop of the entry point's answer (module docstring)."""
    match = answer.match
    rule = f"{match.kind}/{match.object} rule {match.rule}" if match is not None else "no rule"
    objs = (f"{match.kind}/{match.object}",) if match is not None else ()
    filters = f"; filters {', '.join(map(str, answer.filters))}" if answer.filters else ""
    reasons = f" ({'; '.join(answer.reasons)})" if answer.reasons else ""
    hop = Hop("route", f"status {answer.status}: {rule}{filters}{reasons}", objs)
    drop = None
    if answer.backend is None or answer.status >= 400:
        drop = NO_ENDPOINTS if answer.status == 503 else NO_ROUTE
    notes: tuple[str, ...] = ()
    if is_ip_address(request.host) and answer.status == 404 and match is None:
        notes = (f"the controller of {ep.label} answers HTTP 404 itself",)
    return Leg((hop,), notes, drop=drop)
