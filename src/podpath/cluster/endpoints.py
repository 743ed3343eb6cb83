"""Every Service's endpoints (per port) and addresses, computed from its selector's pods or
its EndpointSlices by :mod:`podpath.engine.services`."""

from __future__ import annotations

from collections import defaultdict

from podpath.engine.services import service_addresses, service_endpoints
from podpath.engine.traffic_distribution import node_zones
from podpath.model.core import Node, Pod
from podpath.model.services import Endpoint, EndpointSlice, PortEndpoints, Service


class _SelectorIndex:
    """Pods by (namespace, label, value), so that a Service's selector is matched against the
    pods carrying its first pair only (the engine still applies the full rule)."""

    def __init__(self, pods: tuple[Pod, ...]) -> None:
        self.by_pair: dict[tuple[str, str, str], list[Pod]] = defaultdict(list)
        self.by_namespace: dict[str, list[Pod]] = defaultdict(list)
        for pod in pods:
            self.by_namespace[pod.namespace].append(pod)
            for key, value in pod.labels.pairs:
                self.by_pair[(pod.namespace, key, value)].append(pod)

    def candidates(self, service: Service) -> list[Pod]:
        if not service.selector:
            return self.by_namespace.get(service.namespace, [])
        lists = [
            self.by_pair.get((service.namespace, k, v), []) for k, v in service.selector.items()
        ]
        return min(lists, key=len)


def endpoints_and_addresses(
    services: tuple[Service, ...],
    pods: tuple[Pod, ...],
    slices: tuple[EndpointSlice, ...],
    nodes: tuple[Node, ...] = (),
) -> tuple[dict[str, tuple[PortEndpoints, ...]], dict[str, tuple[Endpoint, ...]]]:
    """By Service key: the endpoints of each Service port (with their nodes' zones), and the
    Service's addresses."""
    index = _SelectorIndex(pods)
    zones = node_zones([(n.name, n.labels) for n in nodes])
    endpoints = {s.key: service_endpoints(s, index.candidates(s), slices, zones) for s in services}
    addresses = {s.key: service_addresses(s, index.candidates(s), slices) for s in services}
    return endpoints, addresses
