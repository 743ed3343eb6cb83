"""Service -> endpoints, as the EndpointSlice controller computes them.

https://kubernetes.io/docs/concepts/services-networking/service/#services-in-kubernetes
https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/

- A Service with a selector selects the pods *of its namespace* whose labels contain every
  selector pair (equality-based selector).
- Pods without an IP, terminating pods and pods that have finished (Succeeded/Failed) are
  left out (terminating endpoints are not routed to while others exist; podpath leaves them
  out and says so) — except that a Service with ``publishNotReadyAddresses`` keeps its
  terminating pods as ready endpoints ("ready should never be true for terminating endpoints,
  except when ... the associated Service has set the publishNotReadyAddresses flag",
  EndpointConditions in the discovery.k8s.io/v1 API reference).
- An endpoint is ``ready`` when the pod's Ready condition is true, or always when the
  Service sets ``publishNotReadyAddresses``.
- A numeric ``targetPort`` is used as is; a named ``targetPort`` is looked up in each pod's
  container ports by name *and protocol* (``podutil.FindPort``); a pod without that name is
  left out of that Service port only, and pods may map the name to different numbers.
- An endpoint gets a ``hostname`` when the pod's ``spec.subdomain`` equals the Service's name
  (the pod's ``spec.hostname``), which gives it a DNS record under a headless Service.
- A Service without a selector takes the EndpointSlices (or Endpoints) given for it; a slice's
  port applies to the Service port of the same name. Readiness is the slice's
  ``conditions.ready`` (unset = ready): ``publishNotReadyAddresses`` is applied by the
  controller that writes slices, and kube-proxy and CoreDNS, which consume them, never look at
  it (EndpointConditions, discovery.k8s.io/v1 API reference).
"""

from __future__ import annotations

from collections.abc import Iterable

from podpath.engine.selectors import equality_selector_matches
from podpath.model.core import Pod
from podpath.model.services import (
    Endpoint,
    EndpointSlice,
    PortEndpoints,
    Service,
    ServicePort,
)

REASON_NO_IP = "pod has no IP"
REASON_TERMINATING = "pod is terminating"
REASON_FINISHED = "pod has finished ({phase})"
REASON_NO_NAMED_PORT = "no container port named {name!r} with protocol {protocol}"


def service_selects_pod(service: Service, pod: Pod) -> bool:
    """Whether the Service's selector selects the pod (same namespace, every pair matches)."""
    if service.selector is None or pod.namespace != service.namespace:
        return False
    return equality_selector_matches(service.selector, pod.labels)


def target_port_for_pod(port: ServicePort, pod: Pod) -> int | None:
    """The pod port a Service port forwards to (``podutil.FindPort``), or None if unresolved."""
    if isinstance(port.target_port, int):
        return port.target_port
    return pod.find_named_port(port.target_port, port.protocol)


def endpoint_ready(service: Service, pod: Pod) -> bool:
    """EndpointSlice ``conditions.ready``: the pod's readiness, or true when the Service
    publishes not-ready addresses."""
    return True if service.publish_not_ready_addresses else pod.ready


def endpoint_hostname(service: Service, pod: Pod) -> str | None:
    """The endpoint's hostname: the pod's hostname when its subdomain names this Service."""
    if pod.hostname and pod.subdomain == service.name and pod.namespace == service.namespace:
        return pod.hostname
    return None


def _exclusion(pod: Pod, service: Service) -> str | None:
    if pod.phase in ("Succeeded", "Failed"):
        return REASON_FINISHED.format(phase=pod.phase)
    if pod.terminating and not service.publish_not_ready_addresses:
        return REASON_TERMINATING
    if not pod.ips:
        return REASON_NO_IP
    return None


def selector_endpoints(service: Service, pods: Iterable[Pod]) -> tuple[PortEndpoints, ...]:
    """The endpoints of each port of a Service with a selector (module docstring rules)."""
    selected = sorted((p for p in pods if service_selects_pod(service, p)), key=lambda p: p.key)
    result = []
    for port in service.ports:
        endpoints: list[Endpoint] = []
        excluded: list[tuple[str, str]] = []
        for pod in selected:
            reason = _exclusion(pod, service)
            number = target_port_for_pod(port, pod)
            if reason is None and number is None:
                reason = REASON_NO_NAMED_PORT.format(name=port.target_port, protocol=port.protocol)
            if reason is not None or number is None:
                excluded.append((pod.key, reason or ""))
                continue
            endpoints.append(
                Endpoint(
                    ip=pod.ips[0],
                    port=number,
                    ready=endpoint_ready(service, pod),
                    pod=pod.key,
                    node_name=pod.node_name,
                    hostname=endpoint_hostname(service, pod),
                )
            )
        result.append(PortEndpoints(port, tuple(endpoints), tuple(excluded)))
    return tuple(result)


def slice_endpoints(service: Service, slices: Iterable[EndpointSlice]) -> tuple[PortEndpoints, ...]:
    """The endpoints of a Service without selector, from its given EndpointSlices."""
    mine = [
        s for s in slices if s.namespace == service.namespace and s.service_name == service.name
    ]
    result = []
    for port in service.ports:
        wanted = port.name or ""
        endpoints: list[Endpoint] = []
        for eslice in mine:
            for sport in eslice.ports:
                if sport.name != wanted or sport.protocol is not port.protocol:
                    continue
                number = sport.port if sport.port is not None else port.port
                for e in eslice.endpoints:
                    for ip in e.addresses[:1]:
                        endpoints.append(
                            Endpoint(
                                ip=ip,
                                port=number,
                                ready=e.ready,
                                pod=e.target_pod,
                                node_name=e.node_name,
                                hostname=e.hostname,
                                origin="slice",
                            )
                        )
        endpoints.sort(key=lambda e: (e.ip, e.port))
        result.append(PortEndpoints(port, tuple(endpoints)))
    return tuple(result)


def service_endpoints(
    service: Service, pods: Iterable[Pod], slices: Iterable[EndpointSlice]
) -> tuple[PortEndpoints, ...]:
    """Endpoints per Service port: by selector, from slices without one, none for ExternalName."""
    if service.external_name is not None:
        return tuple(PortEndpoints(p, ()) for p in service.ports)
    if service.selector is not None:
        return selector_endpoints(service, pods)
    return slice_endpoints(service, slices)
