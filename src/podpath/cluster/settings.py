"""Cluster-wide parameters the manifests do not carry (the CLI flags), and their CIDRs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from podpath.errors import InputError


@dataclass(frozen=True, slots=True)
class Settings:
    """Cluster-wide parameters the manifests do not carry (CLI flags)."""

    pod_cidr: str = "10.244.0.0/16"
    node_cidr_mask: int = 24
    node_cidr_mask_v6: int = 64  # kube-controller-manager --node-cidr-mask-size-ipv6
    service_cidr: str = "10.96.0.0/12"
    cluster_domain: str = "cluster.local"
    lb_pool: str = "172.18.255.200-172.18.255.250"
    node_port_range: tuple[int, int] = (30000, 32767)
    upstream_dns: str = "172.18.0.1"


def parse_cidr(text: str, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR flag (``what`` names it in the error) as a network; host bits are allowed."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InputError(f"invalid CIDR {text!r}", field=what) from None


def parse_cidrs(text: str, what: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A dual-stack CIDR flag: one CIDR per IP family, comma-separated, the primary family
    first (kube-apiserver ``--service-cluster-ip-range=<IPv4 CIDR>,<IPv6 CIDR>``,
    kube-controller-manager ``--cluster-cidr``;
    https://kubernetes.io/docs/concepts/services-networking/dual-stack/#configure-ipv4-ipv6-dual-stack)."""
    nets = tuple(parse_cidr(part.strip(), what) for part in text.split(","))
    if len({n.version for n in nets}) != len(nets):
        raise InputError(f"{text!r}: give at most one CIDR per IP family", field=what)
    return nets
