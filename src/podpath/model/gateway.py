"""Gateway API model (gateway.networking.k8s.io/v1): GatewayClass, Gateway, ListenerSet,
routes (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) and ReferenceGrant.

Reference: https://gateway-api.sigs.k8s.io/reference/spec/

Every API default is applied by :mod:`podpath.normalize.routing`; the engine never sees a raw
dict. Re-exported by :mod:`podpath.model.routing`.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.model.core import EMPTY_LABELS, NO_SOURCE, Labels, LabelSelector, ObjectRef, SourceRef
from podpath.model.objects import Namespaced

GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclass(frozen=True, slots=True)
class GatewayClass:
    name: str
    controller_name: str = ""
    labels: Labels = EMPTY_LABELS
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("GatewayClass", "", self.name)


@dataclass(frozen=True, slots=True)
class SecretObjectRef:
    """A ``SecretObjectReference`` (listener ``tls.certificateRefs``), namespace defaulted."""

    namespace: str
    name: str
    group: str = ""
    kind: str = "Secret"


@dataclass(frozen=True, slots=True)
class RouteGroupKind:
    group: str
    kind: str

    def __str__(self) -> str:
        return f"{self.group}/{self.kind}" if self.group else self.kind


@dataclass(frozen=True, slots=True)
class Listener:
    """A Gateway ``Listener``. ``allowed_from`` is ``allowedRoutes.namespaces.from`` (default
    Same); ``allowed_kinds`` empty means "by protocol"."""

    name: str
    protocol: str
    port: int
    hostname: str | None = None
    tls_mode: str | None = None  # "Terminate" | "Passthrough" (HTTPS/TLS listeners)
    certificate_refs: tuple[SecretObjectRef, ...] = ()
    allowed_from: str = "Same"
    allowed_selector: LabelSelector | None = None
    allowed_kinds: tuple[RouteGroupKind, ...] = ()


@dataclass(frozen=True, slots=True)
class Gateway(Namespaced):
    KIND = "Gateway"

    namespace: str
    name: str
    class_name: str
    listeners: tuple[Listener, ...] = ()
    addresses: tuple[str, ...] = ()  # spec.addresses values
    status_addresses: tuple[str, ...] = ()  # status.addresses values
    labels: Labels = EMPTY_LABELS
    creation_timestamp: str = ""
    allowed_listeners_from: str = "None"  # spec.allowedListeners.namespaces.from
    allowed_listeners_selector: LabelSelector | None = None
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class ParentRef:
    """``ParentReference`` with defaults: group gateway.networking.k8s.io, kind Gateway,
    namespace the route's."""

    namespace: str
    name: str
    group: str = GATEWAY_GROUP
    kind: str = "Gateway"
    section_name: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        text = f"{self.kind}/{self.namespace}/{self.name}"
        if self.section_name:
            text += f"/{self.section_name}"
        if self.port is not None:
            text += f":{self.port}"
        return text


@dataclass(frozen=True, slots=True)
class PathMatch:
    type: str = "PathPrefix"  # "Exact" | "PathPrefix" | "RegularExpression"
    value: str = "/"


@dataclass(frozen=True, slots=True)
class ValueMatch:
    """A header or query-parameter match (``type`` Exact or RegularExpression)."""

    name: str
    value: str
    type: str = "Exact"


@dataclass(frozen=True, slots=True)
class HTTPRouteMatch:
    path: PathMatch = PathMatch()
    headers: tuple[ValueMatch, ...] = ()
    query_params: tuple[ValueMatch, ...] = ()
    method: str | None = None


@dataclass(frozen=True, slots=True)
class GRPCRouteMatch:
    """``GRPCRouteMatch``: ``method`` (service and/or method, Exact or RegularExpression) and
    headers."""

    service: str | None = None
    method: str | None = None
    type: str = "Exact"
    headers: tuple[ValueMatch, ...] = ()


@dataclass(frozen=True, slots=True)
class CORSPolicy:
    """An ``HTTPCORSFilter`` with its defaults (``maxAge`` 5, ``allowCredentials`` false)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int = 5


@dataclass(frozen=True, slots=True)
class RouteFilter:
    """A filter as reported: its ``type`` and its settings flattened to ``key=value`` pairs;
    a CORS filter also carries its typed settings (``cors``)."""

    type: str
    settings: tuple[tuple[str, str], ...] = ()
    cors: CORSPolicy | None = None

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.settings)
        return f"{self.type}({inner})" if inner else self.type


@dataclass(frozen=True, slots=True)
class BackendRef:
    """A route ``backendRef`` with defaults: group "" and kind Service, namespace the route's,
    weight 1."""

    namespace: str
    name: str
    port: int | None = None
    group: str = ""
    kind: str = "Service"
    weight: int = 1
    filters: tuple[RouteFilter, ...] = ()

    def __str__(self) -> str:
        kind = f"{self.group}/{self.kind}" if self.group else self.kind
        port = f":{self.port}" if self.port is not None else ""
        return f"{kind}/{self.namespace}/{self.name}{port}"


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One rule of any route kind; ``matches`` holds HTTPRouteMatch or GRPCRouteMatch values
    (empty for TLSRoute/TCPRoute)."""

    matches: tuple[HTTPRouteMatch | GRPCRouteMatch, ...] = ()
    filters: tuple[RouteFilter, ...] = ()
    backend_refs: tuple[BackendRef, ...] = ()
    name: str | None = None


ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")


@dataclass(frozen=True, slots=True)
class Route(Namespaced):
    """An HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute (``kind`` says which)."""

    kind: str
    namespace: str
    name: str
    parent_refs: tuple[ParentRef, ...] = ()
    hostnames: tuple[str, ...] = ()
    rules: tuple[RouteRule, ...] = ()
    creation_timestamp: str = ""
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class ListenerSet(Namespaced):
    """A ``ListenerSet`` (GEP-1713, standard channel since v1.5): listeners attached to the
    Gateway ``parent`` (its namespace defaulted to the ListenerSet's)."""

    KIND = "ListenerSet"

    namespace: str
    name: str
    parent: ParentRef
    listeners: tuple[Listener, ...] = ()
    creation_timestamp: str = ""
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class BackendTLS:
    """How the gateway connects to a backend Service port under a BackendTLSPolicy: the SNI
    and name checked (``hostname``), the CA (``ConfigMap/NS/NAME`` or ``System``), and why the
    policy is not usable (``problems``: then the connection fails with a 5xx)."""

    policy: str  # "NS/NAME"
    hostname: str
    ca: tuple[str, ...] = ()
    subject_alt_names: tuple[str, ...] = ()
    valid: bool = True
    checked: bool = True  # False when the input holds no ConfigMaps at all
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GrantFrom:
    group: str
    kind: str
    namespace: str


@dataclass(frozen=True, slots=True)
class GrantTo:
    group: str
    kind: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceGrant(Namespaced):
    KIND = "ReferenceGrant"

    namespace: str
    name: str
    from_: tuple[GrantFrom, ...] = ()
    to: tuple[GrantTo, ...] = ()
    source: SourceRef = NO_SOURCE
