"""Layer-4 routing through Gateways: TLSRoute by SNI, TCPRoute and UDPRoute by listener port
(all gateway.networking.k8s.io/v1: TLSRoute since v1.5, TCPRoute and UDPRoute since v1.6).

    >>> for a in route_connection(cluster, "TCP", 5432, address="172.18.255.200"):
    ...     print(a.entry_point, a.outcome, a.listener, a.backend, a.endpoints)

https://gateway-api.sigs.k8s.io/reference/spec/ (TLSRouteSpec, TCPRouteRule, UDPRouteRule);
cases: the conformance tests TLSRoute*, TCPRoute*, UDPRoute* (conformance/tests/).

- TLS: a listener of protocol TLS on the port whose hostname matches the SNI (the most
  specific first); mode Passthrough forwards the encrypted stream, mode Terminate (Extended,
  TLSRouteTermination) decrypts it with the listener's certificate and forwards the plain
  stream -- re-encrypted when the backend has a BackendTLSPolicy. The TLSRoute: hostnames
  matching the SNI (the most specific hostname, then the oldest route, then
  ``{namespace}/{name}``), its single rule.
- TCP / UDP: the programmed listener of that protocol on the port; of the routes attached to
  it "only the oldest route is bound to the listener" (conformance
  TCPRouteMultipleRoutesAttachment: both are Accepted, the newer gets no traffic).
- Backends: weighted; an invalid backend or one without endpoints makes the gateway
  "actively reject connection attempts" (UDP: drop packets) for its share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from podpath.engine.backends import outcome
from podpath.engine.entrypoints import entry_points
from podpath.engine.gateway_attach import (
    Attachment,
    attachments,
    gateway_host_matches,
    gateways_by_key,
    host_specificity,
    resolve_backend_ref,
)
from podpath.engine.gateway_backend_tls import BACKEND_TLS_KINDS, with_backend_tls
from podpath.engine.gateway_listener_sets import MergedListener, gateway_listeners
from podpath.engine.gateway_refs import listener_tls
from podpath.engine.route_address import owners_of_address
from podpath.errors import InputError
from podpath.model.gateway import BackendRef, BackendTLS, Gateway, Listener, Route
from podpath.model.gateway_status import Connection, ConnectionAnswer
from podpath.model.routing import MatchRef, RouteAnswer, WeightedBackend

if TYPE_CHECKING:
    from podpath.cluster import Cluster

L4_PROTOCOLS = ("TCP", "UDP", "TLS")


def backends_with_tls(
    cluster: Cluster, route: Route, refs: Iterable[BackendRef], listener: Listener | None = None
) -> tuple[tuple[WeightedBackend, ...], dict[str, BackendTLS]]:
    """Resolved backendRefs, each under its BackendTLSPolicy where the route kind uses one
    (HTTPRoute, GRPCRoute; TLSRoute on a Terminate listener), and the policies by Service."""
    uses_tls = route.kind in BACKEND_TLS_KINDS or (
        route.kind == "TLSRoute" and listener is not None and listener.tls_mode == "Terminate"
    )
    out, policies = [], {}
    for ref in refs:
        wb = resolve_backend_ref(cluster, route, ref)[0]
        if uses_tls:
            wb, tls = with_backend_tls(cluster, wb)
            if tls is not None and wb.service:
                policies[wb.service] = tls
        out.append(wb)
    return tuple(out), policies


def primary_tls(
    primary: WeightedBackend | None, policies: dict[str, BackendTLS]
) -> BackendTLS | None:
    """The policy of the primary backend; without one, the first policy (the failing one)."""
    if primary is not None:
        return policies.get(primary.service or "")
    return next(iter(policies.values()), None)


def tls_routes_for(here: list[Attachment], sni: str) -> list[Attachment]:
    """TLSRoutes on a listener whose hostnames match the SNI, most specific first, then the
    oldest, then ``{namespace}/{name}``."""
    ok = [
        a
        for a in here
        if a.route.kind == "TLSRoute"
        and a.route.rules
        and (not a.hostnames or any(gateway_host_matches(h, sni) for h in a.hostnames))
    ]
    return sorted(
        ok,
        key=lambda a: (
            *(-x for x in host_specificity(a.hostnames, sni)),
            a.route.creation_timestamp,
            a.route.key,
        ),
    )


def tls_route_answer(
    cluster: Cluster,
    label: str,
    lead: str,
    here: list[Attachment],
    sni: str,
    listener: Listener,
) -> RouteAnswer:
    """An https:// request reaching a TLS listener: the TLSRoute matching the SNI (module
    docstring); the status is the forwarding outcome (200 forwarded, 500/503 rejected)."""
    ok = tls_routes_for(here, sni)
    if not ok:
        return RouteAnswer(label, 404, reasons=(f"{lead}: no TLSRoute matches SNI {sni}",))
    route = ok[0].route
    backends, policies = backends_with_tls(cluster, route, route.rules[0].backend_refs, listener)
    status, primary, why = outcome(backends)
    mode = "TLS passthrough" if listener.tls_mode == "Passthrough" else "TLS terminated"
    reasons = [
        f"{lead}: {route.ref} rule 0 ({mode}, SNI {sni})",
        *(b.reason for b in backends if b.reason),
    ]
    if why:
        reasons.append(why)
    return RouteAnswer(
        label,
        status,
        MatchRef(route.kind, route.key, 0, None, f"sni {sni}"),
        primary,
        backends,
        reasons=tuple(reasons),
        backend_tls=primary_tls(primary, policies),
    )


def connection_listener(
    merged: tuple[MergedListener, ...], conn: Connection
) -> tuple[MergedListener | None, list[MergedListener]]:
    """The programmed listener that takes the connection, and the listeners that would but
    serve nothing (Conflicted, invalid)."""
    if conn.protocol == "TLS":
        sni = conn.sni or ""
        fits = [
            m
            for m in merged
            if m.listener.protocol in ("TLS", "HTTPS")
            and m.listener.port == conn.port
            and gateway_host_matches(m.listener.hostname, sni)
        ]
    else:
        fits = [
            m
            for m in merged
            if m.listener.protocol == conn.protocol and m.listener.port == conn.port
        ]
    live = [m for m in fits if m.programmed]
    live.sort(
        key=lambda m: (
            0 if m.listener.hostname and not m.listener.hostname.startswith("*.") else 1,
            -len(m.listener.hostname or ""),
        )
    )
    return (live[0] if live else None), [m for m in fits if not m.programmed]


def _route_for(conn: Connection, here: list[Attachment]) -> tuple[Attachment | None, list[str]]:
    """The route bound to the listener for this connection, and notes on routes left out."""
    if conn.protocol == "TLS":
        ok = tls_routes_for(here, conn.sni or "")
        return (ok[0] if ok else None), []
    kind = f"{conn.protocol}Route"
    ok = sorted(
        (a for a in here if a.route.kind == kind and a.route.rules),
        key=lambda a: (a.route.creation_timestamp, a.route.key),
    )
    notes = [
        f"{a.route.ref} is attached too but gets no traffic: only the oldest {kind} is bound "
        "to a listener"
        for a in ok[1:]
    ]
    return (ok[0] if ok else None), notes


def describe(conn: Connection) -> str:
    return f"{conn.protocol} port {conn.port}" + (f" SNI {conn.sni}" if conn.sni else "")


def connect_gateway(
    cluster: Cluster,
    gateway: Gateway,
    conn: Connection,
    atts: tuple[Attachment, ...],
    now: datetime,
) -> ConnectionAnswer:
    """Where one Gateway sends a TCP, UDP or TLS connection (module docstring)."""
    label = f"Gateway/{gateway.key}"
    chosen, idle = connection_listener(gateway_listeners(cluster, gateway)[0], conn)
    what = describe(conn)
    if chosen is None:
        return ConnectionAnswer(
            label,
            "no-listener",
            reasons=(
                f"no listener of Gateway {gateway.key} takes {what}",
                *(m.why_not for m in idle),
            ),
        )
    lis = chosen.listener
    lead = f"listener {chosen.label} ({lis.protocol} {lis.port} {lis.hostname or '*'})"
    if lis.protocol == "HTTPS":
        return ConnectionAnswer(
            label,
            "no-route",
            chosen.label,
            reasons=(f"{lead} is HTTPS: HTTP routing applies, trace an https:// URL",),
        )
    here = [
        a
        for a in atts
        if a.gateway.key == gateway.key and a.owner == chosen.owner and a.listener.name == lis.name
    ]
    att, notes = _route_for(conn, here)
    if att is None:
        return ConnectionAnswer(
            label,
            "no-route",
            chosen.label,
            reasons=(
                f"{lead}: no {conn.protocol}Route attached"
                if conn.protocol != "TLS"
                else f"{lead}: no TLSRoute matches SNI {conn.sni}",
            ),
        )
    route = att.route
    backends, policies = backends_with_tls(cluster, route, route.rules[0].backend_refs, lis)
    status, primary, why = outcome(backends)
    tls = (
        listener_tls(cluster, chosen.owner, lis, conn.sni or "", now)
        if lis.protocol == "TLS" and lis.tls_mode == "Terminate"
        else None
    )
    detail = f"sni {conn.sni}" if conn.protocol == "TLS" else f"{conn.protocol.lower()} {conn.port}"
    reasons = [f"{lead}: {route.ref} rule 0", *notes, *(b.reason for b in backends if b.reason)]
    if why:
        reasons.append(f"{why}: the gateway rejects the connection")
    return ConnectionAnswer(
        label,
        "forwarded" if status == 200 else "rejected",
        chosen.label,
        MatchRef(route.kind, route.key, 0, None, detail),
        primary,
        backends,
        tls,
        primary_tls(primary, policies),
        tuple(reasons),
    )


def route_connection(
    cluster: Cluster,
    protocol: str,
    port: int,
    *,
    address: str | None = None,
    sni: str | None = None,
    gateway: str | None = None,
    now: datetime | None = None,
) -> tuple[ConnectionAnswer, ...]:
    """Where a TCP/UDP/TLS connection to ``address:port`` goes: one answer per Gateway the
    address reaches (its LoadBalancer address, Gateway address, externalIP, node IP +
    nodePort), or the one Gateway asked for; without either, one per Gateway with a listener
    for the port (Conflicted or invalid ones included, they say why). When none is reached,
    one answer with ``entry_point == ""`` and outcome ``no-listener``."""
    protocol = protocol.upper()
    if protocol not in L4_PROTOCOLS:
        raise InputError(f"protocol {protocol!r} is not TCP, UDP or TLS", field="protocol")
    conn = Connection(protocol, port, sni.lower().rstrip(".") if sni else None, address)
    now = now or datetime.now(UTC)
    gws = gateways_by_key(cluster)
    if gateway is not None:
        if gateway not in gws:
            raise InputError(f"Gateway {gateway} not found", field="--gateway")
        targets = [(gws[gateway], "")]
    elif address is None:
        targets = [(gws[k], "") for k in sorted(gws)]
    else:
        owners = owners_of_address(cluster, entry_points(cluster), address, port)
        targets = [(gws[ep.name], why) for ep, why in owners if ep.kind == "Gateway"]
    if not targets:
        return (
            ConnectionAnswer(
                "",
                "no-listener",
                reasons=(
                    f"no Gateway owns {address}:{port}" if address else "no Gateway in the input",
                ),
            ),
        )
    atts = attachments(cluster)
    out = []
    for gw, why in targets:
        answer = connect_gateway(cluster, gw, conn, atts, now)
        if why:
            answer = replace(answer, reasons=(f"connection to {why}", *answer.reasons))
        out.append(answer)
    if address is None and gateway is None:
        # by port alone: only the Gateways with a listener for it answer (as route_request)
        served = [a for a in out if a.outcome != "no-listener" or len(a.reasons) > 1]
        if not served:
            return (
                ConnectionAnswer(
                    "",
                    "no-listener",
                    reasons=(f"no Gateway listener takes {describe(conn)}",),
                ),
            )
        out = served
    return tuple(out)
