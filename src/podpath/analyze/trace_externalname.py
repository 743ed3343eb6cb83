"""``trace`` through an ExternalName Service: a DNS alias, not a proxy.

https://kubernetes.io/docs/concepts/services-networking/service/#externalname

- The client asks DNS for the Service's name and gets ``CNAME <externalName>.`` (DNS
  specification 2.5); "redirection happens at the DNS level rather than via proxying or
  forwarding". A target inside the cluster zone is followed by the cluster DNS; any other name is
  forwarded upstream: the connection leaves the cluster, towards an address podpath does not
  know. It is evaluated as :data:`podpath.engine.policy.INTERNET_IP` (outside the cluster), so
  egress policies decide it by their ipBlock rules, and a note says so.
- An ``externalName`` that is an IP address: "ExternalName accepts an IPv4 address string, but
  treats that string as a DNS name comprised of digits, not as an IP address ... Services with
  external names that resemble IPv4 addresses are not resolved by DNS servers." CoreDNS
  publishes no record for it (``findServices`` keeps only CNAME-shaped hosts), so the name does
  not resolve: ``unreachable`` (no such name). What egress policy would say of a connection made
  to that IP directly (e.g. through a headless Service with a manual EndpointSlice, the
  documented alternative) is evaluated against the policies' ipBlocks and given as a note.
- The Service's ports are informational (no proxy): the connection goes to the port the client
  uses. A named ``--port`` means the Service port of that name.
"""

from __future__ import annotations

from podpath.analyze.trace_base import (
    NO_SUCH_NAME,
    Hop,
    PortSpec,
    Source,
    Target,
    TraceError,
    TraceResult,
    resolve_name_upstream,
    search_names,
)
from podpath.analyze.trace_policy import judge_target
from podpath.cluster import Cluster
from podpath.engine.dns import fqdn, is_ip, service_name
from podpath.engine.policy_verdict import INTERNET_IP as OUTSIDE_IP
from podpath.model.services import Service

EXTERNAL_NAME_DOC = "https://kubernetes.io/docs/concepts/services-networking/service/#externalname"
IP_NOT_RESOLVED = (
    "{service} is ExternalName with the IP address {ip}: Kubernetes treats it as a DNS name of "
    "digits, and DNS servers do not resolve it (CoreDNS publishes no record); use a headless "
    "Service with an EndpointSlice for an IP"
)


def external_ports(service: Service, spec: PortSpec, what: str) -> list[int]:
    """The port(s) the client connects to: ``--port`` as a number, a named port of the Service,
    else every Service port; a TraceError when there is none to use."""
    if isinstance(spec.port, int):
        return [spec.port]
    ports = [
        p.port
        for p in service.ports
        if p.protocol is spec.protocol and (spec.port is None or p.name == spec.port)
    ]
    if not ports:
        raise TraceError(f"--port must be a number for {what} (Service {service.key})")
    return ports


def external_name_targets(
    cluster: Cluster, source: Source, service: Service, spec: PortSpec, result: TraceResult
) -> list[Target]:
    """The client resolves the Service's name (module docstring); hops recorded on ``result``,
    and the targets it then connects to (an address outside the cluster, or in-cluster pods
    through a CNAME into the cluster zone)."""
    target = service.external_name or ""
    obj = (str(service.ref),)
    name = service_name(service, cluster.settings.cluster_domain)
    if is_ip(target):
        result.hops.append(
            Hop("service", IP_NOT_RESOLVED.format(service=service.key, ip=target), obj)
        )
        result.hops.append(Hop("dns", f"{name}: NXDOMAIN (no record for an IP externalName)", obj))
        result.drop = NO_SUCH_NAME
        result.notes.extend(direct_ip_notes(cluster, source, service, target, spec))
        return []
    result.hops.append(
        Hop("service", f"{service.key} is ExternalName: DNS alias {name} CNAME {fqdn(target)}", obj)
    )
    hops, addresses, drop, upstream = resolve_name_upstream(cluster, source, name)
    result.hops.extend(hops)
    if drop is not None:
        result.drop = drop
        return []
    if upstream is not None:
        return outside_targets(source, service, upstream, spec, result)
    from podpath.analyze.trace import ip_targets

    targets: list[Target] = []
    for ip in addresses:
        targets += ip_targets(cluster, source, ip, spec, result)
    return targets


def outside_targets(
    source: Source, service: Service | None, upstream: str, spec: PortSpec, result: TraceResult
) -> list[Target]:
    """A name forwarded upstream: the destination is outside the cluster, evaluated as
    :data:`OUTSIDE_IP` on the port(s) the client uses."""
    what = f"a name outside the cluster ({upstream})"
    if service is not None:
        ports = external_ports(service, spec, what)
    elif isinstance(spec.port, int):
        ports = [spec.port]
    else:
        raise TraceError(f"--port must be a number for {what}")
    result.hops.append(
        Hop(
            "external",
            f"{upstream} is outside the cluster: the connection leaves it, evaluated as "
            f"address {OUTSIDE_IP} port {', '.join(map(str, ports))}/{spec.protocol}",
            (),
        )
    )
    result.notes.append(
        f"the address of {upstream} comes from upstream DNS and is not modelled; the verdict is "
        f"for {OUTSIDE_IP} (outside the cluster): pass the real IP as --to when ipBlock rules "
        "matter"
    )
    src_ips = (source.ip,) if source.ip else ()
    return [Target(OUTSIDE_IP, p, None, src_ips, source.pod) for p in ports]


def direct_ip_notes(
    cluster: Cluster, source: Source, service: Service, ip: str, spec: PortSpec
) -> list[str]:
    """What egress policy would say of a connection to ``ip`` made directly (module docstring)."""
    try:
        ports = external_ports(service, spec, f"the address {ip}")
    except TraceError:
        return [f"pass --port to see what NetworkPolicy says of a connection to {ip} directly"]
    src_ips = (source.ip,) if source.ip else ()
    notes = []
    for port in ports:
        ev, _ = judge_target(cluster, Target(ip, port, None, src_ips, source.pod), spec.protocol)
        why = "; ".join(ev.reasons) or "no policy applies"
        notes.append(
            f"not traced: a connection to {ip}:{port}/{spec.protocol} made directly would be "
            f"{ev.verdict} by NetworkPolicy ({why})"
        )
    return notes


def explain_unresolved(
    cluster: Cluster, source: Source, name: str, spec: PortSpec, result: TraceResult
) -> None:
    """After a name did not resolve: if a name the resolver tried is an ExternalName Service
    with an IP address, say why (module docstring) and what policy says of that IP."""
    tried = set(search_names(cluster, source, name))
    zone = cluster.settings.cluster_domain
    for service in cluster.services:
        target = service.external_name
        if target is None or not is_ip(target) or service_name(service, zone) not in tried:
            continue
        result.hops.append(
            Hop(
                "service",
                IP_NOT_RESOLVED.format(service=service.key, ip=target),
                (str(service.ref),),
            )
        )
        result.notes.extend(direct_ip_notes(cluster, source, service, target, spec))
