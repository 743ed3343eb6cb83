"""Requests whose URL host is an IP address: the client connects to that address.

A client that asks for ``http://172.18.255.201/`` opens a connection to 172.18.255.201, so the
entry point is the one that owns the address -- a LoadBalancer Service in front of its pods
(``status.loadBalancer.ingress``), a Gateway address, a Service ``spec.externalIPs``, or a node
IP together with a ``nodePort`` -- and no other.  The request's Host header is the IP (or an
explicit ``Host`` header): per the Ingress documentation, "If no host is specified, the rule
applies to all inbound HTTP traffic through the IP address specified"
(https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-rules), so only
rules without ``host`` (and ``spec.defaultBackend``) match an IP; likewise only Gateway
listeners without ``hostname`` (Gateway API ``Listener.hostname``: "When unspecified, all
hostnames are matched").  When nothing matches, the controller itself answers 404
(ingress-nginx's default backend): the entry point is still named.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import TYPE_CHECKING

from podpath.model.routing import EntryPoint, Request
from podpath.model.services import ServiceType

if TYPE_CHECKING:
    from podpath.cluster import Cluster


def is_ip_address(host: str) -> bool:
    """Whether a URL host is an IPv4/IPv6 literal (brackets already removed by urlsplit)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def address_owner(cluster: Cluster, ep: EntryPoint, address: str, port: int) -> str | None:
    """Why ``address:port`` reaches the entry point (None when it does not): its load-balancer
    or Gateway address, a fronting Service's externalIP, or a node IP with a nodePort."""
    if address in ep.addresses:
        return f"{address} is an address of {ep.label}"
    svcs = [cluster.service_by_key[k] for k in ep.services if k in cluster.service_by_key]
    for svc in svcs:
        if address in svc.external_ips and any(p.port == port for p in svc.ports):
            return f"{address} is an externalIP of Service {svc.key} port {port}"
    node_ips = {ip for n in cluster.nodes for ip in (*n.internal_ips, *n.external_ips)}
    if address in node_ips:
        for svc in svcs:
            if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
                continue
            if any(p.node_port == port for p in svc.ports):
                return f"{address}:{port} is a node IP and nodePort of Service {svc.key}"
    return None


def owners_of_address(
    cluster: Cluster, eps: tuple[EntryPoint, ...], address: str, port: int
) -> list[tuple[EntryPoint, str]]:
    """The entry points a connection to ``address:port`` reaches, with why."""
    out = []
    for ep in eps:
        why = address_owner(cluster, ep, address, port)
        if why is not None:
            out.append((ep, why))
    return out


def host_header_request(request: Request) -> Request:
    """The request as the entry point matches it: Host is the ``Host`` header when given
    (lower-case, port removed), else the URL's host (the IP)."""
    given = request.header("host")
    if not given:
        return request
    host = given.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return replace(request, host=host.rstrip(".") or request.host)
