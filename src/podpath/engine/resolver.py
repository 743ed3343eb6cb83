"""Name resolution as a pod sees it: its resolv.conf, the glibc search rules, the cluster DNS.

1. :func:`pod_resolv_conf` -- what the kubelet writes into the pod's ``/etc/resolv.conf``
   (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy):

   - ``ClusterFirst`` (default): ``nameserver <cluster DNS>``, ``search <ns>.svc.<zone>
     svc.<zone> <zone>``, ``options ndots:5``. A host-network pod with ``ClusterFirst`` falls
     back to ``Default``.
   - ``ClusterFirstWithHostNet``: as ``ClusterFirst``, also for host-network pods.
   - ``Default``: the node's resolver configuration (podpath models it as ``nameserver
     <--upstream-dns>``, no search list, glibc's default ``ndots:1``).
   - ``None``: only ``dnsConfig``.
   - ``dnsConfig`` is then merged as the kubelet's ``appendDNSConfig`` does: nameservers and
     searches appended without duplicates, options overriding options of the same name; at
     most 3 nameservers are kept, and the search line is cut to the kubelet's limits (at most
     32 domains and 2048 characters, domains dropped from the end: see
     :func:`form_dns_search_fits_limits`).
   The node's own search domains (kubelet ``--resolv-conf``) are not known to podpath and are
   left out.

2. :func:`search_candidates` -- glibc ``res_nsearch``: a name ending in ``.`` is asked only as
   is; a name with at least ``ndots`` dots is asked as is first, then with each search domain;
   a name with fewer dots with each search domain first, then as is.

3. :func:`resolve` -- each candidate is asked, in order, of the first nameserver; the search
   stops at the first answer (NXDOMAIN and NODATA continue it, as in glibc). The cluster DNS
   (CoreDNS) answers names of the cluster zone and reverse names it knows; every other name is
   *forwarded upstream* (rcode ``FORWARDED``): podpath cannot know the answer and stops there,
   assuming the upstream answers. A pod whose first nameserver is not the cluster DNS has every
   name forwarded. A CNAME into the cluster zone is followed; one outside is forwarded.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from podpath.cluster import Cluster
from podpath.cluster.service_network import is_dns_service
from podpath.engine.dns import (
    FORWARDED,
    MAX_CNAME_CHAIN,
    NOERROR,
    NXDOMAIN,
    REVERSE_ZONES,
    Record,
    Zone,
    address_type,
    fqdn,
    is_ip,
    reverse_name,
)
from podpath.engine.services import service_selects_pod
from podpath.model.core import DNSPolicy, Labels, Pod

DEFAULT_NDOTS = 1  # glibc's default without an ndots option
CLUSTER_NDOTS = 5  # kubelet's default option for ClusterFirst pods
MAX_NDOTS = 15  # glibc caps ndots at RES_MAXNDOTS
MAX_NAMESERVERS = 3
MAX_SEARCHES = 32
MAX_SEARCH_CHARS = 2048  # kubelet: validation.MaxDNSSearchListChars
MAX_SEARCH_DOMAIN_CHARS = 253  # kubelet: utilvalidation.DNS1123SubdomainMaxLength
_POD_LABEL = re.compile(r"^[0-9a-f-]+$")


@dataclass(frozen=True, slots=True)
class ResolvConf:
    """A pod's ``/etc/resolv.conf`` and the dnsPolicy in effect (with why, in ``notes``)."""

    nameservers: tuple[str, ...]
    searches: tuple[str, ...]
    options: tuple[str, ...]
    policy: str
    notes: tuple[str, ...] = ()

    @property
    def ndots(self) -> int:
        value = DEFAULT_NDOTS
        for opt in self.options:
            if opt.startswith("ndots:"):
                try:
                    value = min(MAX_NDOTS, max(0, int(opt.split(":", 1)[1])))
                except ValueError:
                    continue
        return value

    def as_dict(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "nameservers": list(self.nameservers),
            "search": list(self.searches),
            "options": list(self.options),
        }


def cluster_searches(namespace: str, zone: str) -> tuple[str, ...]:
    """The kubelet's ClusterFirst search list: ``<ns>.svc.<zone> svc.<zone> <zone>``."""
    return (f"{namespace}.svc.{zone}", f"svc.{zone}", zone)


def effective_dns_policy(pod: Pod) -> tuple[DNSPolicy, str | None]:
    """The policy the kubelet applies: ClusterFirst on a host-network pod means Default."""
    if pod.dns_policy is DNSPolicy.CLUSTER_FIRST and pod.host_network:
        return (
            DNSPolicy.DEFAULT,
            "host-network pod with dnsPolicy ClusterFirst falls back to Default",
        )
    return pod.dns_policy, None


def _merge_options(base: Sequence[str], extra: Sequence[tuple[str, str | None]]) -> tuple[str, ...]:
    """kubelet ``mergeDNSOptions``: a dnsConfig option replaces a base option of the same name;
    it is written ``name:value``, or ``name`` alone when the value is absent *or empty*."""
    merged: dict[str, str] = {o.split(":", 1)[0]: o for o in base}
    for name, value in extra:
        merged[name] = f"{name}:{value}" if value else name
    return tuple(merged.values())


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def pod_resolv_conf(pod: Pod, cluster: Cluster) -> ResolvConf:
    """The resolv.conf the kubelet builds for ``pod`` (module docstring, part 1)."""
    policy, why = effective_dns_policy(pod)
    notes = [why] if why else []
    zone = cluster.settings.cluster_domain
    if policy in (DNSPolicy.CLUSTER_FIRST, DNSPolicy.CLUSTER_FIRST_WITH_HOST_NET):
        servers: tuple[str, ...] = (cluster.dns_ip,)
        searches = cluster_searches(pod.namespace, zone)
        options: tuple[str, ...] = (f"ndots:{CLUSTER_NDOTS}",)
    elif policy is DNSPolicy.DEFAULT:
        servers, searches, options = (cluster.settings.upstream_dns,), (), ()
        notes.append(
            f"the node's resolver is modelled as nameserver {cluster.settings.upstream_dns}"
        )
    else:
        servers, searches, options = (), (), ()
    cfg = pod.dns_config
    if cfg is not None:
        servers = _unique(servers + cfg.nameservers)
        searches = _unique(searches + tuple(s.rstrip(".") for s in cfg.searches))
        options = _merge_options(options, cfg.options)
    if len(servers) > MAX_NAMESERVERS:
        notes.append(f"kubelet keeps the first {MAX_NAMESERVERS} of {len(servers)} nameservers")
        servers = servers[:MAX_NAMESERVERS]
    searches, why_cut = form_dns_search_fits_limits(searches)
    notes.extend(why_cut)
    if not servers:
        notes.append("no nameserver: glibc then asks 127.0.0.1 in the pod")
        servers = ("127.0.0.1",)
    return ResolvConf(servers, searches, options, policy.value, tuple(notes))


def namespace_resolv_conf(namespace: str, cluster: Cluster) -> ResolvConf:
    """The resolv.conf of a ClusterFirst pod in ``namespace`` (the ``dns`` command's default)."""
    return pod_resolv_conf(Pod(namespace=namespace, name="(any)"), cluster)


def form_dns_search_fits_limits(searches: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """The search line the kubelet writes, and what it cut (kubelet ``formDNSSearchFitsLimits``,
    https://github.com/kubernetes/kubernetes/blob/master/pkg/kubelet/network/dns/dns.go):

    1. at most MAX_SEARCHES (32) domains: the first 32 are kept;
    2. a domain longer than 253 characters (a DNS-1123 subdomain's limit; glibc 2.28 aborts
       on longer ones) is dropped;
    3. if the line (domains joined by spaces) is longer than MAX_SEARCH_CHARS (2048),
       domains are dropped from the end until it fits.
    """
    kept = list(searches)
    notes: list[str] = []
    if len(kept) > MAX_SEARCHES:
        notes.append(f"kubelet keeps the first {MAX_SEARCHES} of {len(kept)} search domains")
        kept = kept[:MAX_SEARCHES]
    long = [d for d in kept if len(d) > MAX_SEARCH_DOMAIN_CHARS]
    if long:
        notes.append(
            f"kubelet drops {len(long)} search domain(s) longer than "
            f"{MAX_SEARCH_DOMAIN_CHARS} characters"
        )
        kept = [d for d in kept if len(d) <= MAX_SEARCH_DOMAIN_CHARS]
    length = len(" ".join(kept))
    if length > MAX_SEARCH_CHARS:
        cut = 0
        while kept and length > MAX_SEARCH_CHARS:
            length -= len(kept.pop()) + 1
            cut += 1
        notes.append(
            f"kubelet drops the last {cut} search domain(s): the search line is at most "
            f"{MAX_SEARCH_CHARS} characters"
        )
    return tuple(kept), notes


def search_candidates(name: str, conf: ResolvConf) -> list[str]:
    """The names glibc asks, in order, for ``name`` (module docstring, part 2)."""
    text = name.strip()
    if text.endswith("."):
        return [fqdn(text)]
    dots = text.count(".")
    as_is = fqdn(text)
    searched = [fqdn(f"{text}.{domain}") for domain in conf.searches]
    ordered = [as_is, *searched] if dots >= conf.ndots else [*searched, as_is]
    return list(dict.fromkeys(ordered))


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one question: rcode, records, and the name forwarded upstream if any."""

    rcode: str
    records: tuple[Record, ...] = ()
    upstream_name: str | None = None


def in_zone(name: str, domain: str) -> bool:
    return name == domain or name.endswith("." + domain)


def lookup(zone: Zone, name: str, qtype: str, *, depth: int = 0) -> Answer:
    """What the cluster DNS answers for one question (CoreDNS ``kubernetes`` plugin, then
    ``forward`` for names outside the cluster zone and unknown reverse names)."""
    name = fqdn(name)
    if any(in_zone(name, z) for z in REVERSE_ZONES):
        found = zone.records.get((name, qtype), ())
        return Answer(NOERROR, found) if found else Answer(FORWARDED, (), name)
    if not in_zone(name, zone.domain):
        return Answer(FORWARDED, (), name)
    found = zone.records.get((name, qtype), ())
    if found:
        return Answer(NOERROR, found)
    cname = zone.records.get((name, "CNAME"), ())
    if cname and qtype != "CNAME":
        return _follow(zone, cname[0], qtype, depth)
    pod = _pod_record(zone, name, qtype)
    if pod is not None:
        return pod
    return Answer(NOERROR) if name in zone.names else Answer(NXDOMAIN)


def _follow(zone: Zone, cname: Record, qtype: str, depth: int) -> Answer:
    """A CNAME answer and its target: followed inside the cluster zone, else forwarded."""
    target = cname.data
    if depth + 1 >= MAX_CNAME_CHAIN or not in_zone(target, zone.domain):
        return Answer(FORWARDED, (cname,), target)
    rest = lookup(zone, target, qtype, depth=depth + 1)
    return Answer(rest.rcode, (cname, *rest.records), rest.upstream_name)


def _pod_record(zone: Zone, name: str, qtype: str) -> Answer | None:
    """Spec 2.6 with ``pods insecure``: ``<a-b-c-d>.<ns>.pod.<zone>`` answers the address in
    the name whenever the namespace exists (CoreDNS ``findPods``)."""
    labels = name[: -len(zone.domain) - 1].split(".")
    if len(labels) != 3 or labels[2] != "pod" or not _POD_LABEL.match(labels[0]):
        return None
    if labels[1] not in zone.namespaces:
        return Answer(NXDOMAIN)
    head = labels[0]
    ip = (
        head.replace("-", ".")
        if head.count("-") == 3 and "--" not in head
        else head.replace("-", ":")
    )
    if not is_ip(ip):
        return Answer(NXDOMAIN)
    if address_type(ip) != qtype:
        return Answer(NOERROR)
    rule = "2.6 (pods insecure)"
    return Answer(NOERROR, (Record(name, qtype, ip, (), rule),))


@dataclass(frozen=True, slots=True)
class Resolution:
    """A resolver's walk through its candidates: what it asked, and the answer it kept."""

    query: str
    type: str
    rcode: str
    tried: tuple[str, ...]
    answers: tuple[Record, ...]
    upstream_name: str | None
    conf: ResolvConf

    @property
    def upstream(self) -> bool:
        return self.rcode == FORWARDED

    def addresses(self) -> list[str]:
        return [r.data for r in self.answers if r.type in ("A", "AAAA")]


def question_name(name: str, qtype: str) -> tuple[str, bool]:
    """The name to ask and whether it is absolute: an IP asked for PTR becomes its reverse
    name (``in-addr.arpa.`` / ``ip6.arpa.``)."""
    if qtype == "PTR" and is_ip(name.strip()):
        return reverse_name(name.strip()), True
    return name, name.strip().endswith(".")


def resolve(
    zone: Zone, conf: ResolvConf, cluster_dns: str, name: str, qtype: str = "A"
) -> Resolution:
    """Resolve ``name`` as glibc in a pod with ``conf`` would (module docstring, part 3)."""
    asked, _ = question_name(name, qtype)
    candidates = search_candidates(asked, conf)
    via_cluster = conf.nameservers[:1] == (cluster_dns,)
    tried: list[str] = []
    nodata = False
    for candidate in candidates:
        tried.append(candidate)
        if not via_cluster:
            return Resolution(name, qtype, FORWARDED, tuple(tried), (), candidate, conf)
        answer = lookup(zone, candidate, qtype)
        if answer.rcode == FORWARDED or answer.records:
            return Resolution(
                name, qtype, answer.rcode, tuple(tried), answer.records, answer.upstream_name, conf
            )
        nodata = nodata or answer.rcode == NOERROR
    return Resolution(name, qtype, NOERROR if nodata else NXDOMAIN, tuple(tried), (), None, conf)


ASSUMED_DNS_NAME = "coredns (assumed)"


def dns_pods(cluster: Cluster) -> tuple[tuple[Pod, ...], bool]:
    """The pods behind the cluster DNS Service, else an assumed CoreDNS pod (second: assumed)."""
    services = [s for s in cluster.services if is_dns_service(s)]
    found = tuple(p for p in cluster.pods if any(service_selects_pod(s, p) for s in services))
    if found:
        return found, False
    net = ipaddress.ip_network(cluster.settings.pod_cidr.split(",")[0].strip(), strict=False)
    ip = str(net.broadcast_address - 1)
    stand_in = Pod(
        namespace="kube-system",
        name=ASSUMED_DNS_NAME,
        labels=Labels({"k8s-app": "kube-dns"}),
        ips=(ip,),
        ip_origin="ipam",
    )
    return (stand_in,), True


def uses_cluster_dns(pod: Pod) -> bool:
    policy, _ = effective_dns_policy(pod)
    return policy in (DNSPolicy.CLUSTER_FIRST, DNSPolicy.CLUSTER_FIRST_WITH_HOST_NET)
