"""Stage 4, the entry point: from the Service in front of an Ingress controller or Gateway to
its pods, the route that matches, and on to the backends.

Routing (which entry point, rule and backend) is the routing engine's answer
(:func:`podpath.engine.routing.route_request`); this stage follows it:

- the entry point's pods are the endpoints behind the address the client reached (stage 3
  hands over the node forwarding to them, or the pods themselves when no LoadBalancer/NodePort
  Service is in front); NetworkPolicy judges client -> pods, and only the pods reached go on;
- the ``route`` hop: the matched rule, filters and reasons; a 4xx/5xx or no backend drops with
  "no route" ("no endpoints" for a 503), except an answer the entry point gives itself with a
  status below 400 (a 3xx redirect, a CORS preflight): the path ends there, verdict
  ``answered``. The answer's ``location`` (a 3xx redirect's target, with a note: the client
  asks it anew) and ``path`` (as the backend receives it, after rewrites) go on the result, as
  ``podpath route`` gives them. When the controller itself
  answers 404 at an IP (no rule without host, no defaultBackend), a note says so: the verdict
  is "no route", the path up to the controller is shown;
- each weighted backend's endpoints (stage 5), judged from every pod reached (stage 6). The
  controller opens a connection of its own to them: ``--family`` is that connection's family
  (the backend's endpoints of that family, judged with the pods' addresses of that family);
  without it, the endpoints of every family, as ingress-nginx proxies
  (:func:`podpath.analyze.trace.endpoints.proxied_endpoints`).

A ``tcp://``, ``udp://`` or ``tls://HOST:PORT`` destination is a connection, not an HTTP
request: the routing engine's layer-4 answer (:func:`podpath.engine.gateway_l4.route_connection`:
TCPRoute / UDPRoute by listener port, TLSRoute by SNI -- the URL's host name, or ``--header
Host:NAME`` for an IP) stands in for the route (:func:`connection_answers`), and the rest of
the path is the same.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from podpath.analyze.trace.endpoints import NodeForward, ServiceAddress, behind, behind_backends
from podpath.analyze.trace.policy import judge_backends, judge_entry
from podpath.analyze.trace.values import (
    NO_ENDPOINTS,
    NO_ROUTE,
    Answered,
    Hop,
    Leg,
    PortSpec,
    RouteOptions,
    Target,
    TraceError,
)
from podpath.cluster import Cluster
from podpath.engine.backends import STATUS_INVALID, STATUS_NO_ENDPOINTS
from podpath.engine.entrypoints import entry_points
from podpath.engine.gateway_l4 import route_connection
from podpath.engine.route_address import is_ip_address, owners_of_address
from podpath.model.core import Protocol
from podpath.model.gateway_status import ConnectionAnswer
from podpath.model.routing import EntryPoint, Request, RouteAnswer

REDIRECTED = (
    "{ep} answers {status} with Location {location}: no backend receives this request; the "
    "client asks the Location anew (trace --to {location})"
)

CONNECTION_SCHEMES = {"tcp": "TCP", "udp": "UDP", "tls": "TLS"}


def through_entry_point(
    cluster: Cluster,
    ep: EntryPoint,
    request: Request,
    answer: RouteAnswer,
    front: ServiceAddress | NodeForward | None,
    pods: tuple[Target, ...],
    spec: PortSpec,
    family: int | None = None,
) -> Leg:
    """The entry point's pods (behind ``front``, else ``pods`` reached directly), the route,
    and the backends (module docstring), over ``family`` (``--family``) when asked."""
    controllers = behind(cluster, front)
    targets = controllers.targets or pods
    if controllers.drop is not None or not targets:
        return controllers
    judged, reached = judge_entry(cluster, targets, spec.protocol)
    leg = controllers + judged
    if not reached:
        return leg
    leg += matched_route(request, answer, ep)
    if leg.drop is not None or (leg.answered is not None and leg.answered.itself):
        return leg
    backends = behind_backends(cluster, answer, reached, family)
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
    if request.scheme in CONNECTION_SCHEMES:
        outcome = "forwarded" if answer.status == 200 else "rejected"
        hop = Hop("route", f"{request.scheme} connection {outcome}: {rule}{reasons}", objs)
    else:
        hop = Hop("route", f"status {answer.status}: {rule}{filters}{reasons}", objs)
    drop = None
    itself = answer.backend is None and answer.status < 400
    if request.scheme in CONNECTION_SCHEMES:
        itself = False
    if (answer.backend is None and not itself) or answer.status >= 400:
        drop = NO_ENDPOINTS if answer.status == 503 else NO_ROUTE
    notes: tuple[str, ...] = ()
    if is_ip_address(request.host) and answer.status == 404 and match is None:
        notes = (f"the controller of {ep.label} answers HTTP 404 itself",)
    if answer.location is not None:
        notes += (REDIRECTED.format(ep=ep.label, status=answer.status, location=answer.location),)
    answered = Answered(answer.location, answer.path, itself)
    return Leg((hop,), notes, drop=drop, answered=answered)


def is_connection(url: str) -> bool:
    """Whether DST is a ``tcp://``, ``udp://`` or ``tls://`` connection (module docstring)."""
    return url.split("://", 1)[0].lower() in CONNECTION_SCHEMES if "://" in url else False


def connection_address(cluster: Cluster, url: str, spec: PortSpec) -> tuple[str, PortSpec] | None:
    """A ``tcp://`` or ``udp://`` connection to an IP that no Gateway owns (a LoadBalancer
    Service of its own, a NodePort on a node IP...): the address and port to trace as a plain
    connection; None when a Gateway owns it, or for ``tls://`` (routed by SNI)."""
    parts = urlsplit(url)
    protocol = CONNECTION_SCHEMES.get(parts.scheme.lower())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return None
    if protocol not in ("TCP", "UDP") or port is None or not is_ip_address(host):
        return None
    owners = owners_of_address(cluster, entry_points(cluster), host, port)
    if any(ep.kind == "Gateway" for ep, _ in owners):
        return None
    return host, PortSpec(port, Protocol.UDP if protocol == "UDP" else Protocol.TCP)


def _status(answer: ConnectionAnswer) -> int:
    """The connection's outcome in the HTTP-status terms of the route hop: forwarded 200,
    rejected 503 (no endpoints) or 500 (invalid backends), no listener/route 404."""
    if answer.outcome == "forwarded":
        return 200
    if answer.outcome == "rejected":
        no_endpoints = any(
            b.status == STATUS_NO_ENDPOINTS and b.weight > 0 for b in answer.backends
        )
        return STATUS_NO_ENDPOINTS if no_endpoints else STATUS_INVALID
    return 404


def connection_answers(
    cluster: Cluster, url: str, spec: PortSpec, options: RouteOptions
) -> tuple[Request, tuple[RouteAnswer, ...], PortSpec]:
    """A ``tcp://``/``udp://``/``tls://HOST:PORT`` destination: the request the address stages
    follow, the layer-4 answer of every Gateway it reaches as route answers, and the port
    spec with the connection's protocol (module docstring)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or port is None:
        raise TraceError(f"{url!r}: a connection needs {scheme}://HOST:PORT")
    protocol = CONNECTION_SCHEMES[scheme]
    ip = is_ip_address(host)
    sni = None
    if protocol == "TLS":
        given = {k.lower(): v for k, v in options.headers}.get("host")
        sni = given.lower() if ip and given else (None if ip else host)
        if not sni:
            raise TraceError(f"{url!r}: give the SNI as the host name, or --header Host:NAME")
    found = route_connection(
        cluster, protocol, port, address=host if ip else None, sni=sni, gateway=options.gateway
    )
    answers = tuple(
        RouteAnswer(
            a.entry_point,
            _status(a),
            a.match,
            a.backend,
            a.backends,
            tls=a.tls,
            reasons=a.reasons,
            backend_tls=a.backend_tls,
        )
        for a in found
    )
    request = Request(scheme=scheme, host=host, port=port, path="")
    wire = Protocol.UDP if protocol == "UDP" else Protocol.TCP
    return request, answers, PortSpec(spec.port, wire)
