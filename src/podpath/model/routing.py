"""Routing model: Ingress (networking.k8s.io/v1), Gateway API (gateway.networking.k8s.io/v1)
and TLS Secrets (only certificate metadata is kept: never key material).

References:
- https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/
- https://kubernetes.io/docs/concepts/services-networking/ingress/
- https://gateway-api.sigs.k8s.io/reference/spec/

Every API default is applied by :mod:`podpath.normalize.routing`; the engine never sees a raw
dict. The Ingress models live in :mod:`podpath.model.ingress`, the Gateway API models in
:mod:`podpath.model.gateway`; this module holds TLS Secrets and the routing engine's results.
Import each name from the module that defines it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from podpath.model.core import NO_SOURCE, SourceRef
from podpath.model.gateway import (
    BackendTLS,
    RouteFilter,
)
from podpath.model.objects import Namespaced

# -- TLS Secrets ---------------------------------------------------------------------------

TLS_SECRET_TYPE = "kubernetes.io/tls"


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
class Secret(Namespaced):
    """A Secret: its ``type`` and, for TLS Secrets, the parsed ``tls.crt`` (no key material)."""

    KIND = "Secret"

    namespace: str
    name: str
    type: str = "Opaque"
    tls_crt: bytes | None = field(default=None, repr=False)  # the PEM chain, parsed on use
    has_key: bool = False
    source: SourceRef = NO_SOURCE

    @property
    def certificate(self) -> Certificate | None:
        """The parsed ``tls.crt`` of a TLS Secret (None for other types). Parsed when a TLS
        check first asks, not at load time: ``cryptography`` costs a command's start-up."""
        if self.type != TLS_SECRET_TYPE:
            return None
        if not self.tls_crt:
            return Certificate(error="tls.crt is missing or empty")
        return parse_certificate(self.tls_crt)


@functools.lru_cache(maxsize=1024)
def parse_certificate(pem: bytes) -> Certificate:
    """The first certificate of a PEM chain: DNS SANs, CN and validity (UTC, ISO 8601).

    Format: RFC 7468 (PEM) of an X.509 certificate (RFC 5280); the Secret's layout is
    https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets.
    """
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        return Certificate(error=f"tls.crt is not a PEM certificate: {exc}")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(str(n).lower() for n in san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    cn = str(cns[0].value) if cns else None
    return Certificate(
        dns_names=names,
        common_name=cn,
        not_before=cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


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
    canary: bool = False  # an ingress-nginx canary backend
    via: str | None = None  # "ClusterIP IP:PORT" (ingress-nginx service-upstream)


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
    """Where one entry point sends a request, and why.

    ``path`` is the path the backend receives (after rewrites; None when the request is not
    forwarded: 404, redirect, 5xx); ``location`` the absolute redirect target of a 3xx;
    ``canary`` whether a canary backend (ingress-nginx) took the request; ``notes`` what was
    not modelled (listed under ``-v``); ``backend_tls`` the BackendTLSPolicy of the primary
    backend; ``response_headers`` headers the gateway adds (CORS)."""

    entry_point: str  # EntryPoint.label, "" when no entry point serves the host
    status: int
    match: MatchRef | None = None
    backend: WeightedBackend | None = None
    backends: tuple[WeightedBackend, ...] = ()
    filters: tuple[RouteFilter, ...] = ()
    tls: TLSCheck | None = None
    reasons: tuple[str, ...] = ()
    path: str | None = None
    location: str | None = None
    canary: bool = False
    notes: tuple[str, ...] = ()
    backend_tls: BackendTLS | None = None
    response_headers: tuple[tuple[str, str], ...] = ()

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
    modelled: bool = True  # False: the parent is not a Gateway (a mesh Service, GAMMA)


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
    raw_query: str = ""
    cookies: tuple[tuple[str, str], ...] = ()
    client_ip: str | None = None

    @property
    def tls(self) -> bool:
        return self.scheme in ("https", "grpcs")

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)

    def query_param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def cookie(self, name: str) -> str | None:
        return next((v for k, v in self.cookies if k == name), None)
