"""Normalizers of the kinds that later layers own, keyed by ``kind``.

Each layer (routing, admin policies, TLS secrets) adds its kinds here; a normalizer takes the
raw object and its source and returns that layer's model object (see
``Inventory.of_kind``). Core kinds are handled in :mod:`podpath.normalize` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from podpath.model.core import SourceRef

Normalizer = Callable[[dict[str, Any], SourceRef], Any]

LAYER_NORMALIZERS: dict[str, Normalizer] = {}

ROUTING_KINDS = (
    "Ingress",
    "IngressClass",
    "GatewayClass",
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "UDPRoute",
    "ReferenceGrant",
    "Secret",
)


def _routing(kind: str) -> Normalizer:
    """The routing layer's normalizer of ``kind``, imported on first use (no import cycle)."""

    def normalize(raw: dict[str, Any], source: SourceRef) -> Any:
        from podpath.normalize.routing import ROUTING_NORMALIZERS

        return ROUTING_NORMALIZERS[kind](raw, source)

    return normalize


LAYER_NORMALIZERS.update({kind: _routing(kind) for kind in ROUTING_KINDS})

GATEWAY_KINDS = ("ListenerSet", "BackendTLSPolicy", "ConfigMap")


def _gateway(kind: str) -> Normalizer:
    """The Gateway API v1.5+ normalizers (:mod:`podpath.normalize.gateway`, ``gateway_policy``)."""

    def normalize(raw: dict[str, Any], source: SourceRef) -> Any:
        from podpath.normalize.gateway import GATEWAY_NORMALIZERS
        from podpath.normalize.gateway_policy import POLICY_NORMALIZERS

        return {**GATEWAY_NORMALIZERS, **POLICY_NORMALIZERS}[kind](raw, source)

    return normalize


LAYER_NORMALIZERS.update({kind: _gateway(kind) for kind in GATEWAY_KINDS})

ADMIN_POLICY_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")


def _admin_policy(raw: dict[str, Any], source: SourceRef) -> Any:
    """The admin tiers' normalizer (policy.networking.k8s.io), imported on first use."""
    from podpath.normalize.admin_policy import normalize_admin_policy

    return normalize_admin_policy(raw, source)


LAYER_NORMALIZERS.update({kind: _admin_policy for kind in ADMIN_POLICY_KINDS})


def _service_cidr(raw: dict[str, Any], source: SourceRef) -> Any:
    """networking.k8s.io/v1 ServiceCIDR (:mod:`podpath.normalize.services`)."""
    from podpath.normalize.services import normalize_service_cidr

    return normalize_service_cidr(raw, source)


LAYER_NORMALIZERS["ServiceCIDR"] = _service_cidr

#: Kinds skipped with a pointer to the kind podpath models instead, by (API group, kind).
#: XListenerSet (gateway.networking.x-k8s.io/v1alpha1) is the experimental channel's name of
#: ListenerSet before GEP-1713 reached the standard channel as gateway.networking.k8s.io/v1
#: ListenerSet (Gateway API v1.5, https://gateway-api.sigs.k8s.io/geps/gep-1713/).
SKIP_HINTS: dict[tuple[str, str], str] = {
    ("gateway.networking.x-k8s.io", "XListenerSet"): (
        "the experimental name of ListenerSet (GEP-1713): write it as "
        "gateway.networking.k8s.io/v1 ListenerSet"
    ),
}


def skip_hint(api_version: str, kind: str) -> str:
    """``"; HINT"`` for a skipped kind that :data:`SKIP_HINTS` names, else ``""``."""
    hint = SKIP_HINTS.get((api_version.partition("/")[0], kind))
    return f"; {hint}" if hint else ""
