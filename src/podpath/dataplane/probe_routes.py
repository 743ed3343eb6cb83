"""Probe checks through the Ingress/Gateway proxy: ``internet`` -> every route of ``routes``.

For each entry point whose pods run the proxy (:mod:`podpath.dataplane.proxy`) and each
plain-path row of the routing table (:func:`podpath.analyze.routes.routing_table`, what
``podpath routes`` prints: host, ``PATH (Exact|Prefix|PathPrefix)`` match), the ``internet``
client sends ``GET PATH`` with that ``Host`` (a wildcard host made concrete) to each
load-balancer address of the entry point routed in the data plane. Rows with header, query or
method matches, regular expressions, TLS or TCP routes are not probed.

Expected answers, from the analyses rather than recomputed here:

- the status of :func:`podpath.engine.routing.route_request` for that entry point (``podpath
  route URL --gateway/--ingress-class``): anything but 200 is answered as ``http STATUS``; a
  weighted invalid backend adds its status (500/503);
- for a 200, the endpoints of :func:`podpath.analyze.trace.dispatch.trace` from ``internet``
  to the URL on that entry point (``podpath trace --from internet --to URL``), judged from the entry
  point's pods: ``allowed`` -> ``http 200 NS/POD`` (the backend pod answers through the
  proxy), ``denied`` -> ``http 504`` (the proxy's connection to the ClusterIP is dropped);
- the hop from the client to the entry point's pods (the load-balancer Service in front), as
  the Service checks judge it: ``timeout`` where policy drops it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from podpath.cluster import Cluster
from podpath.dataplane.families import is_v4
from podpath.dataplane.probe_outcomes import (
    ANSWERED,
    Check,
    endpoint_outcome,
    no_endpoint,
    served_ports,
)
from podpath.model.routing import EntryPoint

PATH_MATCH = re.compile(r"(/\S*) \((?:Exact|Prefix|PathPrefix|ImplementationSpecific)\)")
MAX_ROUTE_CHECKS = 256
WILDCARD_LABEL = "podpath-probe"
ANY_HOST = "podpath-probe.test"


def concrete_host(host: str) -> str:
    """A host name a pattern matches: ``*.example.com`` -> ``podpath-probe.example.com``,
    ``*`` (any host) -> ``podpath-probe.test``."""
    if host in ("", "*"):
        return ANY_HOST
    if host.startswith("*."):
        return f"{WILDCARD_LABEL}.{host[2:]}"
    return host


def _listener_ports(ep: EntryPoint) -> dict[str, int]:
    """Gateway listener name -> port, for HTTP listeners (``http HTTP/80 *.example.com``)."""
    out = {}
    for text in ep.listeners:
        parts = text.split()
        if len(parts) >= 2 and "/" in parts[1]:
            proto, _, port = parts[1].partition("/")
            if proto == "HTTP" and port.isdigit():
                out[parts[0]] = int(port)
    return out


def _requests(
    cluster: Cluster, ep: EntryPoint, ports: set[int], rows: list[dict[str, Any]]
) -> list[tuple[str, str, int]]:
    """(host, path, port) requests for the entry point's plain-path rows."""
    listeners = _listener_ports(ep)
    out: dict[tuple[str, str, int], None] = {}
    for row in rows:
        entry = row["entry_point"]
        if entry == ep.label:
            port = 80
        elif entry.startswith(ep.label + "/"):
            port = listeners.get(entry[len(ep.label) + 1 :], 0)
        else:
            continue
        found = PATH_MATCH.fullmatch(row["match"])
        if found is None or port not in ports:
            continue
        for host in str(row["host"]).split(","):
            out[(concrete_host(host.strip()), found.group(1), port)] = None
    return list(out)


def _entry_hop(
    cluster: Cluster, ep: EntryPoint, address: str, port: int, node_ip: str, served: Any
) -> set[str]:
    """What the connection to the entry point's pods does (the LB Service's checks)."""
    from podpath.engine.policy_rules import peer_for_ip
    from podpath.engine.policy_verdict import INTERNET_IP, IPPeer, Peer

    for key in ep.services:
        svc = cluster.service_by_key.get(key)
        if svc is None or address not in svc.lb_ingress:
            continue
        for pe in cluster.endpoints.get(key, ()):
            if pe.service_port.port != port or pe.service_port.protocol.value != "TCP":
                continue
            local = svc.external_traffic_policy == "Local"
            node = cluster.node_at(node_ip)
            eps = [e for e in pe.ready if is_v4(e.ip)]
            if local:
                eps = [e for e in eps if node is not None and e.node_name == node.name]
            src: Peer = IPPeer(INTERNET_IP) if local else peer_for_ip(cluster, node_ip)
            outcomes = {endpoint_outcome(cluster, src, e, "TCP", served) for e in eps}
            return outcomes or no_endpoint(pe.ready)
    return {f"{ANSWERED} entry"}


def route_outcomes(
    cluster: Cluster, ep: EntryPoint, url: str, family: int | None = None
) -> tuple[set[str], str]:
    """The outcomes the model allows for ``url`` on entry point ``ep`` (module docstring),
    and the model's one-word answer; ``family`` 4 on a dual-stack model (the proxy reaches
    the backend's IPv4 ClusterIP), None otherwise. The model's proxy -> backend hop is of the
    family asked (``trace --family``), so the family the data plane's proxy uses is asked:
    IPv6 when no live backend Service has an IPv4 ClusterIP (:func:`proxy_family`)."""
    from podpath.analyze.trace.dispatch import trace
    from podpath.analyze.trace.values import RouteOptions
    from podpath.engine.routing import route_request

    gateway = ep.name if ep.kind == "Gateway" else None
    ingress_class = ep.name if ep.kind == "IngressClass" else None
    answer = route_request(cluster, url, gateway=gateway, ingress_class=ingress_class)[0]
    live = [b for b in answer.backends if b.weight > 0]
    if answer.status != 200 or not live:
        return {f"http {answer.status}"}, str(answer.status)
    out = {f"http {b.status}" for b in live if b.status is not None}
    options = RouteOptions(gateway=gateway, ingress_class=ingress_class)
    if family is not None:
        family = proxy_family(cluster, [b.service for b in live if b.service])
    result = trace(cluster, "internet", url, options=options, family=family)
    endpoints = [e for path in (result.paths or [result]) for e in path.endpoints]
    for e in endpoints:
        if e.pod is None:
            continue
        if e.verdict in ("allowed", "partial"):
            out.add(f"http 200 {e.pod}")
        if e.verdict in ("denied", "partial"):
            out.add("http 504")
    return out, result.verdict


def proxy_family(cluster: Cluster, services: list[str]) -> int:
    """The family the data plane's proxy connects to these backend Services over
    (:meth:`podpath.dataplane.proxy.Proxy.upstream`: the IPv4 ClusterIP, else the IPv6 one):
    4 when any of them has an IPv4 ClusterIP, else 6."""
    found = [cluster.service_by_key[k] for k in services if k in cluster.service_by_key]
    ips = [ip for svc in found for ip in svc.cluster_ips]
    return 4 if any(is_v4(ip) for ip in ips) or not ips else 6


def route_checks(cluster: Cluster, state: dict[str, Any]) -> Iterable[Check]:
    """``internet`` -> each probed route on each routed address of its entry point."""
    from podpath.analyze.routes import routing_table
    from podpath.engine.entrypoints import entry_points

    proxies = state.get("proxies", [])
    if not proxies:
        return
    lb_node = {ip: node_ip for ip, node_ip in state.get("lb_routes", [])}
    netns = state["internet"]["netns"]
    served = served_ports(state)
    rows = routing_table(cluster)["routes"]
    count = 0
    for ep in entry_points(cluster):
        ports = {sport for _, _, sport, entries in proxies if ep.label in entries}
        addresses = [a for a in ep.addresses if a in lb_node]
        if not ports or not addresses:
            continue
        for host, path, port in _requests(cluster, ep, ports, rows):
            url = f"http://{host}{'' if port == 80 else f':{port}'}{path}"
            outcomes, model = route_outcomes(cluster, ep, url, 4 if "families" in state else None)
            request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
            for address in addresses:
                entry = _entry_hop(cluster, ep, address, port, lb_node[address], served)
                expected = set(outcomes) if any(o.startswith(ANSWERED) for o in entry) else set()
                expected |= {o for o in entry if not o.startswith(ANSWERED)}
                if count >= MAX_ROUTE_CHECKS:
                    return
                count += 1
                yield Check(
                    "internet",
                    netns,
                    f"route:{ep.label} {host}{path}",
                    address,
                    port,
                    "TCP",
                    frozenset(expected),
                    model,
                    send=request.encode(),
                    http=True,
                    route=True,
                )
