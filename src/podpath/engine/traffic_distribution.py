"""``trafficDistribution``: which endpoints of a Service a client reaches, by its topology.

Two halves, as in Kubernetes
(https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution):

1. The EndpointSlice controller writes *hints* on the endpoints it publishes
   (staging/src/k8s.io/endpointslice/trafficdist/trafficdist.go; KEP-3015 for the newer
   values): with ``PreferClose`` or ``PreferSameZone`` (its newer name) each ready endpoint
   that has a zone (its node's ``topology.kubernetes.io/zone`` label) gets ``forZones: [its
   zone]``; with ``PreferSameNode`` each ready endpoint gets ``forNodes: [its node]`` and, so
   that older proxies fall back to the zone, ``forZones`` as for ``PreferClose``. Without
   ``trafficDistribution`` the controller writes no hints. Slices given for a Service without
   a selector carry whatever hints they are written with.
2. kube-proxy on the client's node filters the ready endpoints by those hints
   (pkg/proxy/topology.go, ``CategorizeEndpoints``/``topologyModeFromHints``/
   ``availableForTopology``), for traffic that uses the cluster-wide endpoints:

   - if every ready endpoint has a node hint and one of them names this node: only the
     endpoints hinted for this node (``PreferSameNode``);
   - else, if every ready endpoint has a zone hint and one of them names this node's zone:
     only the endpoints hinted for this zone (``PreferSameZone``);
   - else (an endpoint without hints, no endpoint for this node or zone, a node without a
     zone label): every ready endpoint -- the documented fall back to cluster-wide routing.

``internalTrafficPolicy: Local`` (and ``externalTrafficPolicy: Local`` for external traffic)
uses the node-local endpoints instead, where topology plays no part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from podpath.model.core import Node
from podpath.model.services import Endpoint

ZONE_LABEL = "topology.kubernetes.io/zone"
PREFER_SAME_NODE = "PreferSameNode"
PREFER_SAME_ZONE = "PreferSameZone"
ZONE_VALUES = ("PreferClose", PREFER_SAME_ZONE)


def endpoint_hints(
    traffic_distribution: str | None, ready: bool, node_name: str | None, zone: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(forZones, forNodes) the EndpointSlice controller writes on one endpoint (part 1)."""
    if traffic_distribution is None or not ready:
        return (), ()
    for_zones = (zone,) if zone else ()
    if traffic_distribution == PREFER_SAME_NODE:
        return for_zones, (node_name,) if node_name else ()
    if traffic_distribution in ZONE_VALUES:
        return for_zones, ()
    return (), ()


def node_zones(nodes: Sequence[tuple[str, Mapping[str, str]]]) -> dict[str, str]:
    """Node name -> its ``topology.kubernetes.io/zone`` label (nodes without one left out)."""
    return {name: labels[ZONE_LABEL] for name, labels in nodes if labels.get(ZONE_LABEL)}


def zone_of(nodes: Sequence[Node], name: str) -> str | None:
    """The zone of the node named ``name`` (its ``topology.kubernetes.io/zone`` label)."""
    found = next((n for n in nodes if n.name == name), None)
    return found.labels.get(ZONE_LABEL) if found is not None else None


@dataclass(frozen=True, slots=True)
class ClientEndpoints:
    """The ready endpoints a client reaches, the topology mode kube-proxy chose (``""``: none),
    and a sentence saying why, when hints were there."""

    endpoints: tuple[Endpoint, ...]
    mode: str = ""
    why: str | None = None


def topology_mode_from_hints(
    endpoints: Sequence[Endpoint], node_name: str | None, zone: str | None
) -> tuple[str, str | None]:
    """kube-proxy's ``topologyModeFromHints`` over the ready endpoints (part 2), with why."""
    ready = [e for e in endpoints if e.ready]
    if not ready or not any(e.for_zones or e.for_nodes for e in ready):
        return "", None
    same_node = node_name and any(node_name in e.for_nodes for e in ready)
    if same_node and all(e.for_nodes for e in ready):
        return PREFER_SAME_NODE, f"trafficDistribution: endpoints on node {node_name} only"
    if all(e.for_zones for e in ready):
        if zone and any(zone in e.for_zones for e in ready):
            return PREFER_SAME_ZONE, f"trafficDistribution: endpoints in zone {zone} only"
        where = f"zone {zone}" if zone else f"node {node_name or '?'} (no zone label)"
        return "", f"trafficDistribution: no endpoint for {where}, so all endpoints"
    return "", "trafficDistribution: some endpoints have no hints, so all endpoints"


def endpoints_for_client(
    endpoints: Sequence[Endpoint], node_name: str | None, zone: str | None
) -> ClientEndpoints:
    """The ready endpoints that serve a client on ``node_name`` in ``zone`` (part 2:
    ``availableForTopology`` under the mode :func:`topology_mode_from_hints` picks)."""
    mode, why = topology_mode_from_hints(endpoints, node_name, zone)
    ready = [e for e in endpoints if e.ready]
    if mode == PREFER_SAME_NODE:
        ready = [e for e in ready if node_name in e.for_nodes]
    elif mode == PREFER_SAME_ZONE:
        ready = [e for e in ready if zone in e.for_zones]
    return ClientEndpoints(tuple(ready), mode, why)
