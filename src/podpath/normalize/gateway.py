"""Raw Gateway API v1.5/v1.6 objects -> model: listeners (of Gateways and ListenerSets),
ListenerSet and the CORS filter (BackendTLSPolicy and ConfigMaps:
:mod:`podpath.normalize.gateway_policy`).

API defaults applied here, once (https://gateway-api.sigs.k8s.io/reference/spec/):

- Listener: ``allowedRoutes.namespaces.from`` Same; ``tls.mode`` Terminate;
  certificateRef group ``""``, kind Secret, namespace the owner's (Gateway or ListenerSet).
- Gateway ``allowedListeners.namespaces.from``: None (``AllowedListeners``: "The default
  value is to allow no ListenerSets").
- ListenerSet ``parentRef`` (``ParentGatewayReference``): group gateway.networking.k8s.io,
  kind Gateway, namespace the ListenerSet's.
- ``HTTPCORSFilter``: ``maxAge`` 5, ``allowCredentials`` false.
"""

from __future__ import annotations

from typing import Any

from podpath.model.core import LabelSelector, SourceRef
from podpath.model.gateway import (
    GATEWAY_GROUP,
    CORSPolicy,
    Listener,
    ListenerSet,
    ParentRef,
    RouteGroupKind,
    SecretObjectRef,
)
from podpath.normalize.core import normalize_selector
from podpath.normalize.fields import Fields, object_fields

CORS_DEFAULT_MAX_AGE = 5


def _ns(ns: str) -> str:
    return ns or "default"


def normalize_listener(f: Fields, owner_ns: str) -> Listener:
    """A ``Listener`` of a Gateway or a ``ListenerEntry`` of a ListenerSet (same fields)."""
    tls = f.maybe_map("tls")
    allowed = f.map("allowedRoutes")
    namespaces = allowed.map("namespaces")
    selector = namespaces.maybe_map("selector")
    return Listener(
        name=f.req_str("name"),
        protocol=f.req_str("protocol"),
        port=f.port_number("port") or 0,
        hostname=f.str("hostname") or None,
        tls_mode=(tls.str("mode") or "Terminate") if tls is not None else None,
        certificate_refs=tuple(
            SecretObjectRef(
                namespace=c.str("namespace") or owner_ns,
                name=c.req_str("name"),
                group=c.str("group") or "",
                kind=c.str("kind") or "Secret",
            )
            for c in (tls.maps("certificateRefs") if tls is not None else [])
        ),
        allowed_from=namespaces.str("from") or "Same",
        allowed_selector=normalize_selector(selector) if selector is not None else None,
        allowed_kinds=tuple(
            RouteGroupKind(k.str("group", GATEWAY_GROUP) or "", k.req_str("kind"))
            for k in allowed.maps("kinds")
        ),
    )


def allowed_listeners(spec: Fields) -> tuple[str, LabelSelector | None]:
    """``spec.allowedListeners.namespaces`` of a Gateway: (from, selector); from None by
    default."""
    namespaces = spec.map("allowedListeners").map("namespaces")
    selector = namespaces.maybe_map("selector")
    return (
        namespaces.str("from") or "None",
        normalize_selector(selector) if selector is not None else None,
    )


def normalize_cors(f: Fields) -> CORSPolicy:
    """An HTTPRoute filter's ``cors`` settings (``HTTPCORSFilter``)."""
    cors = f.map("cors")
    max_age = cors.int("maxAge")
    return CORSPolicy(
        allow_origins=cors.strs("allowOrigins"),
        allow_methods=cors.strs("allowMethods"),
        allow_headers=cors.strs("allowHeaders"),
        expose_headers=cors.strs("exposeHeaders"),
        allow_credentials=cors.bool("allowCredentials"),
        max_age=CORS_DEFAULT_MAX_AGE if max_age is None else max_age,
    )


def normalize_listener_set(raw: dict[str, Any], source: SourceRef) -> ListenerSet:
    top, meta, ns, name = object_fields(raw, source)
    ns = _ns(ns)
    spec = top.map("spec")
    parent = spec.map("parentRef")
    return ListenerSet(
        namespace=ns,
        name=name,
        parent=ParentRef(
            namespace=parent.str("namespace") or ns,
            name=parent.req_str("name"),
            group=parent.str("group", GATEWAY_GROUP) or "",
            kind=parent.str("kind") or "Gateway",
        ),
        listeners=tuple(normalize_listener(lf, ns) for lf in spec.maps("listeners")),
        creation_timestamp=meta.str("creationTimestamp") or "",
        source=source,
    )


GATEWAY_NORMALIZERS = {"ListenerSet": normalize_listener_set}
