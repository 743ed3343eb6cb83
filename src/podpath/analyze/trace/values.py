"""The values a trace is made of: what was asked, the hops, the targets, the verdicts.

Every stage of :mod:`podpath.analyze.trace` returns a :class:`Leg` (the hops, notes, targets,
endpoint verdicts and drop reason it adds); a stage puts its own leg before the one of the
stage it hands the connection on to (``leg + rest``), and the pipeline turns the whole path
into the :class:`TraceResult` (:func:`finish`). Nothing here is mutated.

Verdict: ``allowed`` (every endpoint allowed), ``denied`` (none), ``partial`` (some),
``unreachable`` (no route: no such name, port not exposed, no endpoints, no listener),
``answered`` (the entry point answers the request itself, no backend involved: a 3xx redirect
-- Gateway API ``RequestRedirect``, ingress-nginx redirects -- or a CORS preflight; HTTP
semantics, RFC 9110 section 15.4: a redirect is a response, the client follows ``Location``).
``unknown`` (no endpoints, but the Service's pods are likely created from objects podpath
skips, e.g. a ``Prometheus``: the input cannot decide; :mod:`podpath.engine.pod_creators`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from podpath.engine.policy_verdict import INTERNET_IP
from podpath.engine.providers.base import Choice
from podpath.model.core import Pod, Protocol

INTERNET = "internet"
INTERNET_CLIENT_IP = INTERNET_IP  # one "client on the internet" for every layer (TEST-NET-3)
SERVICE_PREFIX = "svc:"

ALLOWED, DENIED, PARTIAL, UNREACHABLE = "allowed", "denied", "partial", "unreachable"
ANSWERED = "answered"
UNKNOWN = "unknown"

# Enumerated drop reasons (issue 3).
NO_SUCH_NAME = "no such name"
NO_ENDPOINTS = "no endpoints"
PODS_NOT_IN_INPUT = "pods not in the input, likely created by {objects}"
PORT_NOT_EXPOSED = "port not exposed"
NO_LISTENER = "no listener"
NO_ROUTE = "no route"
DNS_DENIED = "DNS denied"
DENIED_EGRESS = "denied by egress isolation of {pod}"
DENIED_INGRESS = "denied by ingress isolation of {pod}"
DENIED_ADMIN = "denied by admin policy rule {rule}"
DENIED_BASELINE = "denied by baseline admin policy rule {rule}"
DENIED_SOURCE_RANGES = "denied by loadBalancerSourceRanges of {service}"

OPTIONS_IGNORED = (
    "--method/--header/--gateway/--ingress-class/--ingress-controller apply to a URL traced from "
    "outside the cluster (internet or an outside IP); ignored here"
)


class TraceError(ValueError):
    """SRC/DST/port the cluster does not know (the command turns it into exit status 2)."""


@dataclass(frozen=True, slots=True)
class Hop:
    step: str
    detail: str
    objects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointVerdict:
    pod: str | None
    ip: str
    port: int
    verdict: str
    reasons: tuple[str, ...] = ()
    drop: str | None = None
    source_ips: tuple[str, ...] = ()  # the address(es) the pod sees the connection from


@dataclass(frozen=True, slots=True)
class Source:
    """Who opens the connection: ``kind`` "pod" | "ip" | "internet", ``ip`` its address.
    ``family`` (4, 6 or None: the first address) picks the source's and the destination's
    addresses where there are several (the seam of ``--family``). ``provider``: the provider
    profile whose load balancers the client meets on its way in (``--provider``; None: the
    generic model)."""

    kind: str
    label: str
    pod: Pod | None = None
    ip: str = ""
    family: int | None = None
    provider: Choice | None = None


@dataclass(frozen=True, slots=True)
class PortSpec:
    """``--port PORT[/PROTO]``: a number or a name, and the protocol (default TCP)."""

    port: int | str | None
    protocol: Protocol = Protocol.TCP

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol}" if self.port is not None else "(every port)"


@dataclass(frozen=True, slots=True)
class Target:
    """A pod (or bare IP) the connection reaches, the port it arrives on, and from which source
    address (after any source NAT). ``seen_from``: when a source *pod*'s connection is
    masqueraded on its way (kube-proxy's external destinations), the address the receiving
    pod's ingress sees; the pod's own egress is still judged as the pod's. ``via_service``:
    reached through a Service address the service proxy load-balanced (a pod reaching itself
    so is subject to the admin tiers, to its own IP it is not)."""

    ip: str
    port: int
    pod: Pod | None
    source_ips: tuple[str, ...]
    source_pod: Pod | None
    seen_from: tuple[str, ...] = ()
    via_service: bool = False


@dataclass(frozen=True, slots=True)
class RouteOptions:
    """How a URL traced from outside is asked of the routing engine: ``--method``,
    ``--header`` (repeatable), ``--gateway NS/NAME`` or ``--ingress-class NAME`` (one entry
    point only), ``--ingress-controller NS/KEY=VALUE`` (the pods of the IngressClasses), as in
    ``podpath route`` (:func:`podpath.engine.routing.route_request`,
    :func:`podpath.engine.routing.entry_points`)."""

    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    gateway: str | None = None
    ingress_class: str | None = None
    ingress_controller: str | None = None

    @property
    def given(self) -> bool:
        """Whether any option differs from the default (a plain GET to every entry point)."""
        return self != RouteOptions()


@dataclass(frozen=True, slots=True)
class Probe:
    """A connection that is not traced but whose NetworkPolicy verdict is given as a note: to
    ``ip``, one target per port (none: the port is not known)."""

    ip: str
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True, slots=True)
class Answered:
    """What the route of an entry point answers (issue 13): ``location``, the absolute target
    of a 3xx redirect, and ``path``, the path the backend receives after rewrites (each None
    when the answer has none: ``podpath route``'s ``location`` and ``path``). ``itself``: the
    entry point answers without a backend and not with an error (a redirect, a CORS
    preflight): the trace ends there, verdict ``answered``."""

    location: str | None = None
    path: str | None = None
    itself: bool = False


@dataclass(frozen=True, slots=True)
class Leg:
    """What one stage adds to the path: hops, notes, the targets it reaches, the endpoint
    verdicts it gives, the reason the connection drops there (None: it goes on), probes for
    policy, and what the entry point's route answers (:class:`Answered`: the redirect's
    ``location``, the ``path`` the backend receives). ``a + b``: ``b`` after ``a`` (the last
    drop reason and answer given)."""

    hops: tuple[Hop, ...] = ()
    notes: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    endpoints: tuple[EndpointVerdict, ...] = ()
    drop: str | None = None
    probes: tuple[Probe, ...] = ()
    answered: Answered | None = None

    def __add__(self, other: Leg) -> Leg:
        return Leg(
            self.hops + other.hops,
            self.notes + other.notes,
            self.targets + other.targets,
            self.endpoints + other.endpoints,
            other.drop if other.drop is not None else self.drop,
            self.probes + other.probes,
            other.answered if other.answered is not None else self.answered,
        )


@dataclass(frozen=True, slots=True)
class TraceResult:
    """The trace. ``paths``: when several entry points serve a URL's host, one result per
    entry point (``entry_point`` set), and this one sums them up
    (:mod:`podpath.analyze.trace.url`). ``location`` and ``path``: what the route answers
    (:class:`Answered`) when the request reached an entry point's route; over several paths,
    the value every path gives (else None). ``port``: the port the connection goes to, as the
    question decided it (``--port``, else the one DST names; set by
    :func:`podpath.analyze.trace.dispatch.trace`)."""

    verdict: str
    hops: tuple[Hop, ...] = ()
    endpoints: tuple[EndpointVerdict, ...] = ()
    drop: str | None = None
    notes: tuple[str, ...] = ()
    entry_point: str | None = None
    paths: tuple[TraceResult, ...] = ()
    location: str | None = None
    path: str | None = None
    port: int | str | None = None


def pick(addresses: Sequence[str], family: int | None) -> str | None:
    """The address of ``family`` (4 or 6) among ``addresses``, the first one when None."""
    if family is None:
        return addresses[0] if addresses else None
    return next((a for a in addresses if ipaddress.ip_address(a).version == family), None)


def source_ips(source: Source) -> tuple[str, ...]:
    """The addresses policies see for the source itself (none for a pod without an IP)."""
    return (source.ip,) if source.ip else ()


def aggregate(endpoints: Sequence[EndpointVerdict]) -> str:
    """allowed / denied / partial over the endpoints (an endpoint may itself be partial)."""
    verdicts = {e.verdict for e in endpoints}
    if verdicts == {ALLOWED}:
        return ALLOWED
    if verdicts == {DENIED}:
        return DENIED
    return PARTIAL


def finish(leg: Leg, *, entry_point: str | None = None) -> TraceResult:
    """The result of a whole path: unreachable when a hop dropped it before any endpoint, or
    none was reached; answered when the entry point's route answers itself (a redirect, a
    CORS preflight); else the endpoints' verdict. A connection refused before any endpoint
    (``loadBalancerSourceRanges``, the entry point's pods, from outside or through an
    ``ipMode: Proxy`` load balancer) is denied."""
    drop = leg.drop
    answered = leg.answered or Answered()
    if not leg.endpoints and drop and drop.startswith("denied"):
        verdict = DENIED
    elif not leg.endpoints and answered.itself and drop is None:
        verdict = ANSWERED
    elif not leg.endpoints:
        drop = drop or NO_ENDPOINTS
        verdict = UNKNOWN if drop.startswith(PODS_NOT_IN_INPUT.split("{")[0]) else UNREACHABLE
    else:
        verdict = aggregate(leg.endpoints)
    return TraceResult(
        verdict,
        leg.hops,
        leg.endpoints,
        drop,
        leg.notes,
        entry_point,
        location=answered.location,
        path=answered.path,
    )


def merge_endpoint(verdicts: Sequence[EndpointVerdict]) -> EndpointVerdict:
    """One endpoint judged from several sources (controller pods): allowed if every source is."""
    first = verdicts[0]
    reasons = tuple(dict.fromkeys(r for v in verdicts for r in v.reasons))
    drop = next((v.drop for v in verdicts if v.drop), None)
    seen = tuple(dict.fromkeys(ip for v in verdicts for ip in v.source_ips))
    return EndpointVerdict(
        first.pod, first.ip, first.port, aggregate(verdicts), reasons, drop, seen
    )
