"""Gateway listeners: which are distinct, valid and programmed, on a Gateway alone and merged
with the ListenerSets it allows (GEP-1713).

https://gateway-api.sigs.k8s.io/reference/spec/#gatewayspec ("Distinct Listeners"),
#listenerstatus, and GEP-1713 (https://gateway-api.sigs.k8s.io/geps/gep-1713/, standard
channel since v1.5).

- Distinct listeners: listeners sharing a protocol must differ in port or hostname (HTTP,
  HTTPS, TLS) or in port (TCP, UDP); a TCP listener shares no port with HTTP/HTTPS/TLS ones;
  an HTTPS and a TLS listener on one port need different hostnames. Within one Gateway (or one
  ListenerSet) "ALL indistinct Listeners must not be accepted" (Conflicted).
- Merged listeners (GEP-1713 "Listener Precedence"): the parent Gateway's, then each
  attached ListenerSet's, oldest first, then by ``{namespace}/{name}``; a ListenerSet listener
  that conflicts with an earlier one is Conflicted, the earlier one keeps serving (conformance
  ListenerSetHostnameConflict, ListenerSetProtocolConflict).
- Validity (ListenerConditionAccepted / Programmed): an unsupported protocol is not Accepted
  (UnsupportedProtocol); HTTPS without ``tls`` ("This field is required if the Protocol field
  is HTTPS or TLS"; v1.6.0-rc CRDs rejected it at admission, v1.6.0 reverted that to the
  experimental channel, so standard-channel manifests may carry one), HTTPS with mode
  Passthrough, TLS without ``tls``, and ``tls`` on HTTP/TCP/UDP are Programmed False (Invalid)
  and serve nothing.
- Route kinds: ``allowedRoutes.kinds`` the protocol cannot carry are dropped from the
  supported kinds and make ResolvedRefs False (InvalidRouteKinds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from podpath.model.core import Note
from podpath.model.gateway import GATEWAY_GROUP, Gateway, Listener, RouteGroupKind

if TYPE_CHECKING:
    from podpath.cluster import Cluster

PROTOCOLS = ("HTTP", "HTTPS", "TLS", "TCP", "UDP")
KINDS_BY_PROTOCOL = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
TLS_PROTOCOLS = ("HTTPS", "TLS")
HOSTNAME_PROTOCOLS = ("HTTP", "HTTPS", "TLS")


def listeners_conflict(a: Listener, b: Listener) -> str | None:
    """Whether two listeners are *not distinct*, and the Conflicted reason.

    GatewaySpec.listeners ("Distinct Listeners"): listeners sharing a protocol must differ in
    Port or Hostname (HTTP, HTTPS, TLS) or in Port (TCP, UDP) -> else ``HostnameConflict``;
    "all the Listeners that share a port with the TCP Listener are not distinct" ->
    ``ProtocolConflict``; an HTTPS and a TLS listener on one port with the same hostname
    cannot be told apart by SNI -> ``ProtocolConflict``. The CRD's validation rejects an exact
    port/protocol/hostname duplicate within one resource at admission; manifests may still
    carry one, and across a Gateway and its ListenerSets nothing rejects it.
    """
    if a.port != b.port:
        return None
    same_host = (a.hostname or "").lower() == (b.hostname or "").lower()
    if a.protocol == b.protocol:
        if a.protocol in HOSTNAME_PROTOCOLS:
            return "HostnameConflict" if same_host else None
        return "ProtocolConflict"
    protocols = {a.protocol, b.protocol}
    if "TCP" in protocols and protocols & set(HOSTNAME_PROTOCOLS):
        return "ProtocolConflict"
    if protocols == set(TLS_PROTOCOLS) and same_host:
        return "ProtocolConflict"
    return None


def conflicts_among(listeners: Sequence[Listener]) -> dict[str, str]:
    """Conflicted listeners of one resource: name -> "REASON: with LISTENER[, ...]". None of
    them is accepted ("The implementation MUST NOT pick one conflicting Listener as the
    winner. ALL indistinct Listeners must not be accepted for processing")."""
    out: dict[str, str] = {}
    for i, a in enumerate(listeners):
        others = [
            (b.name, r)
            for j, b in enumerate(listeners)
            if i != j and (r := listeners_conflict(a, b))
        ]
        if others:
            out[a.name] = f"{others[0][1]}: with {', '.join(n for n, _ in others)}"
    return out


def conflicted_listeners(gateway: Gateway) -> dict[str, str]:
    """Conflicted listeners of a Gateway's own ``spec.listeners`` (:func:`conflicts_among`)."""
    return conflicts_among(gateway.listeners)


def conflict_text(gateway: Gateway, names: list[str]) -> str:
    """ "listener(s) of Gateway NS/NAME Conflicted, none accepted: http (HostnameConflict ...)"."""
    conflicts = conflicted_listeners(gateway)
    parts = "; ".join(f"{n} ({conflicts[n]})" for n in names if n in conflicts)
    return (
        f"listener(s) of Gateway {gateway.key} Conflicted, none accepted: {parts} "
        "(Gateway API: indistinct listeners are all rejected)"
    )


def listener_conflict_notes(cluster: Cluster) -> tuple[Note, ...]:
    """One error note per Gateway with Conflicted listeners (routes and doctor report it)."""
    notes = []
    for gw in sorted(cluster.of_kind("Gateway"), key=lambda g: g.key):
        conflicts = conflicted_listeners(gw)
        if conflicts:
            notes.append(
                Note(
                    "error",
                    "gateway-listener-conflicted",
                    conflict_text(gw, sorted(conflicts)),
                    str(gw.ref),
                    gw.source,
                )
            )
    return tuple(notes)


def listener_problem(listener: Listener) -> tuple[str, str, str] | None:
    """Why a listener cannot be programmed: (Accepted reason, Programmed reason, message), or
    None (module docstring; ListenerConditionAccepted, ListenerConditionProgrammed)."""
    protocol, mode = listener.protocol, listener.tls_mode
    if protocol not in PROTOCOLS and "/" not in protocol:
        return "UnsupportedProtocol", "Invalid", f"protocol {protocol} is not supported"
    if protocol == "HTTPS" and mode is None:
        return (
            "UnsupportedValue",
            "Invalid",
            "HTTPS listener without tls: tls is required for protocol HTTPS (Listener.tls)",
        )
    if protocol == "HTTPS" and mode != "Terminate":
        return "UnsupportedValue", "Invalid", "tls mode must be Terminate for protocol HTTPS"
    if protocol == "TLS" and mode is None:
        return "UnsupportedValue", "Invalid", "tls mode must be set for protocol TLS"
    if protocol in ("HTTP", "TCP", "UDP") and mode is not None:
        return "UnsupportedValue", "Invalid", f"tls must not be specified for protocol {protocol}"
    return None


def protocol_kinds(listener: Listener) -> tuple[RouteGroupKind, ...]:
    """The route kinds a listener's protocol carries (HTTP/HTTPS: HTTPRoute, GRPCRoute; TLS:
    TLSRoute -- TCPRoute no longer, v1.5 -- TCP: TCPRoute; UDP: UDPRoute)."""
    return tuple(
        RouteGroupKind(GATEWAY_GROUP, k) for k in KINDS_BY_PROTOCOL.get(listener.protocol, ())
    )


def listener_kinds(listener: Listener) -> tuple[RouteGroupKind, ...]:
    """``ListenerStatus.supportedKinds``: ``allowedRoutes.kinds`` the protocol carries (group
    defaulted to gateway.networking.k8s.io), else every kind of the protocol."""
    carried = protocol_kinds(listener)
    if not listener.allowed_kinds:
        return carried
    names = {k.kind for k in carried}
    return tuple(
        RouteGroupKind(GATEWAY_GROUP, k.kind)
        for k in listener.allowed_kinds
        if k.kind in names and k.group in (GATEWAY_GROUP, "")
    )


def invalid_route_kinds(listener: Listener) -> tuple[RouteGroupKind, ...]:
    """``allowedRoutes.kinds`` the listener cannot carry (ResolvedRefs False,
    InvalidRouteKinds: "If kinds are specified in Spec that are not supported, they MUST NOT
    appear in this list and an implementation MUST set the ResolvedRefs condition to False")."""
    ok = {k.kind for k in listener_kinds(listener)}
    return tuple(k for k in listener.allowed_kinds if k.kind not in ok)
