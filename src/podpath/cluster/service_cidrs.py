"""Service IP ranges and families: ServiceCIDR objects or ``--service-cidr``, and each
Service's ``ipFamilyPolicy``/``ipFamilies``.

- Ranges: the ``networking.k8s.io/v1`` ServiceCIDR objects of the input when there are any
  (KEP-1880; the default one, ``kubernetes``, first, then by name), else ``--service-cidr`` (one
  CIDR per family, as kube-apiserver's ``--service-cluster-ip-range``). The primary family is
  the first range's. https://kubernetes.io/docs/reference/kubernetes-api/networking/service-cidr-v1/
- Families: the API server's defaulting of ``spec.ipFamilyPolicy`` and ``spec.ipFamilies``
  (:func:`service_families`), https://kubernetes.io/docs/concepts/services-networking/dual-stack/#services
- A ``spec.clusterIP(s)`` inside no range is reported (:func:`outside_ranges`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from podpath.cluster.settings import Settings, parse_cidrs
from podpath.model.inventory import Inventory
from podpath.model.services import Service, ServiceCIDR, ServiceType

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_SERVICE_CIDR = "kubernetes"  # the ServiceCIDR the API server makes from its flags
FAMILY_NAMES = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True, slots=True)
class ServiceRanges:
    """The ranges ClusterIPs come from, per family (in allocation order); ``families`` has the
    primary family first; ``origin`` names them (the ServiceCIDRs, or the flag)."""

    by_family: dict[int, tuple[Network, ...]]
    families: tuple[int, ...]
    origin: str

    @property
    def dual_stack(self) -> bool:
        return len(self.families) == 2

    def contains(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        return any(addr in net for net in self.by_family.get(addr.version, ()))


def service_ranges(inventory: Inventory, settings: Settings) -> ServiceRanges:
    """The ServiceCIDRs' ranges when the input has any (``kubernetes`` first, then by name),
    else ``--service-cidr``'s."""
    objects: list[ServiceCIDR] = sorted(
        inventory.of_kind("ServiceCIDR"), key=lambda c: (c.name != DEFAULT_SERVICE_CIDR, c.name)
    )
    if objects and any(c.cidrs for c in objects):
        nets = [ipaddress.ip_network(cidr) for c in objects for cidr in c.cidrs]
        origin = ", ".join(f"ServiceCIDR/{c.name}" for c in objects)
    else:
        nets = list(parse_cidrs(settings.service_cidr, "--service-cidr"))
        origin = f"--service-cidr {settings.service_cidr}"
    by_family: dict[int, list[Network]] = {}
    for net in nets:
        by_family.setdefault(net.version, []).append(net)
    return ServiceRanges({f: tuple(n) for f, n in by_family.items()}, tuple(by_family), origin)


def service_families(svc: Service, ranges: ServiceRanges) -> tuple[tuple[int, ...], list[str]]:
    """The families a Service gets (primary first) and what the API server would refuse.

    The API server's rules (ServiceSpec ``ipFamilyPolicy``/``ipFamilies``; dual-stack page):

    - ExternalName: no families;
    - ``ipFamilies`` unset: the families of ``spec.clusterIPs`` where given, else the cluster's
      primary family;
    - ``ipFamilyPolicy`` unset: RequireDualStack when two families are asked for (or a
      headless Service without selector on a dual-stack cluster), else SingleStack;
    - SingleStack: one family (two given is invalid); PreferDualStack: both on a dual-stack
      cluster, else one; RequireDualStack: both (refused on a single-stack cluster);
    - a family the cluster has no range of is refused.
    """
    if svc.type is ServiceType.EXTERNAL_NAME:
        return (), []
    problems: list[str] = []
    given = tuple(ipaddress.ip_address(ip).version for ip in svc.cluster_ips)
    families = svc.ip_families or given or ranges.families[:1]
    if svc.ip_families and given and given != svc.ip_families[: len(given)]:
        problems.append("spec.clusterIPs do not follow the order of spec.ipFamilies")
        families = given
    policy = svc.ip_family_policy
    if policy is None:
        headless_manual = svc.headless and svc.selector is None and ranges.dual_stack
        policy = "RequireDualStack" if len(families) == 2 or headless_manual else "SingleStack"
    if policy == "SingleStack" and len(families) == 2:
        problems.append("ipFamilyPolicy SingleStack allows one IP family, not two")
        families = families[:1]
    if policy != "SingleStack" and len(families) == 1 and ranges.dual_stack:
        families += tuple(f for f in ranges.families if f not in families)
    if policy == "RequireDualStack" and not ranges.dual_stack:
        problems.append(
            f"ipFamilyPolicy RequireDualStack needs a dual-stack cluster ({ranges.origin})"
        )
    missing = [f for f in families if f not in ranges.families and f not in given]
    for family in missing:
        problems.append(
            f"{FAMILY_NAMES[family]} is not configured on this cluster ({ranges.origin})"
        )
    return tuple(f for f in families if f not in missing), problems


def free_addresses(net: Network, used: set[str], start: int = 1) -> Iterator[str]:
    """Addresses of ``net`` from the ``start``-th host up, skipping ``used``."""
    base = int(net.network_address)
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    for value in range(base + start, last + 1):
        ip = str(ipaddress.ip_address(value))
        if ip not in used:
            yield ip


def outside_ranges(svc: Service, ranges: ServiceRanges) -> tuple[str, ...]:
    """The Service's given ClusterIPs inside none of the ranges: the API server allocates and
    validates ClusterIPs within the ServiceCIDRs (KEP-1880), so such an address belongs to a
    range since deleted, or the input's CIDRs are not the cluster's."""
    return tuple(ip for ip in svc.cluster_ips if not ranges.contains(ip))
