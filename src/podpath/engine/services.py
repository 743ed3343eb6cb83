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

Endpoints are per Service *port* (:func:`service_endpoints`, ``cluster.endpoints``). The
*addresses* of a Service regardless of ports (:func:`service_addresses`, ``cluster.addresses``)
are what DNS publishes for a headless Service: the EndpointSlice controller publishes every pod
it selects, grouped by the set of ports each pod resolves (``getEndpointPorts``), so a pod that
resolves none of them -- and every pod of a headless Service declared without ports -- is still
published, in a slice with no ports
(https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/endpointslice/utils.go);
CoreDNS gives a slice without ports a sentinel port and answers its A/AAAA records
(``plugin/kubernetes/object/endpoint.go``). Such an address carries :data:`NO_PORT`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from podpath.engine.selectors import equality_selector_matches
from podpath.engine.traffic_distribution import endpoint_hints
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

NO_PORT = 0
"""The ``port`` of an :class:`Endpoint` in ``cluster.addresses``: an address regardless of ports
(0 is not a valid port, so it cannot be mistaken for one)."""


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


def pod_addresses(service: Service, pod: Pod) -> tuple[str, ...]:
    """The pod's addresses a Service publishes: one per family of the Service, in its order
    (the EndpointSlice controller keeps one slice per ``addressType``, for each of the
    Service's ``ipFamilies``; https://kubernetes.io/docs/concepts/services-networking/dual-stack/);
    the pod's first IP where the Service has no family (not resolved) or the pod none of
    them."""
    by_family = {ipaddress.ip_address(ip).version: ip for ip in reversed(pod.ips)}
    out = tuple(by_family[f] for f in service.ip_families if f in by_family)
    return out or pod.ips[:1]


def selector_endpoints(
    service: Service, pods: Iterable[Pod], zones: Mapping[str, str] | None = None
) -> tuple[PortEndpoints, ...]:
    """The endpoints of each port of a Service with a selector (module docstring rules); each
    carries its node's zone (``zones``: node name -> zone) and the hints its Service's
    ``trafficDistribution`` gives it (``traffic_distribution.endpoint_hints``)."""
    zones = zones or {}
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
            ready = endpoint_ready(service, pod)
            zone = zones.get(pod.node_name or "")
            for_zones, for_nodes = endpoint_hints(
                service.traffic_distribution, ready, pod.node_name, zone
            )
            endpoints.extend(
                Endpoint(
                    ip=ip,
                    port=number,
                    ready=ready,
                    pod=pod.key,
                    node_name=pod.node_name,
                    hostname=endpoint_hostname(service, pod),
                    zone=zone,
                    for_zones=for_zones,
                    for_nodes=for_nodes,
                )
                for ip in pod_addresses(service, pod)
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
                                zone=e.zone,
                                for_zones=e.for_zones,
                                for_nodes=e.for_nodes,
                            )
                        )
        endpoints.sort(key=lambda e: (e.ip, e.port))
        result.append(PortEndpoints(port, tuple(endpoints)))
    return tuple(result)


def service_endpoints(
    service: Service,
    pods: Iterable[Pod],
    slices: Iterable[EndpointSlice],
    zones: Mapping[str, str] | None = None,
) -> tuple[PortEndpoints, ...]:
    """Endpoints per Service port: by selector, from slices without one, none for ExternalName."""
    if service.external_name is not None:
        return tuple(PortEndpoints(p, ()) for p in service.ports)
    if service.selector is not None:
        return selector_endpoints(service, pods, zones)
    return slice_endpoints(service, slices)


def selector_addresses(service: Service, pods: Iterable[Pod]) -> tuple[Endpoint, ...]:
    """The addresses the EndpointSlice controller publishes for a Service with a selector,
    whatever ports the pods resolve (module docstring): every selected pod the controller keeps
    (the exclusions of :func:`selector_endpoints`: no IP, finished, terminating), by pod name."""
    selected = sorted((p for p in pods if service_selects_pod(service, p)), key=lambda p: p.key)
    return tuple(
        Endpoint(
            ip=ip,
            port=NO_PORT,
            ready=endpoint_ready(service, pod),
            pod=pod.key,
            node_name=pod.node_name,
            hostname=endpoint_hostname(service, pod),
        )
        for pod in selected
        if _exclusion(pod, service) is None
        for ip in pod_addresses(service, pod)
    )


def slice_addresses(service: Service, slices: Iterable[EndpointSlice]) -> tuple[Endpoint, ...]:
    """The addresses of the EndpointSlices given for a Service without selector, whatever their
    ports (a slice with no ports included): the first address of each endpoint ("clients may
    choose to only use the first element", discovery.k8s.io/v1 Endpoint.addresses), ready as
    the slice says. An address listed in several slices (one per set of ports) counts once,
    ready if any listing is."""
    found: dict[tuple[str, str | None], Endpoint] = {}
    for eslice in slices:
        if eslice.namespace != service.namespace or eslice.service_name != service.name:
            continue
        for e in eslice.endpoints:
            for ip in e.addresses[:1]:
                ready = e.ready
                key = (ip, e.target_pod)
                seen = found.get(key)
                if seen is not None:
                    ready = ready or seen.ready
                found[key] = Endpoint(
                    ip=ip,
                    port=NO_PORT,
                    ready=ready,
                    pod=e.target_pod,
                    node_name=seen.node_name if seen else e.node_name,
                    hostname=seen.hostname if seen else e.hostname,
                    origin="slice",
                )
    return tuple(found[k] for k in sorted(found, key=lambda k: (k[0], k[1] or "")))


def service_addresses(
    service: Service, pods: Iterable[Pod], slices: Iterable[EndpointSlice]
) -> tuple[Endpoint, ...]:
    """The addresses of a Service regardless of ports (module docstring): by selector, from the
    given slices without one, none for ExternalName. Each carries :data:`NO_PORT`."""
    if service.external_name is not None:
        return ()
    if service.selector is not None:
        return selector_addresses(service, pods)
    return slice_addresses(service, slices)
