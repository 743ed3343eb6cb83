"""``trace`` from outside the cluster: load balancer -> node -> pod, and ``--to URL`` through an
Ingress controller or a Gateway.

- Load balancer (https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer):
  ``loadBalancerSourceRanges`` admits only clients in those CIDRs (others: "denied by
  loadBalancerSourceRanges of NS/NAME"); the Service port on the address must exist.
- Node (https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#preserving-the-client-source-ip):
  ``externalTrafficPolicy: Cluster`` -> any node forwards to any ready endpoint with source NAT
  to the node's IP, so policies see a node address (every node is evaluated);
  ``Local`` -> the client IP is kept and only endpoints on the receiving node serve (the load
  balancer's health check sends only to nodes that have one; a NodePort asked on a node without
  one drops the connection).
- NodePort on a node IP; otherwise a ``hostPort`` of a pod on that node, or a host-network pod
  declaring that port; otherwise "no listener".
- URL: the routing engine (:func:`podpath.engine.routing.route_request`) picks the entry point
  and rule; its controller/gateway pods (:func:`podpath.engine.routing.entry_points`) are
  reached through the Service in front of them as above, then the backend Service's endpoints
  from those pods, with NetworkPolicy evaluated on both hops. Public DNS is assumed to point the
  host at the entry point's address.
"""

from __future__ import annotations

from dataclasses import replace

from podpath.analyze.trace_base import (
    ALLOWED,
    DENIED,
    DENIED_SOURCE_RANGES,
    NO_ENDPOINTS,
    NO_LISTENER,
    NO_ROUTE,
    OPTIONS_IGNORED,
    PARTIAL,
    PORT_NOT_EXPOSED,
    EndpointVerdict,
    Hop,
    PortSpec,
    RouteOptions,
    Source,
    Target,
    TraceError,
    TraceResult,
    ip_in,
    port_endpoints,
    service_ports,
)
from podpath.analyze.trace_policy import judge_into
from podpath.cluster import Cluster
from podpath.engine.dns import is_ip
from podpath.model.core import Node, Pod
from podpath.model.services import Service, ServiceType

SERVICE_PREFIX = "svc:"


def node_ips(cluster: Cluster) -> tuple[str, ...]:
    return tuple(n.internal_ips[0] for n in cluster.nodes if n.internal_ips)


def external_finish(result: TraceResult) -> TraceResult:
    from podpath.analyze.trace import finish

    if not result.endpoints and result.drop and result.drop.startswith("denied"):
        result.verdict = DENIED
        return result
    return finish(result)


def trace_external(
    cluster: Cluster,
    source: Source,
    dst: str,
    spec: PortSpec,
    options: RouteOptions | None = None,
) -> TraceResult:
    """From ``internet`` (or an outside IP) to a load-balancer address, a node IP, a Service or
    a URL (asked of the routing engine with ``options``, ignored for the others)."""
    options = options or RouteOptions()
    result = TraceResult(DENIED)
    result.hops.append(Hop("source", f"client {source.ip} outside the cluster", ()))
    if "://" in dst or (not is_ip(dst) and not dst.startswith(SERVICE_PREFIX) and "/" not in dst):
        from podpath.analyze.trace_route import trace_url

        return trace_url(cluster, source, dst, spec, result, options)
    if options.given:
        result.notes.append(OPTIONS_IGNORED)
    if dst.startswith(SERVICE_PREFIX):
        service = cluster.service_by_key.get(dst[len(SERVICE_PREFIX) :])
        if service is None:
            raise TraceError(f"no Service {dst[len(SERVICE_PREFIX) :]!r} (svc:NS/NAME)")
        targets = service_from_outside(cluster, source, service, spec, result)
    elif is_ip(dst):
        targets = ip_from_outside(cluster, source, dst, spec, result)
    else:
        raise TraceError(f"{dst!r}: from outside, DST is an address, svc:NS/NAME or a URL")
    if result.drop is None:
        judge_into(cluster, targets, spec, result, "NetworkPolicy")
    return external_finish(result)


def ip_from_outside(
    cluster: Cluster, source: Source, ip: str, spec: PortSpec, result: TraceResult
) -> list[Target]:
    for svc in cluster.services:
        if ip in svc.lb_ingress and svc.type is ServiceType.LOAD_BALANCER:
            return load_balancer(cluster, source, svc, ip, spec, result)
        if ip in svc.external_ips:
            return load_balancer(cluster, source, svc, ip, spec, result, kind="externalIPs")
    node = cluster.node_at(ip)
    if node is not None:
        return node_targets(cluster, source, node, ip, spec, result)
    what = (
        "a pod IP"
        if ip in cluster.pod_by_ip
        else "a ClusterIP"
        if cluster.service_at(ip)
        else "unknown"
    )
    result.hops.append(Hop("route", f"{ip} is {what}: not routed from outside the cluster", ()))
    result.drop = NO_ROUTE
    return []


def service_from_outside(
    cluster: Cluster, source: Source, service: Service, spec: PortSpec, result: TraceResult
) -> list[Target]:
    if service.type is ServiceType.LOAD_BALANCER and service.lb_ingress:
        return load_balancer(cluster, source, service, service.lb_ingress[0], spec, result)
    if service.type in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER) and cluster.nodes:
        node = cluster.nodes[0]
        sp = service_ports(service, spec)
        if not sp:
            return _no_port(service, spec, result)
        port = replace(spec, port=sp[0].node_port)
        return node_targets(cluster, source, node, node.internal_ips[0], port, result)
    result.hops.append(
        Hop(
            "route",
            f"{service.key} is {service.type}: not exposed outside the cluster",
            (str(service.ref),),
        )
    )
    result.drop = NO_ROUTE
    return []


def _no_port(service: Service, spec: PortSpec, result: TraceResult) -> list[Target]:
    declared = ", ".join(p.label for p in service.ports) or "none"
    result.hops.append(
        Hop("service", f"{service.key} has no port {spec} (ports: {declared})", (str(service.ref),))
    )
    result.drop = PORT_NOT_EXPOSED
    return []


def load_balancer(
    cluster: Cluster,
    source: Source,
    service: Service,
    address: str,
    spec: PortSpec,
    result: TraceResult,
    kind: str = "load balancer",
) -> list[Target]:
    """LB address -> Service port (source ranges checked) -> node -> endpoints."""
    obj = (str(service.ref),)
    ports = service_ports(service, spec)
    if not ports:
        return _no_port(service, spec, result)
    ranges = service.lb_source_ranges if kind == "load balancer" else ()
    if ranges and not ip_in(source.ip, ranges):
        result.hops.append(
            Hop(
                "loadbalancer",
                f"{address}: client {source.ip} not in loadBalancerSourceRanges "
                f"{', '.join(ranges)}",
                obj,
            )
        )
        result.drop = DENIED_SOURCE_RANGES.format(service=service.key)
        return []
    admitted = f" (client in loadBalancerSourceRanges {', '.join(ranges)})" if ranges else ""
    sp = ports[0]
    result.hops.append(
        Hop(
            "loadbalancer",
            f"{kind} {address} port {sp.label} -> Service {service.key}{admitted}",
            obj,
        )
    )
    return _to_endpoints(cluster, source, service, sp.port, None, result)


def _to_endpoints(
    cluster: Cluster,
    source: Source,
    service: Service,
    port: int,
    node: Node | None,
    result: TraceResult,
) -> list[Target]:
    """Node hop (SNAT per externalTrafficPolicy) and the Service's ready endpoints."""
    sp = next(p for p in service.ports if p.port == port)
    pe = port_endpoints(cluster, service, sp)
    ready = [e for e in (pe.endpoints if pe else ()) if e.ready]
    obj = (str(service.ref),)
    if service.external_traffic_policy == "Local":
        if node is not None:
            ready = [e for e in ready if e.node_name == node.name]
            where = f"node {node.name}"
        else:
            where = (
                "the nodes with a ready endpoint (the load balancer's health check skips "
                "the others)"
            )
        detail = f"externalTrafficPolicy Local: {where}; client IP {source.ip} kept"
        src_ips: tuple[str, ...] = (source.ip,)
    else:
        src_ips = (node.internal_ips[0],) if node is not None else node_ips(cluster)
        where = f"node {node.name}" if node is not None else "any node"
        detail = (
            f"externalTrafficPolicy Cluster: {where} forwards with source NAT to the node IP "
            f"({', '.join(src_ips)})"
        )
    nodeport = f" nodePort {sp.node_port}" if sp.node_port else ""
    result.hops.append(Hop("node", detail + nodeport, obj))
    mapping = ", ".join(f"{e.pod or e.ip}:{e.port}" for e in ready) or "none"
    result.hops.append(
        Hop(
            "service",
            f"{service.key} port {sp.label} -> targetPort {sp.target_port}: "
            f"ready endpoints {mapping}",
            obj,
        )
    )
    if not ready:
        result.drop = NO_ENDPOINTS
        return []
    return [
        Target(e.ip, e.port, cluster.pod_by_key.get(e.pod) if e.pod else None, src_ips, None)
        for e in ready
    ]


def node_targets(
    cluster: Cluster, source: Source, node: Node, ip: str, spec: PortSpec, result: TraceResult
) -> list[Target]:
    """A node IP: a NodePort, else a hostPort or host-network pod on that node, else nothing."""
    if not isinstance(spec.port, int):
        raise TraceError(f"--port must be a number for a node address ({ip})")
    for svc in cluster.services:
        if svc.type not in (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER):
            continue
        for sp in svc.ports:
            if sp.node_port == spec.port and sp.protocol is spec.protocol:
                result.hops.append(
                    Hop(
                        "nodeport",
                        f"node {node.name} {ip}:{spec.port} -> Service {svc.key} port {sp.label}",
                        (str(svc.ref), str(node.ref)),
                    )
                )
                inside = source.pod is not None
                targets = _to_endpoints(cluster, source, svc, sp.port, node, result)
                if inside:
                    result.notes.append(
                        "from a pod, kube-proxy may treat NodePort traffic differently per mode"
                    )
                return targets
    return host_listeners(cluster, source, node, spec, result)


def host_listeners(
    cluster: Cluster, source: Source, node: Node, spec: PortSpec, result: TraceResult
) -> list[Target]:
    port = spec.port
    for pod in (p for p in cluster.pods if p.node_name == node.name):
        for cp in pod.ports:
            if cp.protocol is not spec.protocol:
                continue
            if cp.host_port == port and pod.ips:
                result.hops.append(
                    Hop(
                        "hostport",
                        f"node {node.name} hostPort {port} -> {pod.key}:{cp.container_port}",
                        (str(pod.ref),),
                    )
                )
                return [Target(pod.ips[0], cp.container_port, pod, (source.ip,), source.pod)]
            if pod.host_network and cp.container_port == port:
                result.hops.append(
                    Hop(
                        "hostnetwork",
                        f"node {node.name}:{port} -> host-network pod {pod.key}",
                        (str(pod.ref),),
                    )
                )
                return [Target(pod.ips[0], port, pod, (source.ip,), source.pod)]
    result.hops.append(
        Hop(
            "node",
            f"nothing listens on node {node.name} port {spec} "
            "(no NodePort, hostPort or host-network pod)",
            (str(node.ref),),
        )
    )
    result.drop = NO_LISTENER
    return []


def merge_endpoint(verdicts: list[EndpointVerdict]) -> EndpointVerdict:
    """One endpoint judged from several sources (controller pods): allowed if every source is."""
    first = verdicts[0]
    reasons = tuple(dict.fromkeys(r for v in verdicts for r in v.reasons))
    kinds = {v.verdict for v in verdicts}
    verdict = ALLOWED if kinds == {ALLOWED} else DENIED if kinds == {DENIED} else PARTIAL
    drop = next((v.drop for v in verdicts if v.drop), None)
    return EndpointVerdict(first.pod, first.ip, first.port, verdict, reasons, drop)


def pods_of(cluster: Cluster, keys: tuple[str, ...]) -> list[Pod]:
    return [cluster.pod_by_key[k] for k in keys if k in cluster.pod_by_key]
