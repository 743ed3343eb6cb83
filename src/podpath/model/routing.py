"""Routing model: Ingress (networking.k8s.io/v1), Gateway API (gateway.networking.k8s.io/v1)
and TLS Secrets (only certificate metadata is kept: never key material).

References:
- https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/
- https://kubernetes.io/docs/concepts/services-networking/ingress/
- https://gateway-api.sigs.k8s.io/reference/spec/

Every API default is applied by :mod:`podpath.normalize.routing`; the engine never sees a raw
dict.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.model.core import EMPTY_LABELS, NO_SOURCE, Labels, LabelSelector, ObjectRef, SourceRef

GATEWAY_GROUP = "gateway.networking.k8s.io"

# -- Ingress -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngressBackend:
    """``IngressBackend``: a Service and port (number or name) *or* a resource reference."""

    service_name: str | None = None
    service_port: int | str | None = None
    resource_group: str | None = None
    resource_kind: str | None = None
    resource_name: str | None = None

    @property
    def is_resource(self) -> bool:
        return self.resource_kind is not None

    def __str__(self) -> str:
        if self.is_resource:
            group = f"{self.resource_group}/" if self.resource_group else ""
            return f"{group}{self.resource_kind}/{self.resource_name}"
        return f"{self.service_name}:{self.service_port}"


@dataclass(frozen=True, slots=True)
class IngressPath:
    """``HTTPIngressPath``; ``path`` defaults to ``/`` when absent (ImplementationSpecific)."""

    path: str
    path_type: str  # "Exact" | "Prefix" | "ImplementationSpecific"
    backend: IngressBackend


@dataclass(frozen=True, slots=True)
class IngressRule:
    """``IngressRule``: ``host`` None applies to every host."""

    host: str | None
    paths: tuple[IngressPath, ...] = ()


@dataclass(frozen=True, slots=True)
class IngressTLS:
    hosts: tuple[str, ...] = ()
    secret_name: str | None = None


@dataclass(frozen=True, slots=True)
class Ingress:
    """An Ingress. ``class_name`` is ``spec.ingressClassName``; ``class_annotation`` the legacy
    ``kubernetes.io/ingress.class`` annotation."""

    namespace: str
    name: str
    class_name: str | None = None
    class_annotation: str | None = None
    default_backend: IngressBackend | None = None
    rules: tuple[IngressRule, ...] = ()
    tls: tuple[IngressTLS, ...] = ()
    creation_timestamp: str = ""
    annotations: Labels = EMPTY_LABELS
    source: SourceRef = NO_SOURCE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Ingress", self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class IngressClass:
    """An IngressClass (cluster-scoped); ``is_default`` from
    ``ingressclass.kubernetes.io/is-default-class: "true"``."""

    name: str
    controller: str = ""
    is_default: bool = False
    labels: Labels = EMPTY_LABELS
    annotations: Labels = EMPTY_LABELS
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("IngressClass", "", self.name)


# -- Gateway API ---------------------------------------------------------------------------


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
class Gateway:
    namespace: str
    name: str
    class_name: str
    listeners: tuple[Listener, ...] = ()
    addresses: tuple[str, ...] = ()  # spec.addresses values
    status_addresses: tuple[str, ...] = ()  # status.addresses values
    labels: Labels = EMPTY_LABELS
    creation_timestamp: str = ""
    source: SourceRef = NO_SOURCE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Gateway", self.namespace, self.name)


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
class RouteFilter:
    """A filter as reported: its ``type`` and its settings flattened to ``key=value`` pairs."""

    type: str
    settings: tuple[tuple[str, str], ...] = ()

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


ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute")


@dataclass(frozen=True, slots=True)
class Route:
    """An HTTPRoute, GRPCRoute, TLSRoute or TCPRoute (``kind`` says which)."""

    kind: str
    namespace: str
    name: str
    parent_refs: tuple[ParentRef, ...] = ()
    hostnames: tuple[str, ...] = ()
    rules: tuple[RouteRule, ...] = ()
    creation_timestamp: str = ""
    source: SourceRef = NO_SOURCE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.kind, self.namespace, self.name)


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
class ReferenceGrant:
    namespace: str
    name: str
    from_: tuple[GrantFrom, ...] = ()
    to: tuple[GrantTo, ...] = ()
    source: SourceRef = NO_SOURCE

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("ReferenceGrant", self.namespace, self.name)


# -- TLS Secrets ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certificate:
    """What podpath keeps of a certificate: names and validity (ISO 8601 UTC), or the parse
    error."""

    dns_names: tuple[str, ...] = ()
    common_name: str | None = None
    not_before: str = ""
    not_after: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Secret:
    """A Secret: its ``type`` and, for TLS Secrets, the parsed ``tls.crt`` (no key material)."""

    namespace: str
    name: str
    type: str = "Opaque"
    certificate: Certificate | None = None
    has_key: bool = False
    source: SourceRef = NO_SOURCE

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Secret", self.namespace, self.name)


# -- Results of the routing engine ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeightedBackend:
    """One weighted outcome of a matched rule: a Service port (``status`` None: it serves),
    or an error status (500 invalid/unpermitted backend, 503 no ready endpoints)."""

    weight: int
    service: str | None = None  # "NS/NAME"
    port: int | None = None  # the Service port (a named Ingress port resolved to its number)
    status: int | None = None
    endpoints: tuple[str, ...] = ()  # ready endpoints: pod keys (or IPs without a pod)
    resource: str | None = None  # an Ingress resource backend "GROUP/KIND/NAME"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MatchRef:
    """The rule that decided: object kind and ``NS/NAME``, rule index (and path/match index)."""

    kind: str
    object: str
    rule: int | None = None
    match: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TLSCheck:
    """The certificate an entry point presents for a host, and what is wrong with it."""

    host: str
    secret: str | None  # "NS/NAME"
    source: str  # "Ingress/NS/NAME tls[0]" or "Gateway/NS/NAME listener https"
    found: bool = False
    checked: bool = True  # False when the input holds no Secrets at all
    covers_host: bool = False
    not_after: str = ""
    expired: bool = False
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """Where outside traffic enters: an IngressClass (its controller) or a Gateway.

    ``pods`` implement it (controller or gateway pods); ``services`` are the Services in front
    of them (LoadBalancer first) and ``addresses`` the load-balancer addresses.
    """

    kind: str  # "IngressClass" | "Gateway"
    name: str  # class name, or "NS/NAME" for a Gateway
    class_name: str
    controller: str = ""
    declared: bool = True
    pods: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    listeners: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    """Where one entry point sends a request, and why."""

    entry_point: str  # EntryPoint.label, "" when no entry point serves the host
    status: int
    match: MatchRef | None = None
    backend: WeightedBackend | None = None
    backends: tuple[WeightedBackend, ...] = ()
    filters: tuple[RouteFilter, ...] = ()
    tls: TLSCheck | None = None
    reasons: tuple[str, ...] = ()

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Ready endpoints of every backend that receives traffic (weight > 0, no error)."""
        out = {e for b in self.backends if b.weight > 0 and b.status is None for e in b.endpoints}
        return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class ParentStatus:
    """A route's status for one parentRef, as a controller would write it."""

    parent: str
    accepted: bool
    accepted_reason: str
    resolved_refs: bool
    resolved_reason: str
    listeners: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouteStatus:
    route: str  # "KIND/NS/NAME"
    parents: tuple[ParentStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP(S) or gRPC request as an entry point sees it. ``host`` is lower-case without
    port; ``headers`` names are lower-case; ``grpc`` is set for grpc:// URLs or a
    ``content-type: application/grpc`` header."""

    scheme: str
    host: str
    port: int
    path: str
    query: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    grpc: bool = False

    @property
    def tls(self) -> bool:
        return self.scheme in ("https", "grpcs")

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def query_param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)
