"""Backend Service ports of Ingress and Gateway API routes -> endpoints (shared by both).

- An Ingress ``service.port`` is a Service port number or name; a name is resolved to the
  Service port's number (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend).
- A Gateway API ``backendRef`` to a Service needs ``port`` (the Service port number)
  (https://gateway-api.sigs.k8s.io/reference/spec/#backendref).
- Endpoints are the Service port's *ready* endpoints as :mod:`podpath.cluster` resolved them;
  a Service without ready endpoints answers 503 (HTTPRouteRule.backendRefs: "implementations
  SHOULD return a 503"; ingress-nginx does the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from podpath.model.routing import WeightedBackend
from podpath.model.services import ServicePort, ServiceType

if TYPE_CHECKING:
    from podpath.cluster import Cluster

STATUS_INVALID = 500
STATUS_NO_ENDPOINTS = 503


def service_port_backend(
    cluster: Cluster, namespace: str, name: str, port: int | str | None, weight: int = 1
) -> WeightedBackend:
    """Resolve a Service backend: the Service exists, has the port, and its ready endpoints."""
    key = f"{namespace}/{name}"
    svc = cluster.service_by_key.get(key)
    if svc is None:
        return WeightedBackend(
            weight,
            service=key,
            port=port if isinstance(port, int) else None,
            status=STATUS_INVALID,
            reason=f"Service {key} not found",
        )
    if port is None:
        return WeightedBackend(
            weight, service=key, status=STATUS_INVALID, reason="backend has no port"
        )
    sp: ServicePort | None = (
        svc.port_named(port) if isinstance(port, str) else svc.port_numbered(port)
    )
    if sp is None:
        return WeightedBackend(
            weight,
            service=key,
            port=port if isinstance(port, int) else None,
            status=STATUS_INVALID,
            reason=f"Service {key} has no port {port!r}",
        )
    if svc.type is ServiceType.EXTERNAL_NAME:
        return WeightedBackend(
            weight,
            service=key,
            port=sp.port,
            reason=f"ExternalName Service: proxied to {svc.external_name}",
        )
    ready: list[str] = []
    for pe in cluster.endpoints.get(key, ()):
        if pe.service_port.port == sp.port and pe.service_port.protocol is sp.protocol:
            ready.extend(e.pod or e.ip for e in pe.endpoints if e.ready)
    if not ready:
        return WeightedBackend(
            weight,
            service=key,
            port=sp.port,
            status=STATUS_NO_ENDPOINTS,
            reason=f"Service {key} port {sp.port} has no ready endpoints",
        )
    return WeightedBackend(weight, service=key, port=sp.port, endpoints=tuple(sorted(set(ready))))


def outcome(backends: tuple[WeightedBackend, ...]) -> tuple[int, WeightedBackend | None, str]:
    """The status of a rule from its weighted backends, and the primary backend.

    200 when some backend with weight > 0 serves (the primary is the serving backend with the
    largest weight, first on ties); else 503 when one has no ready endpoints; else 500 (every
    backend invalid, or every weight 0: HTTPRouteRule.backendRefs).
    """
    serving = [b for b in backends if b.weight > 0 and b.status is None]
    if serving:
        best = max(serving, key=lambda b: b.weight)
        return 200, best, ""
    if any(b.weight > 0 and b.status == STATUS_NO_ENDPOINTS for b in backends):
        return STATUS_NO_ENDPOINTS, None, "no backend has ready endpoints"
    if backends and all(b.weight == 0 for b in backends):
        return STATUS_INVALID, None, "every backendRef has weight 0"
    return STATUS_INVALID, None, "every backend is invalid"
