"""IPv4 only: the data plane gives namespaces IPv4 addresses and leaves IPv6 out."""

from __future__ import annotations

import ipaddress


def is_v4(ip: str) -> bool:
    """``ip`` is an IPv4 address (anything else, or no address, is not)."""
    try:
        return ipaddress.ip_address(ip).version == 4
    except ValueError:
        return False


def first_v4(ips: tuple[str, ...]) -> str | None:
    """The first IPv4 address of ``ips``, if any."""
    return next((ip for ip in ips if is_v4(ip)), None)
