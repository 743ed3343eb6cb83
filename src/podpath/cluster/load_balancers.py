"""LoadBalancer addresses: ``status.loadBalancer.ingress`` where given, else
``spec.loadBalancerIP`` or the next free address of the embedded pool (as MetalLB would)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from podpath.cluster.settings import Settings
from podpath.errors import InputError
from podpath.model.core import Note
from podpath.model.services import Service, ServiceType


def _pool_addresses(pool: str) -> list[str]:
    """An address pool: ``FIRST-LAST`` or a CIDR (several comma-separated)."""
    out: list[str] = []
    for part in (p.strip() for p in pool.split(",") if p.strip()):
        try:
            if "-" in part:
                first, last = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
                out.extend(str(ipaddress.ip_address(v)) for v in range(int(first), int(last) + 1))
            else:
                out.extend(str(ip) for ip in ipaddress.ip_network(part, strict=False).hosts())
        except ValueError:
            raise InputError(f"invalid address pool {part!r}", field="--lb-pool") from None
    return out


def load_balancers(services: list[Service], settings: Settings, notes: list[Note]) -> list[Service]:
    """Every LoadBalancer Service without an address gets one of the pool (pending if none)."""
    pool = _pool_addresses(settings.lb_pool)
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
