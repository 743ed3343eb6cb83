"""Stage 2, the name: DNS as the source pod resolves it, and ExternalName aliases.

- ``dns`` hop: the name resolved as glibc in the source pod would, with its resolv.conf
  (:mod:`podpath.engine.resolver`; a source that is no pod uses a ClusterFirst pod's in
  ``default``); a CNAME (ExternalName) is shown; a name forwarded upstream ends outside the
  cluster (its address is not modelled); NXDOMAIN drops with "no such name", and so does a
  single label left only for upstream DNS (assumed to have no such host).
- ExternalName Services (https://kubernetes.io/docs/concepts/services-networking/service/#externalname)
  are a DNS alias, not a proxy: the client asks for the Service's name and gets
  ``CNAME <externalName>.`` (DNS specification 2.5); "redirection happens at the DNS level
  rather than via proxying or forwarding". A target in the cluster zone is followed by the
  cluster DNS, any other name is forwarded upstream.
- An ``externalName`` that is an IP address: "ExternalName accepts an IPv4 address string, but
  treats that string as a DNS name comprised of digits, not as an IP address ... Services with
  external names that resemble IPv4 addresses are not resolved by DNS servers." CoreDNS
  publishes no record for it, so the name does not resolve (no such name).
- The Service's ports are informational (no proxy): the connection goes to the port the client
  uses (:func:`external_ports`). A named ``--port`` means the Service port of that name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from podpath.analyze.trace.address import reach_entry_point, reach_ip
from podpath.analyze.trace.dns_reach import dns_notes
from podpath.analyze.trace.load_balancer import provider_implements
from podpath.analyze.trace.policy import DnsAccess, dns_access
from podpath.analyze.trace.values import (
    DNS_DENIED,
    NO_SUCH_NAME,
    Hop,
    Leg,
    PortSpec,
    Probe,
    Source,
    Target,
    TraceError,
    source_ips,
)
from podpath.cluster import Cluster
from podpath.engine.dns import build_zone, fqdn, is_ip, service_name
from podpath.engine.dns_access import DNS_PROTOCOLS
from podpath.engine.policy_verdict import INTERNET_IP as OUTSIDE_IP
from podpath.engine.resolver import (
    ResolvConf,
    namespace_resolv_conf,
    pod_resolv_conf,
    resolve,
    search_candidates,
)
from podpath.engine.route_address import is_ip_address
from podpath.model.routing import EntryPoint, Request, RouteAnswer
from podpath.model.services import Service

IP_NOT_RESOLVED = (
    "{service} is ExternalName with the IP address {ip}: Kubernetes treats it as a DNS name of "
    "digits, and DNS servers do not resolve it (CoreDNS publishes no record); use a headless "
    "Service with an EndpointSlice for an IP"
)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A name's DNS leg and where it leads: ``addresses`` in the cluster, or ``upstream`` (the
    name forwarded to upstream DNS, through ``alias``, an ExternalName Service); ``unresolved``:
    the ExternalName Services with an IP address the name stood for (module docstring)."""

    leg: Leg
    addresses: tuple[str, ...] = ()
    upstream: str | None = None
    alias: Service | None = None
    unresolved: tuple[Service, ...] = ()


def reach_name(cluster: Cluster, source: Source, name: str, spec: PortSpec) -> Leg:
    """A DNS name from inside: resolved (the ``dns`` hop), then each address (stage 3), or the
    name forwarded upstream, out of the cluster."""
    return _onward(cluster, source, resolve_name(cluster, source, name), spec)


def reach_alias(cluster: Cluster, source: Source, service: Service, spec: PortSpec) -> Leg:
    """``svc:NS/NAME`` of an ExternalName Service: the client resolves its name."""
    return _onward(cluster, source, resolve_alias(cluster, source, service), spec)


def _onward(cluster: Cluster, source: Source, resolved: Resolved, spec: PortSpec) -> Leg:
    """Where a resolved name leads (module docstring); a name that does not resolve but stood
    for an IP ExternalName probes that address for NetworkPolicy."""
    if resolved.leg.drop is not None:
        probes = tuple(_probe(source, s, spec) for s in resolved.unresolved)
        return resolved.leg + Leg(probes=probes)
    if resolved.upstream is not None:
        return resolved.leg + outside_name(source, resolved.alias, resolved.upstream, spec)
    return sum((reach_ip(cluster, source, ip, spec) for ip in resolved.addresses), resolved.leg)


def _probe(source: Source, service: Service, spec: PortSpec) -> Probe:
    ip = service.external_name or ""
    try:
        ports = external_ports(service, spec, f"the address {ip}")
    except TraceError:
        return Probe(ip)
    return Probe(ip, tuple(Target(ip, p, None, source_ips(source), source.pod) for p in ports))


def outside_name(source: Source, service: Service | None, upstream: str, spec: PortSpec) -> Leg:
    """A name forwarded upstream: the destination is outside the cluster, evaluated as
    :data:`OUTSIDE_IP` on the port(s) the client uses (:func:`external_ports`)."""
    ports = external_ports(service, spec, f"a name outside the cluster ({upstream})")
    hop = Hop(
        "external",
        f"{upstream} is outside the cluster: the connection leaves it, evaluated as "
        f"address {OUTSIDE_IP} port {', '.join(map(str, ports))}/{spec.protocol}",
        (),
    )
    note = (
        f"the address of {upstream} comes from upstream DNS and is not modelled; the verdict is "
        f"for {OUTSIDE_IP} (outside the cluster): pass the real IP as --to when ipBlock rules "
        "matter"
    )
    targets = tuple(Target(OUTSIDE_IP, p, None, source_ips(source), source.pod) for p in ports)
    return Leg((hop,), (note,), targets)


def reach_public_name(
    cluster: Cluster,
    source: Source,
    ep: EntryPoint,
    request: Request,
    answer: RouteAnswer,
    spec: PortSpec,
) -> Leg:
    """A URL's host from outside: public DNS is assumed to point it at the entry point that
    serves it (an IP host needs no DNS); the entry point's pods are named, then the client
    connects to the address (stage 3)."""
    if is_ip_address(request.host):
        dns = f"{request.host}: an IP address, no DNS: the client connects to it ({ep.label})"
    else:
        addresses = ", ".join(ep.addresses) or "(no load-balancer address)"
        dns = f"{request.host}: public DNS assumed to point at {ep.label} {addresses}"
    pods = f"{ep.label}: pods {', '.join(ep.pods) or 'none'} ({'; '.join(ep.reasons)})"
    lead = Leg((Hop("dns", dns, (ep.label,)), Hop("entrypoint", pods, (ep.label,))))
    if provider_implements(cluster, source, ep, answer, request):
        lead = Leg(lead.hops[:1])  # the provider's load balancer is the entry point: no pods
    return lead + reach_entry_point(cluster, source, ep, request, answer, spec)


def source_resolv_conf(cluster: Cluster, source: Source) -> ResolvConf:
    """The resolv.conf of the source pod, else of a ClusterFirst pod in ``default``."""
    if source.pod is not None:
        return pod_resolv_conf(source.pod, cluster)
    return namespace_resolv_conf("default", cluster)


def search_names(cluster: Cluster, source: Source, name: str) -> list[str]:
    """The names the source's resolver asks for ``name``, in order (fully qualified)."""
    return [fqdn(c) for c in search_candidates(name, source_resolv_conf(cluster, source))]


def resolve_name(cluster: Cluster, source: Source, name: str, *, explain: bool = True) -> Resolved:
    """The ``dns`` hop of ``name`` from the source, and where it leads (module docstring).
    ``explain``: when it does not resolve, a ``service`` hop for each ExternalName Service with
    an IP address that the resolver tried (the reason the name the user meant fails)."""
    access = dns_access(cluster, source.pod) if source.pod is not None else None
    if access is not None and len(access.denied) == len(DNS_PROTOCOLS):
        return Resolved(Leg((dns_denied_hop(name, source, access),), drop=DNS_DENIED))
    resolved = _resolve(cluster, source, name, explain)
    notes = dns_notes(cluster, source.pod, source_resolv_conf(cluster, source), access)
    return replace(resolved, leg=resolved.leg + Leg(notes=notes)) if notes else resolved


def dns_denied_hop(name: str, source: Source, access: DnsAccess) -> Hop:
    """The ``dns`` hop of a pod whose queries never reach the cluster DNS."""
    detail = (
        f"{name}: DNS denied: {source.label} may send no query to the cluster DNS "
        f"({', '.join(access.servers)}) on UDP 53 or TCP 53: {access.reason}"
    )
    return Hop("dns", detail, access.objects)


def _resolve(cluster: Cluster, source: Source, name: str, explain: bool) -> Resolved:
    conf = source_resolv_conf(cluster, source)
    qtype = "AAAA" if source.family == 6 else "A"
    res = resolve(build_zone(cluster), conf, cluster.dns_ip, name, qtype)
    objects = tuple(dict.fromkeys(o for r in res.answers for o in r.objects))
    tried = " -> ".join(res.tried)
    if res.upstream and (res.upstream_name or "").count(".") == 1 and not res.answers:
        detail = (
            f"{name}: tried {tried}; only the single label {res.upstream_name} is left for "
            "upstream DNS, which has no such host (assumed)"
        )
        return _unresolved(cluster, source, name, Hop("dns", detail, objects), explain)
    if res.upstream:
        cnames = "".join(f"{r.name} CNAME {r.data}; " for r in res.answers if r.type == "CNAME")
        detail = (
            f"{name}: tried {tried}; {cnames}{res.upstream_name} forwarded upstream "
            "(address not modelled)"
        )
        alias = next(
            (s for s in cluster.services if s.external_name is not None and str(s.ref) in objects),
            None,
        )
        hop = Hop("dns", detail, objects)
        return Resolved(Leg((hop,)), upstream=res.upstream_name, alias=alias)
    if not res.answers:
        hop = Hop("dns", f"{name}: {res.rcode} (tried {tried})", objects)
        return _unresolved(cluster, source, name, hop, explain)
    chain = ", ".join(f"{r.name} {r.type} {r.data}" for r in res.answers)
    hop = Hop("dns", f"{name}: {chain} (tried {tried})", objects)
    return Resolved(Leg((hop,)), addresses=tuple(res.addresses()))


def _unresolved(cluster: Cluster, source: Source, name: str, hop: Hop, explain: bool) -> Resolved:
    aliases = _ip_aliases(cluster, source, name) if explain else ()
    hops = [hop] + [
        Hop("service", IP_NOT_RESOLVED.format(service=s.key, ip=s.external_name), (str(s.ref),))
        for s in aliases
    ]
    return Resolved(Leg(tuple(hops), drop=NO_SUCH_NAME), unresolved=aliases)


def resolve_alias(cluster: Cluster, source: Source, service: Service) -> Resolved:
    """An ExternalName Service the client connects to by its name (module docstring)."""
    target = service.external_name or ""
    obj = (str(service.ref),)
    name = service_name(service, cluster.settings.cluster_domain)
    if is_ip(target):
        hops = (
            Hop("service", IP_NOT_RESOLVED.format(service=service.key, ip=target), obj),
            Hop("dns", f"{name}: NXDOMAIN (no record for an IP externalName)", obj),
        )
        return Resolved(Leg(hops, drop=NO_SUCH_NAME), unresolved=(service,))
    lead = Hop(
        "service", f"{service.key} is ExternalName: DNS alias {name} CNAME {fqdn(target)}", obj
    )
    res = resolve_name(cluster, source, name, explain=False)
    leg = Leg((lead, *res.leg.hops), drop=res.leg.drop)
    return Resolved(leg, res.addresses, res.upstream, service if res.upstream else None)


def _ip_aliases(cluster: Cluster, source: Source, name: str) -> tuple[Service, ...]:
    """The ExternalName Services with an IP address among the names the resolver tried."""
    tried = set(search_names(cluster, source, name))
    zone = cluster.settings.cluster_domain
    return tuple(
        s
        for s in cluster.services
        if s.external_name is not None and is_ip(s.external_name) and service_name(s, zone) in tried
    )


def external_ports(service: Service | None, spec: PortSpec, what: str) -> list[int]:
    """The port(s) a client connects to outside the cluster: ``--port`` as a number, a named
    port of the ExternalName Service, else every Service port; a TraceError when none."""
    if isinstance(spec.port, int):
        return [spec.port]
    if service is None:
        raise TraceError(f"--port must be a number for {what}")
    ports = [
        p.port
        for p in service.ports
        if p.protocol is spec.protocol and (spec.port is None or p.name == spec.port)
    ]
    if not ports:
        raise TraceError(f"--port must be a number for {what} (Service {service.key})")
    return ports
