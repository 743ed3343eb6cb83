"""Cluster DNS: the records of the Kubernetes DNS-based service discovery specification.

Specification (schema 1.1.0): https://github.com/kubernetes/dns/blob/master/docs/specification.md
Implementation followed where the specification leaves room: CoreDNS's ``kubernetes`` plugin as
kubeadm configures it (``kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure;
fallthrough in-addr.arpa ip6.arpa }`` then ``forward . /etc/resolv.conf``).

Records (section numbers of the specification; ``coredns`` marks CoreDNS extensions, which the
specification's section 3 allows):

- 2.2  ``dns-version.<zone>. TXT "1.1.0"``.
- 2.3.1 A/AAAA ``<svc>.<ns>.svc.<zone>.`` -> each ClusterIP (A for IPv4, AAAA for IPv6).
- 2.3.2 SRV ``_<port>._<proto>.<svc>.<ns>.svc.<zone>.`` for each *named* Service port ->
  ``0 <weight> <port> <svc>.<ns>.svc.<zone>.``.
- 2.3.3 PTR of each ClusterIP -> ``<svc>.<ns>.svc.<zone>.``.
- 2.4.1 headless: A/AAAA ``<svc>.<ns>.svc.<zone>.`` -> each *ready* endpoint (none: NXDOMAIN),
  and ``<hostname>.<svc>.<ns>.svc.<zone>.`` -> the endpoint's IP.
- 2.4.2 headless SRV per named port and ready endpoint -> ``<hostname>.<svc>.<ns>.svc.<zone>.``;
  the port is the endpoint's (target) port, as CoreDNS answers from the EndpointSlice.
- 2.4.3 headless PTR of each ready endpoint IP -> ``<hostname>.<svc>.<ns>.svc.<zone>.``.
- 2.5  ExternalName: ``CNAME <externalName>.`` (an IP as externalName gets no record, as in
  CoreDNS).
- 2.6  pod records ``a-b-c-d.<ns>.pod.<zone>.`` (deprecated but required): with ``pods
  insecure`` any address-shaped name in an existing namespace answers, pod or not.

The _hostname_ of an endpoint is its ``hostname`` (a pod's ``spec.hostname`` when its
``spec.subdomain`` names the Service), else -- the specification leaves the identifier to the
implementation -- CoreDNS's: the IP with ``.`` (or ``:``) replaced by ``-``.

SRV priority and weight (RFC 2782; values not prescribed): CoreDNS gives priority 0 and weight
``floor(100 / n)`` (at least 1) for the n entries of the answer; a ClusterIP Service's named
port is answered with weight 100.

CoreDNS extensions listed too (rule ``coredns``): endpoint names ``<hostname>.<svc>...`` and
endpoint PTRs for Services *with* a ClusterIP (CoreDNS answers endpoint queries and reverse
lookups for every Service), and SRV at the bare Service name for all its ports.

Only *ready* endpoints get records (``Endpoint.ready``: the pod's readiness, or forced by
``publishNotReadyAddresses``). All comparisons are case-insensitive: names are lower-cased.

A/AAAA, endpoint-name and PTR records come from the Service's addresses regardless of ports
(``cluster.addresses``): a headless Service without ports, or a pod that resolves none of the
Service's named ports, is published in an EndpointSlice without ports and CoreDNS answers it
(:mod:`podpath.engine.services`). SRV records, which carry a port, come from the per-port
endpoints (``cluster.endpoints``).
"""

from __future__ import annotations

import functools
import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from podpath.cluster import Cluster
from podpath.model.services import Endpoint, PortEndpoints, Service, ServicePort

SCHEMA_VERSION = "1.1.0"
RECORD_TYPES = ("A", "AAAA", "SRV", "CNAME", "PTR", "TXT")
REVERSE_ZONES = ("in-addr.arpa.", "ip6.arpa.")
MAX_CNAME_CHAIN = 8  # CoreDNS stops following a CNAME chain after 8 records

NOERROR = "NOERROR"
NXDOMAIN = "NXDOMAIN"
FORWARDED = "FORWARDED"


@dataclass(frozen=True, slots=True)
class Record:
    """One resource record: owner name (lower case, fully qualified), type, data (the text
    ``dig`` shows), the objects it comes from and the rule that makes it exist."""

    name: str
    type: str
    data: str
    objects: tuple[str, ...] = ()
    rule: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "data": self.data,
            "objects": list(self.objects),
        }


def fqdn(name: str) -> str:
    """A name in canonical form: lower case with one trailing dot (case-insensitive spec)."""
    return name.strip().rstrip(".").lower() + "."


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=1 << 17)  # a zone asks about each address many times
def reverse_name(ip: str) -> str:
    """``d.c.b.a.in-addr.arpa.`` (IPv4) or the nibble form under ``ip6.arpa.`` (RFC 3596)."""
    return ipaddress.ip_address(ip).reverse_pointer + "."


@functools.lru_cache(maxsize=1 << 17)
def address_type(ip: str) -> str:
    """``A`` for an IPv4 address, ``AAAA`` for IPv6."""
    return "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"


def service_name(service: Service, zone: str) -> str:
    """``<service>.<ns>.svc.<zone>.`` (spec 2.3)."""
    return fqdn(f"{service.name}.{service.namespace}.svc.{zone}")


def endpoint_hostname(endpoint: Endpoint) -> str:
    """The endpoint's _hostname_ (spec 2.1): its ``hostname``, else CoreDNS's dashed IP."""
    if endpoint.hostname:
        return endpoint.hostname.lower()
    return endpoint.ip.replace(".", "-").replace(":", "-")


def pod_record_label(ip: str) -> str:
    """The first label of a pod record (spec 2.6): ``10-244-1-5`` (IPv6: ``:`` -> ``-``)."""
    return ip.replace(".", "-").replace(":", "-")


def srv_weight(entries: int) -> int:
    """CoreDNS's SRV weight: ``floor(100 / entries)``, at least 1 (``plugin/backend_lookup.go``)."""
    return max(1, 100 // max(1, entries))


def srv_label(port: ServicePort) -> str:
    """``_<port>._<proto>`` (spec 2.3.2): the port's name and its protocol, lower case."""
    return f"_{(port.name or '').lower()}._{port.protocol.value.lower()}"


def ready_endpoints(port_endpoints: Iterable[PortEndpoints]) -> list[Endpoint]:
    """The ready endpoints of a Service, one per IP (an endpoint is listed once per port)."""
    return ready_addresses(ep for pe in port_endpoints for ep in pe.endpoints)


def ready_addresses(addresses: Iterable[Endpoint]) -> list[Endpoint]:
    """The ready addresses, one per IP (the first listed), in address order."""
    seen: dict[str, Endpoint] = {}
    for ep in addresses:
        if ep.ready and ep.ip not in seen:
            seen[ep.ip] = ep
    return [seen[ip] for ip in sorted(seen, key=_ip_key)]


@functools.lru_cache(maxsize=1 << 17)
def _ip_key(ip: str) -> tuple[int, int]:
    addr = ipaddress.ip_address(ip)
    return addr.version, int(addr)


def external_name_records(service: Service, zone: str) -> list[Record]:
    """Spec 2.5: ``<svc>.<ns>.svc.<zone>. CNAME <externalName>.`` (none for an IP)."""
    target = service.external_name or ""
    if not target or is_ip(target):
        return []
    return [Record(service_name(service, zone), "CNAME", fqdn(target), (str(service.ref),), "2.5")]


def cluster_ip_records(
    service: Service, ports: Sequence[PortEndpoints], addresses: Sequence[Endpoint], zone: str
) -> list[Record]:
    """Spec 2.3: A/AAAA and PTR per ClusterIP, SRV per named port (target: the Service name);
    the endpoints' names and PTRs from ``addresses`` (CoreDNS extension)."""
    name = service_name(service, zone)
    obj = (str(service.ref),)
    out = [Record(name, address_type(ip), ip, obj, "2.3.1") for ip in service.cluster_ips]
    out += [Record(reverse_name(ip), "PTR", name, obj, "2.3.3") for ip in service.cluster_ips]
    weight = srv_weight(len(service.cluster_ips))
    for port in service.ports:
        data = f"0 {weight} {port.port} {name}"
        if port.name:
            out.append(Record(f"{srv_label(port)}.{name}", "SRV", data, obj, "2.3.2"))
    bare = srv_weight(len(service.ports) * len(service.cluster_ips))
    out += [
        Record(name, "SRV", f"0 {bare} {p.port} {name}", obj, "coredns: SRV at the Service name")
        for p in service.ports
    ]
    out += _endpoint_names(service, addresses, zone, headless=False)
    return out


def headless_records(
    service: Service, ports: Sequence[PortEndpoints], addresses: Sequence[Endpoint], zone: str
) -> list[Record]:
    """Spec 2.4: A/AAAA per ready address, hostname A/AAAA and PTR (from the addresses, ports or
    not), SRV per named port and ready endpoint (the endpoint's port, from ``ports``)."""
    name = service_name(service, zone)
    out = []
    for ep in ready_addresses(addresses):
        objects = (str(service.ref),) + ((f"Pod/{ep.pod}",) if ep.pod else ())
        out.append(Record(name, address_type(ep.ip), ep.ip, objects, "2.4.1"))
    out += _endpoint_names(service, addresses, zone, headless=True)
    for pe in ports:
        ready = [ep for ep in pe.endpoints if ep.ready]
        port = pe.service_port
        weight = srv_weight(len(ready))
        bare = srv_weight(sum(len([e for e in p.endpoints if e.ready]) for p in ports))
        for ep in ready:
            target = f"{endpoint_hostname(ep)}.{name}"
            objects = (str(service.ref),) + ((f"Pod/{ep.pod}",) if ep.pod else ())
            if port.name:
                data = f"0 {weight} {ep.port} {target}"
                out.append(Record(f"{srv_label(port)}.{name}", "SRV", data, objects, "2.4.2"))
            if service.ports:
                data = f"0 {bare} {ep.port} {target}"
                out.append(Record(name, "SRV", data, objects, "coredns: SRV at the Service name"))
    return out


def _endpoint_names(
    service: Service, addresses: Sequence[Endpoint], zone: str, *, headless: bool
) -> list[Record]:
    """``<hostname>.<svc>.<ns>.svc.<zone>.`` A/AAAA and the endpoint's PTR (spec 2.4.1/2.4.3 for
    headless Services; a CoreDNS extension for the others)."""
    name = service_name(service, zone)
    out = []
    for ep in ready_addresses(addresses):
        target = f"{endpoint_hostname(ep)}.{name}"
        objects = (str(service.ref),) + ((f"Pod/{ep.pod}",) if ep.pod else ())
        rule_a = "2.4.1" if headless else "coredns: endpoint name of a ClusterIP Service"
        rule_ptr = "2.4.3" if headless else "coredns: endpoint PTR of a ClusterIP Service"
        out.append(Record(target, address_type(ep.ip), ep.ip, objects, rule_a))
        out.append(Record(reverse_name(ep.ip), "PTR", target, objects, rule_ptr))
    return out


def service_records(service: Service, cluster: Cluster) -> list[Record]:
    """Every record a Service contributes (spec 2.3, 2.4 or 2.5 by its kind)."""
    zone = cluster.settings.cluster_domain
    if service.external_name is not None:
        return external_name_records(service, zone)
    ports = cluster.endpoints.get(service.key, ())
    addresses = cluster.addresses.get(service.key, ())
    if service.headless or not service.cluster_ips:
        return headless_records(service, ports, addresses, zone)
    return cluster_ip_records(service, ports, addresses, zone)


def pod_records(cluster: Cluster) -> list[Record]:
    """Spec 2.6 for every pod with its own IP (host-network pods share the node's)."""
    zone = cluster.settings.cluster_domain
    out = []
    for pod in cluster.pods:
        if pod.host_network:
            continue
        for ip in pod.ips:
            name = fqdn(f"{pod_record_label(ip)}.{pod.namespace}.pod.{zone}")
            out.append(Record(name, address_type(ip), ip, (str(pod.ref),), "2.6"))
    return out


def zone_records(cluster: Cluster) -> tuple[Record, ...]:
    """All records of the cluster zone and its reverse zones, sorted and de-duplicated (PTRs
    keep the ClusterIP's record when an IP is both, as CoreDNS checks Services first)."""
    zone = cluster.settings.cluster_domain
    records: list[Record] = [
        Record(fqdn(f"dns-version.{zone}"), "TXT", f'"{SCHEMA_VERSION}"', (), "2.2")
    ]
    for svc in cluster.services:
        records += service_records(svc, cluster)
    records += pod_records(cluster)
    cluster_ptrs = {r.name for r in records if r.type == "PTR" and r.rule == "2.3.3"}
    unique: dict[tuple[str, str, str], Record] = {}
    for rec in records:
        if rec.type == "PTR" and rec.rule != "2.3.3" and rec.name in cluster_ptrs:
            continue
        unique.setdefault((rec.name, rec.type, rec.data), rec)
    return tuple(sorted(unique.values(), key=lambda r: (r.name, r.type, r.data)))


@dataclass(frozen=True)
class Zone:
    """The authoritative data CoreDNS serves: records by (name, type), the names that exist
    (with records of some type, or as namespace/zone structure), and the namespaces."""

    domain: str
    records: dict[tuple[str, str], tuple[Record, ...]]
    names: frozenset[str]
    namespaces: frozenset[str]


def build_zone(cluster: Cluster, records: Sequence[Record] | None = None) -> Zone:
    """Index :func:`zone_records`; namespaces give ``<ns>.svc`` and ``<ns>.pod`` names that
    exist without records (CoreDNS answers NODATA for them)."""
    domain = fqdn(cluster.settings.cluster_domain)
    recs = zone_records(cluster) if records is None else records
    by_key: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for rec in recs:
        by_key[(rec.name, rec.type)].append(rec)
    namespaces = (
        frozenset(n.lower() for n in cluster.namespace_by_name)
        | {p.namespace.lower() for p in cluster.pods}
        | {s.namespace.lower() for s in cluster.services}
    )
    names = {domain, f"svc.{domain}", f"pod.{domain}"}
    names |= {f"{ns}.svc.{domain}" for ns in namespaces} | {
        f"{ns}.pod.{domain}" for ns in namespaces
    }
    names |= {rec.name for rec in recs}
    return Zone(domain, {k: tuple(v) for k, v in by_key.items()}, frozenset(names), namespaces)
