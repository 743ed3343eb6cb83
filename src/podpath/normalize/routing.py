"""Raw Ingress, IngressClass, Gateway API objects and TLS Secrets -> routing model.

API defaults applied here, once:

- Ingress (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/):
  ``path`` absent -> ``/`` (only allowed for ImplementationSpecific); the legacy
  ``kubernetes.io/ingress.class`` annotation is kept beside ``spec.ingressClassName``.
- IngressClass: ``ingressclass.kubernetes.io/is-default-class: "true"`` marks the default
  (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class).
- Gateway API (https://gateway-api.sigs.k8s.io/reference/spec/): ParentReference group
  ``gateway.networking.k8s.io``, kind ``Gateway``, namespace the route's; BackendRef group
  ``""``, kind ``Service``, weight 1, namespace the route's; HTTPRoute rule without matches ->
  one match PathPrefix ``/``; path match type PathPrefix, value ``/``; header/query match type
  Exact; a rule list absent -> one rule with the default match; listeners, ListenerSets and
  the CORS filter: :mod:`podpath.normalize.gateway`.
- Secret (https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets): only
  ``kubernetes.io/tls`` Secrets have their ``tls.crt`` parsed (SANs, notAfter); no key material
  is kept.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from podpath.model.core import SourceRef
from podpath.model.gateway import (
    GATEWAY_GROUP,
    BackendRef,
    Gateway,
    GatewayClass,
    GrantFrom,
    GrantTo,
    GRPCRouteMatch,
    HTTPRouteMatch,
    ParentRef,
    PathMatch,
    ReferenceGrant,
    Route,
    RouteFilter,
    RouteRule,
    ValueMatch,
)
from podpath.model.ingress import (
    Ingress,
    IngressBackend,
    IngressClass,
    IngressPath,
    IngressRule,
    IngressTLS,
)
from podpath.model.routing import TLS_SECRET_TYPE, Secret
from podpath.normalize.fields import Fields, object_fields
from podpath.normalize.gateway import allowed_listeners, normalize_cors, normalize_listener
from podpath.normalize.ingress_nginx import nginx_annotations

LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def _ns(ns: str) -> str:
    return ns or "default"


# -- Ingress -------------------------------------------------------------------------------


def _ingress_backend(f: Fields) -> IngressBackend:
    svc = f.maybe_map("service")
    if svc is not None:
        port = svc.map("port")
        number = port.port_number("number")
        return IngressBackend(
            service_name=svc.req_str("name"),
            service_port=number if number is not None else port.str("name"),
        )
    res = f.maybe_map("resource")
    if res is not None:
        return IngressBackend(
            resource_group=res.str("apiGroup"),
            resource_kind=res.req_str("kind"),
            resource_name=res.req_str("name"),
        )
    raise f.error("service", "an Ingress backend needs service or resource")


def normalize_ingress(raw: dict[str, Any], source: SourceRef) -> Ingress:
    top, meta, ns, name = object_fields(raw, source)
    spec = top.map("spec")
    rules = []
    for r in spec.maps("rules"):
        paths = tuple(
            IngressPath(
                path=p.str("path") or "/",
                path_type=p.str("pathType") or "ImplementationSpecific",
                backend=_ingress_backend(p.map("backend")),
            )
            for p in r.map("http").maps("paths")
        )
        rules.append(IngressRule(host=(r.str("host") or None), paths=paths))
    default = spec.maybe_map("defaultBackend")
    annotations = meta.labels("annotations")
    return Ingress(
        namespace=_ns(ns),
        name=name,
        class_name=spec.str("ingressClassName") or None,
        class_annotation=annotations.get(LEGACY_CLASS_ANNOTATION) or None,
        default_backend=_ingress_backend(default) if default is not None else None,
        rules=tuple(rules),
        tls=tuple(
            IngressTLS(hosts=t.strs("hosts"), secret_name=t.str("secretName") or None)
            for t in spec.maps("tls")
        ),
        creation_timestamp=meta.str("creationTimestamp") or "",
        annotations=annotations,
        source=source,
        nginx=nginx_annotations(annotations),
    )


def normalize_ingress_class(raw: dict[str, Any], source: SourceRef) -> IngressClass:
    top, meta, _, name = object_fields(raw, source)
    annotations = meta.labels("annotations")
    return IngressClass(
        name=name,
        controller=top.map("spec").str("controller") or "",
        # the DefaultIngressClass admission plugin compares with "true" exactly
        is_default=annotations.get(DEFAULT_CLASS_ANNOTATION) == "true",
        labels=meta.labels("labels"),
        annotations=annotations,
        source=source,
    )


# -- Gateway API ---------------------------------------------------------------------------


def normalize_gateway_class(raw: dict[str, Any], source: SourceRef) -> GatewayClass:
    top, meta, _, name = object_fields(raw, source)
    return GatewayClass(
        name=name,
        controller_name=top.map("spec").str("controllerName") or "",
        labels=meta.labels("labels"),
        source=source,
    )


def _address_values(f: Fields, key: str) -> tuple[str, ...]:
    return tuple(v for a in f.maps(key) if (v := a.str("value")))


def normalize_gateway(raw: dict[str, Any], source: SourceRef) -> Gateway:
    top, meta, ns, name = object_fields(raw, source)
    spec = top.map("spec")
    listeners_from, listeners_selector = allowed_listeners(spec)
    return Gateway(
        namespace=_ns(ns),
        name=name,
        class_name=spec.req_str("gatewayClassName"),
        listeners=tuple(normalize_listener(lf, _ns(ns)) for lf in spec.maps("listeners")),
        addresses=_address_values(spec, "addresses"),
        status_addresses=_address_values(top.map("status"), "addresses"),
        labels=meta.labels("labels"),
        creation_timestamp=meta.str("creationTimestamp") or "",
        allowed_listeners_from=listeners_from,
        allowed_listeners_selector=listeners_selector,
        source=source,
    )


def _parent_ref(f: Fields, route_ns: str) -> ParentRef:
    return ParentRef(
        namespace=f.str("namespace") or route_ns,
        name=f.req_str("name"),
        group=f.str("group", GATEWAY_GROUP) or "",
        kind=f.str("kind") or "Gateway",
        section_name=f.str("sectionName") or None,
        port=f.port_number("port"),
    )


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(f"{prefix}.{k}" if prefix else str(k), value[k], out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _flatten(f"{prefix}[{i}]", item, out)
    elif value is not None:
        out.append((prefix, str(value)))


def _filter(f: Fields) -> RouteFilter:
    """A filter reported by type with its settings (``requestRedirect.statusCode`` etc.)."""
    ftype = f.req_str("type")
    settings: list[tuple[str, str]] = []
    for key, value in sorted(f.raw.items()):
        if key != "type":
            _flatten(str(key), value, settings)
    cors = normalize_cors(f) if ftype == "CORS" else None
    return RouteFilter(ftype, tuple(settings), cors)


def _backend_ref(f: Fields, route_ns: str) -> BackendRef:
    weight = f.int("weight", 1)
    return BackendRef(
        namespace=f.str("namespace") or route_ns,
        name=f.req_str("name"),
        port=f.port_number("port"),
        group=f.str("group") or "",
        kind=f.str("kind") or "Service",
        weight=1 if weight is None else weight,
        filters=tuple(_filter(x) for x in f.maps("filters")),
    )


def _value_matches(f: Fields, key: str) -> tuple[ValueMatch, ...]:
    return tuple(
        ValueMatch(
            name=m.req_str("name"), value=m.str("value") or "", type=m.str("type") or "Exact"
        )
        for m in f.maps(key)
    )


def _http_match(f: Fields) -> HTTPRouteMatch:
    path = f.maybe_map("path")
    return HTTPRouteMatch(
        path=PathMatch(
            type=(path.str("type") or "PathPrefix") if path else "PathPrefix",
            value=(path.str("value") or "/") if path else "/",
        ),
        headers=_value_matches(f, "headers"),
        query_params=_value_matches(f, "queryParams"),
        method=f.str("method") or None,
    )


def _grpc_match(f: Fields) -> GRPCRouteMatch:
    method = f.map("method")
    return GRPCRouteMatch(
        service=method.str("service") or None,
        method=method.str("method") or None,
        type=method.str("type") or "Exact",
        headers=_value_matches(f, "headers"),
    )


def _rules(kind: str, spec: Fields, ns: str) -> tuple[RouteRule, ...]:
    out = []
    for r in spec.maps("rules"):
        matches: tuple[HTTPRouteMatch | GRPCRouteMatch, ...] = ()
        if kind == "HTTPRoute":
            matches = tuple(_http_match(m) for m in r.maps("matches")) or (HTTPRouteMatch(),)
        elif kind == "GRPCRoute":
            matches = tuple(_grpc_match(m) for m in r.maps("matches")) or (GRPCRouteMatch(),)
        out.append(
            RouteRule(
                matches=matches,
                filters=tuple(_filter(x) for x in r.maps("filters")),
                backend_refs=tuple(_backend_ref(b, ns) for b in r.maps("backendRefs")),
                name=r.str("name") or None,
            )
        )
    if not out and kind == "HTTPRoute":
        out.append(RouteRule(matches=(HTTPRouteMatch(),)))
    return tuple(out)


def normalize_route(raw: dict[str, Any], source: SourceRef) -> Route:
    """HTTPRoute, GRPCRoute, TLSRoute, TCPRoute and UDPRoute share one shape (module
    docstring)."""
    top, meta, ns, name = object_fields(raw, source)
    kind = str(raw.get("kind"))
    ns = _ns(ns)
    spec = top.map("spec")
    return Route(
        kind=kind,
        namespace=ns,
        name=name,
        parent_refs=tuple(_parent_ref(p, ns) for p in spec.maps("parentRefs")),
        hostnames=tuple(h.lower() for h in spec.strs("hostnames")),
        rules=_rules(kind, spec, ns),
        creation_timestamp=meta.str("creationTimestamp") or "",
        source=source,
    )


def normalize_reference_grant(raw: dict[str, Any], source: SourceRef) -> ReferenceGrant:
    top, _, ns, name = object_fields(raw, source)
    spec = top.map("spec")
    return ReferenceGrant(
        namespace=_ns(ns),
        name=name,
        from_=tuple(
            GrantFrom(f.str("group") or "", f.req_str("kind"), f.req_str("namespace"))
            for f in spec.maps("from")
        ),
        to=tuple(
            GrantTo(t.str("group") or "", t.req_str("kind"), t.str("name") or None)
            for t in spec.maps("to")
        ),
        source=source,
    )


# -- Secrets -------------------------------------------------------------------------------


def _secret_bytes(top: Fields, key: str) -> bytes | None:
    data = top.map("data")
    value = data.str(key)
    if value is not None:
        try:
            return base64.b64decode(value, validate=False)
        except (binascii.Error, ValueError):
            return None
    plain = top.map("stringData").str(key)
    return plain.encode() if plain is not None else None


def normalize_secret(raw: dict[str, Any], source: SourceRef) -> Secret:
    top, _, ns, name = object_fields(raw, source)
    stype = top.str("type") or "Opaque"
    crt = None
    has_key = False
    if stype == TLS_SECRET_TYPE:
        crt = _secret_bytes(top, "tls.crt")
        has_key = bool(_secret_bytes(top, "tls.key"))
    return Secret(
        namespace=_ns(ns), name=name, type=stype, tls_crt=crt, has_key=has_key, source=source
    )


ROUTING_NORMALIZERS = {
    "Ingress": normalize_ingress,
    "IngressClass": normalize_ingress_class,
    "GatewayClass": normalize_gateway_class,
    "Gateway": normalize_gateway,
    "HTTPRoute": normalize_route,
    "GRPCRoute": normalize_route,
    "TLSRoute": normalize_route,
    "TCPRoute": normalize_route,
    "UDPRoute": normalize_route,
    "ReferenceGrant": normalize_reference_grant,
    "Secret": normalize_secret,
}
