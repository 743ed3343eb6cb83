"""IP families in the data plane: which addresses of the model each family brings up.

Dual stack as Kubernetes models it (https://kubernetes.io/docs/concepts/services-networking/dual-stack/):
a pod has one address per family, a Service one ClusterIP per family of ``ipFamilies``, and
a connection is of one family. The data plane builds IPv4 always and IPv6 where the kernel
allows it (:func:`podpath.dataplane.netns.ipv6_supported`); the `internet` client, the
synthetic DNS server and a provider's edge are IPv4 only (the model gives them no IPv6
address).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

LABEL = {4: "ipv4", 6: "ipv6"}


def family_of(ip: str) -> int | None:
    """4 or 6 for an address (a CIDR's network part counts), None for anything else."""
    try:
        return ipaddress.ip_address(ip.split("/")[0]).version
    except ValueError:
        return None


def is_v4(ip: str) -> bool:
    """``ip`` is an IPv4 address (anything else, or no address, is not)."""
    return family_of(ip) == 4


def is_v6(ip: str) -> bool:
    """``ip`` is an IPv6 address."""
    return family_of(ip) == 6


def first_of(ips: Iterable[str], family: int) -> str | None:
    """The first address of ``family`` among ``ips``, if any."""
    return next((ip for ip in ips if family_of(ip) == family), None)


def first_v4(ips: tuple[str, ...]) -> str | None:
    """The first IPv4 address of ``ips``, if any."""
    return first_of(ips, 4)
