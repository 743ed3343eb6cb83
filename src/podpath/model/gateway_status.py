"""What a Gateway API controller would write in status, and the answers of the layer-4
routing engine (TLSRoute, TCPRoute, UDPRoute).

- Listener conditions (``ListenerStatus`` / ``ListenerEntryStatus``): Accepted, Programmed,
  Conflicted, ResolvedRefs, https://gateway-api.sigs.k8s.io/reference/spec/#listenerstatus.
- ListenerSet conditions (GEP-1713, ``ListenerSetStatus``): Accepted, Programmed.
- BackendTLSPolicy conditions (``PolicyStatus``): Accepted, ResolvedRefs.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.model.gateway import BackendTLS
from podpath.model.routing import MatchRef, TLSCheck, WeightedBackend


@dataclass(frozen=True, slots=True)
class ListenerState:
    """One listener's conditions. ``conflicted`` is the Conflicted reason (HostnameConflict,
    ProtocolConflict) or None; ``problem`` why it is not Accepted/Programmed otherwise
    (``(reason, message)``); ``resolved`` False with ``resolved_reason`` when a reference
    (certificate, route kinds) does not resolve."""

    name: str
    protocol: str
    port: int
    hostname: str | None
    accepted: bool
    programmed: bool
    reason: str  # the Accepted/Programmed reason ("Accepted" when fine)
    conflicted: str | None = None
    resolved: bool = True
    resolved_reason: str = "ResolvedRefs"
    supported_kinds: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True, slots=True)
class ListenerSetStatus:
    """A ListenerSet's Accepted / Programmed conditions and its listeners' states."""

    listener_set: str  # "NS/NAME"
    gateway: str  # "NS/NAME" of the parentRef
    accepted: bool
    accepted_reason: str
    programmed: bool
    programmed_reason: str
    message: str = ""
    listeners: tuple[ListenerState, ...] = ()


@dataclass(frozen=True, slots=True)
class BackendTLSPolicyStatus:
    """A BackendTLSPolicy's Accepted and ResolvedRefs conditions, as a controller computes
    them (``messages`` say which reference is invalid and why)."""

    policy: str  # "NS/NAME"
    accepted: bool
    accepted_reason: str
    resolved_refs: bool
    resolved_reason: str
    targets: tuple[str, ...] = ()  # "Service/NS/NAME[:SECTION]"
    messages: tuple[str, ...] = ()
    checked: bool = True  # False: the input holds no ConfigMaps, CA refs not checked


@dataclass(frozen=True, slots=True)
class Connection:
    """A TCP, UDP or TLS connection to an entry point: ``protocol`` "TCP" | "UDP" | "TLS",
    the destination ``port`` and, for TLS, the SNI in the ClientHello."""

    protocol: str
    port: int
    sni: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionAnswer:
    """Where one Gateway sends a connection. ``outcome``: ``forwarded`` (a backend takes it),
    ``rejected`` (the route's backends are invalid or have no endpoints: the connection is
    actively rejected, TCPRouteRule.backendRefs), ``no-route`` (a listener but no route) or
    ``no-listener`` (nothing listens on that port for that protocol/SNI)."""

    entry_point: str  # "Gateway/NS/NAME", "" when no Gateway is reached
    outcome: str
    listener: str | None = None  # "Gateway/NS/NAME/LISTENER" or "ListenerSet/NS/NAME/LISTENER"
    match: MatchRef | None = None
    backend: WeightedBackend | None = None
    backends: tuple[WeightedBackend, ...] = ()
    tls: TLSCheck | None = None  # a TLS listener in Terminate mode: its certificate
    backend_tls: BackendTLS | None = None
    reasons: tuple[str, ...] = ()

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Ready endpoints of every backend that takes connections (weight > 0, no error)."""
        out = {e for b in self.backends if b.weight > 0 and b.status is None for e in b.endpoints}
        return tuple(sorted(out))
