"""Stage 5, the endpoints: the ready endpoints behind a Service port that serve this
connection, and the target port each receives it on.

- Behind a Service address (a pod's connection, kube-proxy on its node): each Service port
  maps to each ready endpoint's target port, a named ``targetPort`` resolved per pod by the
  services engine; the pods the engine left out are noted. ``internalTrafficPolicy: Local``
  keeps the endpoints on the client's node, except for external traffic (a load-balancer or
  external IP) and headless Services
  (https://kubernetes.io/docs/concepts/services-networking/service-traffic-policy/). A pod
  masqueraded on its way is seen from its node's IP by the endpoints on other nodes (an
  endpoint on the source's own node is filtered before the masquerade and sees the pod).
  Otherwise kube-proxy's topology filter applies (``trafficDistribution``: the endpoints hinted
  for the client's node or zone, else all; :mod:`podpath.engine.traffic_distribution`).
- Behind a node (from a load balancer or a NodePort): the endpoints the node forwards to (those
  on the node for ``externalTrafficPolicy: Local``; else all, filtered by the receiving node's
  topology as above when the node is known), seen from the addresses stage 3 found.
- Behind an entry point: each weighted backend's endpoints, from every controller/gateway pod
  the client reached; with ``--family``, the endpoints of that family only
  (:func:`proxied_endpoints`).

Stage 3 hands over a :class:`ServiceAddress` or a :class:`NodeForward`; which ready endpoints
serve a client is decided in one place, :func:`serving`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from podpath.analyze.trace.values import (
    NO_ENDPOINTS,
    PODS_NOT_IN_INPUT,
    Hop,
    Leg,
    Source,
    Target,
    pick,
)
from podpath.cluster import Cluster
from podpath.engine.pod_creators import likely_creators, pod_creators
from podpath.engine.services import service_selects_pod
from podpath.engine.traffic_distribution import endpoints_for_client, zone_of
from podpath.model.core import LabelSelector
from podpath.model.routing import RouteAnswer
from podpath.model.services import Endpoint, PortEndpoints, Service, ServicePort


@dataclass(frozen=True, slots=True)
class ServiceAddress:
    """A connection from inside to a Service address, which kube-proxy on the client's node
    maps to the endpoints of ``ports``. ``external``: the address is a load-balancer or
    external IP; ``masquerade``: the node IP it is masqueraded to on the way, if any."""

    service: Service
    ports: tuple[ServicePort, ...]
    kind: str
    address: str
    external: bool
    masquerade: str | None
    source: Source


@dataclass(frozen=True, slots=True)
class NodeForward:
    """A node forwarding a connection to the endpoints of ``port``: only those on ``node``
    when set (``externalTrafficPolicy: Local``), seen from ``source_ips``; ``via``: the node
    that received it with ``externalTrafficPolicy: Cluster`` when known, whose kube-proxy
    applies the topology filter to the cluster-wide endpoints as for a pod's connection
    (pkg/proxy/topology.go ``CategorizeEndpoints``: every policy that uses the cluster
    endpoints)."""

    service: Service
    port: ServicePort
    node: str | None
    source_ips: tuple[str, ...]
    via: str | None = None


def port_endpoints(cluster: Cluster, service: Service, port: ServicePort) -> PortEndpoints | None:
    for pe in cluster.endpoints.get(service.key, ()):
        if pe.service_port == port:
            return pe
    return None


def ready_endpoints(cluster: Cluster, service: Service, port: ServicePort | None) -> list[Endpoint]:
    pe = port_endpoints(cluster, service, port) if port is not None else None
    return [e for e in (pe.endpoints if pe else ()) if e.ready]


def of_family(endpoints: Sequence[Endpoint], address: str, family: int | None) -> list[Endpoint]:
    """The endpoints of the connection's IP family: that of the Service address it was made
    to, else ``family`` (``--family``), else the first endpoint's. A dual-stack Service has
    one EndpointSlice per family and kube-proxy maps each ClusterIP to the endpoints of its
    own family (https://kubernetes.io/docs/concepts/services-networking/dual-stack/)."""
    try:
        want: int | None = ipaddress.ip_address(address).version
    except ValueError:
        want = family
    if want is None and endpoints:
        want = ipaddress.ip_address(endpoints[0].ip).version
    return [e for e in endpoints if ipaddress.ip_address(e.ip).version == want]


def serving(endpoints: Sequence[Endpoint], node: str | None) -> list[Endpoint]:
    """The endpoints that serve a client restricted to ``node`` (None: all of them)."""
    return [e for e in endpoints if node is None or e.node_name == node]


def mapping(endpoints: Sequence[Endpoint]) -> str:
    return ", ".join(f"{e.pod or e.ip}:{e.port}" for e in endpoints) or "none"


def no_endpoints(cluster: Cluster, service: Service) -> str:
    """Why a Service gives no endpoints: ``no endpoints``, or, when its selector matches no pod
    of the input and skipped objects likely create them, that the input cannot decide (the
    verdict is then ``unknown``, as doctor's for the Service)."""
    if not service.selector:
        return NO_ENDPOINTS
    here = [p for p in cluster.pods if p.namespace == service.namespace]
    if any(service_selects_pod(service, p) for p in here):
        return NO_ENDPOINTS
    selector = LabelSelector(service.selector)
    creators = likely_creators(pod_creators(cluster), [service.namespace], selector, here)
    if not creators:
        return NO_ENDPOINTS
    shown = ", ".join(creators[:3]) + (
        f" and {len(creators) - 3} more" if len(creators) > 3 else ""
    )
    return PODS_NOT_IN_INPUT.format(objects=shown)


def behind(cluster: Cluster, arrival: ServiceAddress | NodeForward | None) -> Leg:
    """The endpoints stage 3's arrival leads to (nothing more when there is none)."""
    if isinstance(arrival, ServiceAddress):
        return behind_address(cluster, arrival)
    if isinstance(arrival, NodeForward):
        return behind_node(cluster, arrival)
    return Leg()


def behind_address(cluster: Cluster, arrival: ServiceAddress) -> Leg:
    """A Service address from inside: one ``service`` hop per Service port (module docstring)."""
    service, source = arrival.service, arrival.source
    client_node = source.pod.node_name if source.pod is not None else None
    local_only = (
        service.internal_traffic_policy == "Local"
        and source.pod is not None
        and not service.headless
        and not arrival.external
    )
    hops: list[Hop] = []
    notes: list[str] = []
    targets: list[Target] = []
    for sp in arrival.ports:
        pe = port_endpoints(cluster, service, sp)
        ready = serving(
            of_family(ready_endpoints(cluster, service, sp), arrival.address, source.family),
            client_node if local_only else None,
        )
        local = f" (internalTrafficPolicy Local: node {client_node} only)" if local_only else ""
        if not local_only and client_node is not None:
            near = endpoints_for_client(ready, client_node, zone_of(cluster.nodes, client_node))
            ready = list(near.endpoints)
            local += f" ({near.why})" if near.why else ""
        if arrival.masquerade:
            local += (
                f" (externalTrafficPolicy Cluster: masqueraded to node IP {arrival.masquerade})"
            )
        detail = (
            f"{service.key} {arrival.kind} {arrival.address} port {sp.label}"
            f"{' (' + sp.name + ')' if sp.name else ''} -> targetPort {sp.target_port}: "
            f"ready endpoints {mapping(ready)}{local}"
        )
        hops.append(Hop("service", detail, (str(service.ref),)))
        if pe is not None:
            notes.extend(f"{service.key}: {pod} left out ({why})" for pod, why in pe.excluded)
        src_ips = (source.ip,) if source.ip else ()
        for e in ready:
            pod = cluster.pod_by_key.get(e.pod) if e.pod else None
            masq = arrival.masquerade
            seen = (masq,) if masq and e.node_name != client_node else ()
            targets.append(
                Target(e.ip, e.port, pod, src_ips, source.pod, seen, not service.headless)
            )
    drop = None if targets else no_endpoints(cluster, service)
    return Leg(tuple(hops), tuple(notes), tuple(targets), drop=drop)


def behind_node(cluster: Cluster, arrival: NodeForward) -> Leg:
    """The endpoints a node forwards to (module docstring)."""
    service, sp = arrival.service, arrival.port
    ready = serving(of_family(ready_endpoints(cluster, service, sp), "", None), arrival.node)
    topology = ""
    if arrival.node is None and arrival.via is not None:
        near = endpoints_for_client(ready, arrival.via, zone_of(cluster.nodes, arrival.via))
        ready = list(near.endpoints)
        topology = f" ({near.why})" if near.why else ""
    detail = (
        f"{service.key} port {sp.label} -> targetPort {sp.target_port}: "
        f"ready endpoints {mapping(ready)}{topology}"
    )
    hop = Hop("service", detail, (str(service.ref),))
    if not ready:
        return Leg((hop,), drop=no_endpoints(cluster, service))
    targets = tuple(
        Target(
            e.ip, e.port, cluster.pod_by_key.get(e.pod) if e.pod else None, arrival.source_ips, None
        )
        for e in ready
    )
    return Leg((hop,), targets=targets)


def behind_backends(
    cluster: Cluster,
    answer: RouteAnswer,
    controllers: Sequence[Target],
    family: int | None = None,
) -> Leg:
    """Each weighted backend's endpoints, from every controller pod reached (module docstring),
    of ``family`` when asked (:func:`proxied_endpoints`); each controller pod connects from its
    address of the endpoint's family (:func:`proxy_source`)."""
    hops: list[Hop] = []
    notes: list[str] = []
    targets: list[Target] = []
    for backend in answer.backends:
        if backend.status is not None or backend.weight <= 0 or backend.service is None:
            continue
        svc = cluster.service_by_key.get(backend.service)
        if svc is None:
            continue
        sp = next((p for p in svc.ports if p.port == backend.port), None)
        ready, shown = proxied_endpoints(svc, ready_endpoints(cluster, svc, sp), family)
        hops.append(
            Hop(
                "service",
                f"backend {svc.key} port {backend.port} (weight {backend.weight}) -> {shown}",
                (str(svc.ref),),
            )
        )
        for e in ready:
            pod = cluster.pod_by_key.get(e.pod) if e.pod else None
            for c in controllers:
                src = proxy_source(c, e, family)
                if src is None:
                    notes.append(
                        NO_PROXY_ADDRESS.format(pod=c.pod.key if c.pod else c.ip, v=family)
                    )
                    continue
                targets.append(Target(e.ip, e.port, pod, (src,), c.pod))
    drop = None if targets else NO_ENDPOINTS
    return Leg(tuple(hops), tuple(dict.fromkeys(notes)), tuple(targets), drop=drop)


NO_PROXY_ADDRESS = "{pod} has no IPv{v} address: it opens no IPv{v} connection to the backends"


def proxied_endpoints(
    service: Service, ready: list[Endpoint], family: int | None
) -> tuple[list[Endpoint], str]:
    """The ready endpoints an Ingress controller or Gateway proxies to, and how the hop shows
    them. The proxy terminates the client's connection and opens its own to the backend
    endpoints (not to the ClusterIP). Without ``--family``: the endpoints of every
    EndpointSlice of the Service, whatever its ``addressType``, as ingress-nginx builds its
    upstreams (``getEndpointsFromSlices`` in internal/ingress/controller/endpointslices.go
    loops over all the Service's slices); with ``--family``: those of the EndpointSlices of
    that ``addressType`` only (IPv4 or IPv6, one slice family per address family:
    https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#address-types),
    and none when the Service has no address of that family -- the proxy then has no
    endpoint to connect to, as kube-proxy has none behind a ClusterIP of a family the Service
    lacks (https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services)."""
    if family is None:
        return ready, f"ready endpoints {mapping(ready)}"
    own = [e for e in ready if ipaddress.ip_address(e.ip).version == family]
    shown = f"ready IPv{family} endpoints {mapping(own)}"
    if ready and not own:
        others = sorted({f"IPv{ipaddress.ip_address(e.ip).version}" for e in ready})
        shown += (
            f": {service.key} has {'/'.join(others)} endpoints only ({mapping(ready)}), "
            "none of the family asked"
        )
    return own, shown


def proxy_source(controller: Target, endpoint: Endpoint, family: int | None) -> str | None:
    """The address a controller pod connects to ``endpoint`` from: its address of the
    endpoint's family (a dual-stack pod has one per family:
    https://kubernetes.io/docs/concepts/services-networking/dual-stack/); without
    ``--family``, the address the client reached when the pod has none of that family (as
    before); None when ``--family`` is asked and the pod has no address of it."""
    pod = controller.pod
    if pod is None or not pod.ips:
        return controller.ip
    own = pick(pod.ips, ipaddress.ip_address(endpoint.ip).version)
    return own if own is not None or family is not None else controller.ip
