"""NodePort allocation: requested nodePorts checked, the others allocated from
``node_port_range`` by a hash of the Service port (stable when other Services change)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from podpath.cluster.settings import Settings
from podpath.model.core import Note
from podpath.model.services import Service, ServiceType


def node_ports(services: list[Service], settings: Settings, notes: list[Note]) -> list[Service]:
    """NodePorts as the API server's allocator gives them (``initNodePorts`` in
    pkg/registry/core/service/storage/alloc.go; see :func:`allocates_node_ports`).

    - The allocator holds port *numbers*: a nodePort taken by one Service, whatever the
      protocol, is taken for every other Service (two Services asking for it collide).
    - Within one Service, ports with the same ``port`` number share one nodePort (e.g. DNS on
      53/TCP and 53/UDP), the one requested by either, else one allocated.
    - A requested nodePort is kept even where none would be allocated.
    - When every number of the range is taken the allocator fails (``ErrFull``, "range is
      full", pkg/registry/core/service/portallocator): the port keeps no nodePort, and a note.
    """
    low, high = settings.node_port_range
    size = high - low + 1
    owners = _requested_node_ports(services, settings, notes)
    taken = sum(1 for number in owners if low <= number <= high)
    out = []
    for svc in services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            out.append(svc)
            continue
        by_number = {p.port: p.node_port for p in svc.ports if p.node_port is not None}
        ports = []
        for p in svc.ports:
            if p.node_port is None and p.port in by_number:
                p = replace(p, node_port=by_number[p.port])
            elif p.node_port is None and allocates_node_ports(svc) and taken >= size:
                notes.append(
                    Note(
                        "error",
                        "nodeport-range-full",
                        f"no nodePort left in {low}-{high} for port {p.port}/{p.protocol} "
                        "(range is full)",
                        str(svc.ref),
                        svc.source,
                    )
                )
            elif p.node_port is None and allocates_node_ports(svc):
                digest = hashlib.sha256(f"{svc.key}/{p.port}/{p.protocol}".encode())
                seed = int(digest.hexdigest()[:8], 16)
                for step in range(size):
                    candidate = low + (seed + step) % size
                    if candidate not in owners:
                        owners[candidate] = svc.key
                        taken += 1
                        by_number[p.port] = candidate
                        p = replace(p, node_port=candidate)
                        break
            ports.append(p)
        out.append(replace(svc, ports=tuple(ports)))
    return out


def _requested_node_ports(
    services: list[Service], settings: Settings, notes: list[Note]
) -> dict[int, str]:
    """The nodePorts the Services ask for, by number, with out-of-range and collision notes."""
    low, high = settings.node_port_range
    owners: dict[int, str] = {}
    for svc in services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        for p in svc.ports:
            if p.node_port is None:
                continue
            if not low <= p.node_port <= high:
                notes.append(
                    Note(
                        "error",
                        "nodeport-out-of-range",
                        f"nodePort {p.node_port} is outside {low}-{high}",
                        str(svc.ref),
                        svc.source,
                    )
                )
            if p.node_port in owners and owners[p.node_port] != svc.key:
                notes.append(
                    Note(
                        "error",
                        "nodeport-collision",
                        f"nodePort {p.node_port}/{p.protocol} is also used by Service "
                        f"{owners[p.node_port]}",
                        str(svc.ref),
                        svc.source,
                    )
                )
            owners.setdefault(p.node_port, svc.key)
    return owners


def allocates_node_ports(svc: Service) -> bool:
    """``shouldAllocateNodePorts``: NodePort Services always; LoadBalancer Services unless
    ``spec.allocateLoadBalancerNodePorts`` is false
    (https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation)."""
    if svc.type is ServiceType.NODE_PORT:
        return True
    return svc.type is ServiceType.LOAD_BALANCER and svc.allocate_lb_node_ports
