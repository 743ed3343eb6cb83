"""Ingress model (networking.k8s.io/v1): Ingress and IngressClass, and the ingress-nginx
annotations of an Ingress.

References:
- https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/
- https://kubernetes.io/docs/concepts/services-networking/ingress/

Every API default is applied by :mod:`podpath.normalize.routing`; the engine never sees a raw
dict. Re-exported by :mod:`podpath.model.routing`.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.model.core import EMPTY_LABELS, NO_SOURCE, Labels, ObjectRef, SourceRef
from podpath.model.objects import Namespaced


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
class NginxAnnotations:
    """The ``nginx.ingress.kubernetes.io/`` annotations ingress-nginx routes by, parsed as its
    annotation parsers do (defaults when absent or invalid; :mod:`podpath.normalize.ingress_nginx`).
    Only the engine for IngressClasses of controller ``k8s.io/ingress-nginx`` reads them.

    ``allow_source_range`` is None when not set; ``not_modelled`` names the annotations present
    that podpath ignores; ``invalid`` the ones the controller ignores (``name: why``)."""

    use_regex: bool = False
    rewrite_target: str = ""
    app_root: str = ""
    ssl_redirect: bool = True
    force_ssl_redirect: bool = False
    preserve_trailing_slash: bool = False
    permanent_redirect: str = ""
    permanent_redirect_code: int = 301
    temporal_redirect: str = ""
    temporal_redirect_code: int = 302
    canary: bool = False
    canary_by_header: str = ""
    canary_by_header_value: str = ""
    canary_by_header_pattern: str = ""
    canary_by_cookie: str = ""
    canary_weight: int = 0
    canary_weight_total: int = 100
    allow_source_range: tuple[str, ...] | None = None
    deny_source_range: tuple[str, ...] = ()
    source_range_error: str = ""
    default_backend: str = ""
    backend_protocol: str = "HTTP"
    service_upstream: bool = False
    ssl_passthrough: bool = False
    custom_http_errors: tuple[int, ...] = ()
    not_modelled: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


NO_NGINX_ANNOTATIONS = NginxAnnotations()


@dataclass(frozen=True, slots=True)
class Ingress(Namespaced):
    """An Ingress. ``class_name`` is ``spec.ingressClassName``; ``class_annotation`` the legacy
    ``kubernetes.io/ingress.class`` annotation."""

    KIND = "Ingress"

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
    nginx: NginxAnnotations = NO_NGINX_ANNOTATIONS


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
