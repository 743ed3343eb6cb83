"""``podpath trace``: the flow (see :mod:`podpath.analyze.trace_base` for the rules and hops).

``trace(cluster, src, dst, port, options)`` parses SRC and DST, follows the path to the pods
that would receive the connection, and asks the NetworkPolicy engine
(:mod:`podpath.analyze.trace_policy`) for each one. ``internet`` sources go through
:mod:`podpath.analyze.trace_external` (a URL through :mod:`podpath.analyze.trace_route`, where
the routing ``options`` apply; elsewhere they are ignored with a note); ExternalName Services
through :mod:`podpath.analyze.trace_externalname`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from podpath.analyze.trace_base import (
    INTERNET,
    NO_ENDPOINTS,
    NO_LISTENER,
    NO_SUCH_NAME,
    OPTIONS_IGNORED,
    PORT_NOT_EXPOSED,
    UNREACHABLE,
    Hop,
    PortSpec,
    RouteOptions,
    Source,
    Target,
    TraceError,
    TraceResult,
    aggregate,
    parse_port,
    parse_source,
    pod_port,
    port_endpoints,
    resolve_name_upstream,
    service_ip_kind,
    service_ports,
)
from podpath.analyze.trace_externalname import (
    explain_unresolved,
    external_name_targets,
    outside_targets,
)
from podpath.analyze.trace_policy import judge_targets
from podpath.cluster import Cluster
from podpath.engine.dns import is_ip
from podpath.model.core import Pod
from podpath.model.services import Service

SERVICE_PREFIX = "svc:"
URL_DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80, "grpcs": 443}


def trace(
    cluster: Cluster,
    src: str,
    dst: str,
    port: str | None = None,
    options: RouteOptions | None = None,
) -> TraceResult:
    """The path and verdict of one connection from ``src`` to ``dst`` (module docstrings)."""
    source = parse_source(cluster, src)
    spec = parse_port(port)
    options = options or RouteOptions()
    if source.kind == INTERNET or (source.kind == "ip" and _is_outside(cluster, source.ip)):
        from podpath.analyze.trace_external import trace_external

        return trace_external(cluster, source, dst, spec, options)
    result = TraceResult(UNREACHABLE)
    if options.given:
        result.notes.append(OPTIONS_IGNORED)
    result.hops.append(Hop("source", _source_detail(source), _source_objects(source)))
    targets = destination_targets(cluster, source, dst, spec, result)
    if result.drop is None:
        judge_targets(cluster, source, targets, spec, result)
    return finish(result)


def finish(result: TraceResult) -> TraceResult:
    """Set the overall verdict from the endpoints (unreachable when a hop dropped or none)."""
    if result.drop is not None and not result.endpoints:
        result.verdict = UNREACHABLE
    elif not result.endpoints:
        result.verdict, result.drop = UNREACHABLE, result.drop or NO_ENDPOINTS
    else:
        result.verdict = aggregate(result.endpoints)
    return result


def _is_outside(cluster: Cluster, ip: str) -> bool:
    return cluster.pod_by_ip.get(ip) is None and cluster.node_at(ip) is None


def _source_detail(source: Source) -> str:
    if source.pod is not None:
        pod = source.pod
        net = " (host network)" if pod.host_network else ""
        return f"pod {pod.key} {source.ip or '(no IP)'} on node {pod.node_name}{net}"
    return f"address {source.label}"


def _source_objects(source: Source) -> tuple[str, ...]:
    return (str(source.pod.ref),) if source.pod is not None else ()


def destination_targets(
    cluster: Cluster, source: Source, dst: str, spec: PortSpec, result: TraceResult
) -> list[Target]:
    """Where the connection lands, hop by hop (hops and drops recorded on ``result``)."""
    if dst.startswith(SERVICE_PREFIX):
        service = cluster.service_by_key.get(dst[len(SERVICE_PREFIX) :])
        if service is None:
            raise TraceError(f"no Service {dst[len(SERVICE_PREFIX) :]!r} (svc:NS/NAME)")
        return service_targets(cluster, source, service, spec, result, via=None)
    if "://" in dst:
        url = urlsplit(dst)
        if spec.port is None:
            spec = PortSpec(url.port or URL_DEFAULT_PORTS.get(url.scheme, 80), spec.protocol)
        dst = url.hostname or ""
    if dst in cluster.pod_by_key:
        return pod_targets(source, cluster.pod_by_key[dst], spec, result)
    if is_ip(dst):
        return ip_targets(cluster, source, dst, spec, result)
    if "/" in dst:
        raise TraceError(
            f"no pod {dst!r} (DST is NS/NAME, svc:NS/NAME, a DNS name, an IP or a URL)"
        )
    hops, addresses, drop, upstream = resolve_name_upstream(cluster, source, dst)
    result.hops.extend(hops)
    if drop is not None:
        result.drop = drop
        if drop == NO_SUCH_NAME:
            explain_unresolved(cluster, source, dst, spec, result)
        return []
    if upstream is not None:  # forwarded upstream: an address outside the cluster, not modelled
        alias = next(
            (
                s
                for s in cluster.services
                if s.external_name is not None and str(s.ref) in hops[-1].objects
            ),
            None,
        )
        return outside_targets(source, alias, upstream, spec, result)
    targets: list[Target] = []
    for ip in addresses:
        targets += ip_targets(cluster, source, ip, spec, result)
    return targets


def pod_targets(source: Source, pod: Pod, spec: PortSpec, result: TraceResult) -> list[Target]:
    """A pod destination: its IP on the given port (a name resolved against its containers)."""
    if not pod.ips:
        result.hops.append(Hop("pod", f"{pod.key} has no IP", (str(pod.ref),)))
        result.drop = NO_LISTENER
        return []
    ports = pod_port(pod, spec)
    if not ports:
        what = f"no container port {spec}" if spec.port is not None else "no declared port"
        result.hops.append(Hop("pod", f"{pod.key}: {what}; pass --port", (str(pod.ref),)))
        result.drop = PORT_NOT_EXPOSED
        return []
    declared = {p.container_port for p in pod.ports if p.protocol is spec.protocol}
    detail = f"{pod.key} {pod.ips[0]} port {', '.join(map(str, ports))}/{spec.protocol}"
    if any(p not in declared for p in ports):
        result.notes.append(
            f"{pod.key} declares no container port {spec}; the connection may be refused"
        )
    result.hops.append(Hop("pod", detail, (str(pod.ref),)))
    src_ips = (source.ip,) if source.ip else ()
    return [Target(pod.ips[0], p, pod, src_ips, source.pod) for p in ports]


def ip_targets(
    cluster: Cluster, source: Source, ip: str, spec: PortSpec, result: TraceResult
) -> list[Target]:
    """An IP destination: a pod, a Service (ClusterIP, LB or external IP), a node, or outside."""
    pod = cluster.pod_by_ip.get(ip)
    if pod is not None:
        return pod_targets(source, pod, spec, result)
    service = cluster.service_at(ip)
    if service is not None:
        return service_targets(cluster, source, service, spec, result, via=ip)
    node = cluster.node_at(ip)
    if node is not None:
        from podpath.analyze.trace_external import node_targets

        return node_targets(cluster, source, node, ip, spec, result)
    if not isinstance(spec.port, int):
        raise TraceError(f"--port must be a number for an address outside the cluster ({ip})")
    result.hops.append(Hop("external", f"{ip} is outside the cluster: egress only", ()))
    src_ips = (source.ip,) if source.ip else ()
    return [Target(ip, spec.port, None, src_ips, source.pod)]


def service_targets(
    cluster: Cluster,
    source: Source,
    service: Service,
    spec: PortSpec,
    result: TraceResult,
    *,
    via: str | None,
) -> list[Target]:
    """Service port -> each ready endpoint's target port (module docstring of trace_base)."""
    obj = (str(service.ref),)
    if service.external_name is not None:
        return external_name_targets(cluster, source, service, spec, result)
    ports = service_ports(service, spec)
    if not ports:
        declared = ", ".join(p.label for p in service.ports) or "none"
        result.hops.append(
            Hop("service", f"{service.key} has no port {spec} (ports: {declared})", obj)
        )
        result.drop = PORT_NOT_EXPOSED
        return []
    address = via or (service.cluster_ips[0] if service.cluster_ips else "(headless)")
    kind = service_ip_kind(service, address) if via else "ClusterIP"
    src_ips = (source.ip,) if source.ip else ()
    external = via is not None and via not in service.cluster_ips
    masquerade = external_masquerade(cluster, source, service) if external else None
    source_node = source.pod.node_name if source.pod is not None else None
    targets: list[Target] = []
    for sp in ports:
        pe = port_endpoints(cluster, service, sp)
        ready = [e for e in (pe.endpoints if pe else ()) if e.ready]
        local = ""
        if (
            service.internal_traffic_policy == "Local"
            and source.pod is not None
            and not service.headless
            and not external
        ):
            ready = [e for e in ready if e.node_name == source.pod.node_name]
            local = f" (internalTrafficPolicy Local: node {source.pod.node_name} only)"
        if masquerade:
            local += f" (externalTrafficPolicy Cluster: masqueraded to node IP {masquerade})"
        mapping = ", ".join(f"{e.pod or e.ip}:{e.port}" for e in ready) or "none"
        detail = (
            f"{service.key} {kind} {address} port {sp.label}"
            f"{' (' + sp.name + ')' if sp.name else ''} -> targetPort {sp.target_port}: "
            f"ready endpoints {mapping}{local}"
        )
        result.hops.append(Hop("service", detail, obj))
        if pe is not None and pe.excluded:
            result.notes.extend(
                f"{service.key}: {pod} left out ({why})" for pod, why in pe.excluded
            )
        for e in ready:
            pod = cluster.pod_by_key.get(e.pod) if e.pod else None
            seen = (masquerade,) if masquerade and e.node_name != source_node else ()
            targets.append(Target(e.ip, e.port, pod, src_ips, source.pod, seen))
    if not targets:
        result.drop = NO_ENDPOINTS
    return targets


def external_masquerade(cluster: Cluster, source: Source, service: Service) -> str | None:
    """The node IP a pod's connection to a load-balancer or external IP is masqueraded to, or
    None. kube-proxy sends it through the Service's "external destinations" chain: with
    ``externalTrafficPolicy: Cluster`` it is marked for masquerade; with ``Local``, traffic from
    a local pod goes to the cluster-wide endpoints with its source kept (pkg/proxy/iptables
    ``externalTrafficChain``). A host-network source already has the node's address."""
    pod = source.pod
    if pod is None or pod.host_network or service.external_traffic_policy == "Local":
        return None
    node = cluster.node_by_name.get(pod.node_name or "")
    return node.internal_ips[0] if node is not None and node.internal_ips else None
