"""The ``pods`` and ``services`` listings as plain, JSON-ready data."""

from __future__ import annotations

from typing import Any

from podpath.cluster import Cluster
from podpath.model.services import Service, ServiceType


def service_dns_name(service: Service, domain: str) -> str:
    """``<service>.<ns>.svc.<zone>.`` (DNS-based service discovery spec, section 2.3)."""
    return f"{service.name}.{service.namespace}.svc.{domain}."


def pods_listing(cluster: Cluster) -> dict[str, Any]:
    """Every pod: namespace/name, IPs (and where they came from), node, readiness, labels,
    owner workload."""
    return {
        "pods": [
            {
                "pod": p.key,
                "ips": list(p.ips),
                "ip_origin": p.ip_origin,
                "node": p.node_name,
                "host_network": p.host_network,
                "phase": p.phase,
                "ready": p.ready,
                "ready_assumed": p.ready_assumed,
                "labels": dict(p.labels),
                "owner": str(p.owner) if p.owner else None,
                "ports": [
                    {"name": cp.name, "port": cp.container_port, "protocol": cp.protocol.value}
                    for cp in p.ports
                ],
            }
            for p in cluster.pods
        ]
    }


def _lb(service: Service) -> list[str]:
    if service.type is not ServiceType.LOAD_BALANCER:
        return []
    return list(service.lb_ingress) + list(service.lb_hostnames)


def services_listing(cluster: Cluster) -> dict[str, Any]:
    """Every Service: type, ClusterIP, ports -> target ports, node ports, load-balancer
    address, ready/not-ready endpoints and DNS name."""
    domain = cluster.settings.cluster_domain
    out = []
    for svc in cluster.services:
        port_eps = cluster.endpoints.get(svc.key, ())
        ports = []
        for pe in port_eps:
            sp = pe.service_port
            ports.append(
                {
                    "name": sp.name,
                    "port": sp.port,
                    "protocol": sp.protocol.value,
                    "target_port": sp.target_port,
                    "node_port": sp.node_port,
                    "ready": [f"{e.pod or e.ip}:{e.port}" for e in pe.endpoints if e.ready],
                    "not_ready": [f"{e.pod or e.ip}:{e.port}" for e in pe.endpoints if not e.ready],
                    "excluded": [{"pod": k, "reason": r} for k, r in pe.excluded],
                }
            )
        ready_pods = sorted({e.pod or e.ip for pe in port_eps for e in pe.endpoints if e.ready})
        not_ready = sorted({e.pod or e.ip for pe in port_eps for e in pe.endpoints if not e.ready})
        out.append(
            {
                "service": svc.key,
                "type": svc.type.value,
                "headless": svc.headless,
                "cluster_ips": list(svc.cluster_ips),
                "external_name": svc.external_name,
                "external_ips": list(svc.external_ips),
                "load_balancer": _lb(svc),
                "load_balancer_origin": svc.lb_origin
                if svc.type is ServiceType.LOAD_BALANCER
                else None,
                "external_traffic_policy": svc.external_traffic_policy,
                "session_affinity": svc.session_affinity,
                "ports": ports,
                "ready_endpoints": ready_pods,
                "not_ready_endpoints": not_ready,
                "dns": service_dns_name(svc, domain),
            }
        )
    return {"services": out}
