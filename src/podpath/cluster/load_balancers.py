"""LoadBalancer addresses: ``status.loadBalancer.ingress`` where given, else
``spec.loadBalancerIP`` or the next free address of the embedded pool (as MetalLB would)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import replace

from podpath.cluster.settings import Settings
from podpath.errors import InputError
from podpath.model.core import Note
from podpath.model.services import Service, ServiceType


def _pool_ranges(pool: str) -> list[tuple[int, int, int]]:
    """An address pool: ``FIRST-LAST`` or a CIDR (several comma-separated), as (version,
    first, last) ranges, checked at once but never expanded: a /8 or an IPv6 /64 is fine."""
    out: list[tuple[int, int, int]] = []
    for part in (p.strip() for p in pool.split(",") if p.strip()):
        try:
            if "-" in part:
                first, last = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
                if first.version != last.version:
                    raise ValueError(part)
                out.append((first.version, int(first), int(last)))
            else:
                net = ipaddress.ip_network(part, strict=False)
                hosts = net.num_addresses > 2 and not (net.version == 6 and net.prefixlen == 127)
                low = int(net.network_address) + (1 if hosts else 0)
                high = int(net.broadcast_address) - (1 if hosts and net.version == 4 else 0)
                out.append((net.version, low, high))
        except ValueError:
            raise InputError(f"invalid address pool {part!r}", field="--lb-pool") from None
    return out


def _pool_addresses(ranges: list[tuple[int, int, int]]) -> Iterator[str]:
    """The pool's addresses in order, one at a time (only as many as Services need)."""
    for version, first, last in ranges:
        make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        value = first
        while value <= last:
            yield str(make(value))
            value += 1


def load_balancers(services: list[Service], settings: Settings, notes: list[Note]) -> list[Service]:
    """Every LoadBalancer Service without an address gets one of the pool (pending if none)."""
    pool = _pool_addresses(_pool_ranges(settings.lb_pool))
    used = {ip for s in services for ip in s.lb_ingress} | {
        s.lb_requested_ip for s in services if s.lb_requested_ip
    }
    free = (ip for ip in pool if ip not in used)
    out = []
    for svc in services:
        if svc.type is ServiceType.LOAD_BALANCER and not svc.lb_ingress and not svc.lb_hostnames:
            ip = svc.lb_requested_ip or next(free, None)
            if ip is None:
                notes.append(
                    Note(
                        "warning",
                        "lb-pool-exhausted",
                        "no load-balancer address left in the pool; it stays pending",
                        str(svc.ref),
                        svc.source,
                    )
                )
                out.append(replace(svc, lb_origin="none"))
                continue
            svc = replace(svc, lb_ingress=(ip,), lb_origin="pool")
        out.append(svc)
    return out
