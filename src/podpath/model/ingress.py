"""Ingress model (networking.k8s.io/v1): Ingress and IngressClass.

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
