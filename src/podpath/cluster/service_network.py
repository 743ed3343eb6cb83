"""The Service network: ClusterIPs, ``default/kubernetes`` and the cluster DNS Service.

``spec.clusterIP(s)`` where given; ``default/kubernetes`` gets the first address of the
primary Service range and the cluster DNS Service the tenth, as kubeadm sets them; others the
lowest free addresses in Service order, one per family the Service has
(:mod:`podpath.cluster.service_cidrs`: ServiceCIDRs, ``ipFamilyPolicy``, ``ipFamilies``).
https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/
NodePorts and load-balancer addresses follow (:mod:`podpath.cluster.node_ports`,
:mod:`podpath.cluster.load_balancers`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import replace
from itertools import chain

from podpath.cluster.load_balancers import load_balancers
from podpath.cluster.node_ports import node_ports
from podpath.cluster.service_cidrs import (
    ServiceRanges,
    free_addresses,
    outside_ranges,
    service_families,
    service_ranges,
)
from podpath.cluster.settings import Settings
from podpath.errors import InputError
from podpath.model.core import Labels, Node, Note
from podpath.model.inventory import Inventory
from podpath.model.services import EndpointSlice, Service, ServicePort, SliceEndpoint, SlicePort

DNS_SERVICE_NAMES = ("kube-dns", "coredns", "rke2-coredns-rke2-coredns")
API_SERVER_PORT = 6443
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


def is_dns_service(svc: Service) -> bool:
    """The cluster DNS Service: kube-system's kube-dns (CoreDNS keeps that name) or one
    labelled ``k8s-app: kube-dns``."""
    return svc.namespace == "kube-system" and (
        svc.name in DNS_SERVICE_NAMES or svc.labels.get("k8s-app") == "kube-dns"
    )


def _api_server(
    services: list[Service], slices: list[EndpointSlice], nodes: tuple[Node, ...]
) -> None:
    """``default/kubernetes`` exists on every cluster; its endpoints are the API servers (the
    control-plane nodes, else the first node) on 6443."""
    if any(s.namespace == "default" and s.name == "kubernetes" for s in services):
        return
    services.append(
        Service(
            namespace="default",
            name="kubernetes",
            ports=(ServicePort(443, API_SERVER_PORT, name="https"),),
            labels=Labels({"component": "apiserver", "provider": "kubernetes"}),
        )
    )
    control = [n for n in nodes if CONTROL_PLANE_LABEL in n.labels] or list(nodes[:1])
    slices.append(
        EndpointSlice(
            namespace="default",
            name="kubernetes",
            service_name="kubernetes",
            endpoints=tuple(SliceEndpoint((n.internal_ips[0],)) for n in control if n.internal_ips),
            ports=(SlicePort(API_SERVER_PORT, name="https"),),
        )
    )


def allocate_services(
    inventory: Inventory, nodes: tuple[Node, ...], settings: Settings, notes: list[Note]
) -> tuple[tuple[Service, ...], tuple[EndpointSlice, ...], str]:
    """Every Service with its ClusterIPs, NodePorts and load-balancer addresses, the
    EndpointSlices (with ``default/kubernetes``'s) and the cluster DNS Service's IP."""
    services = list(inventory.services)
    slices = list(inventory.endpoint_slices)
    _api_server(services, slices, nodes)
    services.sort(key=lambda s: (s.namespace, s.name))
    ranges = service_ranges(inventory, settings)
    primary = ranges.by_family[ranges.families[0]][0]
    base = int(primary.network_address)
    api_ip, dns_ip = str(ipaddress.ip_address(base + 1)), str(ipaddress.ip_address(base + 10))
    used = {ip for s in services for ip in s.cluster_ips}
    reserved = used | {api_ip, dns_ip}
    free: dict[int, Iterator[str]] = {
        family: chain.from_iterable(
            free_addresses(net, reserved, 2 if net == primary else 1) for net in nets
        )
        for family, nets in ranges.by_family.items()
    }
    out = []
    for svc in services:
        families, problems = service_families(svc, ranges)
        for problem in problems:
            notes.append(Note("error", "service-ip-family", problem, str(svc.ref), svc.source))
        for ip in outside_ranges(svc, ranges):
            notes.append(
                Note(
                    "warning",
                    "cluster-ip-outside-service-cidr",
                    f"clusterIP {ip} is inside no Service range ({ranges.origin})",
                    str(svc.ref),
                    svc.source,
                )
            )
        if svc.external_name is None and not svc.headless:
            ips = _cluster_ips(svc, families, free, used, (api_ip, dns_ip), ranges)
            svc = replace(svc, cluster_ips=ips)
        out.append(replace(svc, ip_families=families) if families != svc.ip_families else svc)
    dns = next((s.cluster_ips[0] for s in out if is_dns_service(s) and s.cluster_ips), dns_ip)
    out = node_ports(out, settings, notes)
    out = load_balancers(out, settings, notes)
    return tuple(out), tuple(slices), dns


def _cluster_ips(
    svc: Service,
    families: tuple[int, ...],
    free: dict[int, Iterator[str]],
    used: set[str],
    well_known: tuple[str, str],
    ranges: ServiceRanges,
) -> tuple[str, ...]:
    """``spec.clusterIPs``: the given ones, and one address per family still without one, in
    the order of the Service's families (``default/kubernetes`` the first address of the
    primary range, the cluster DNS the tenth)."""
    api_ip, dns_ip = well_known
    have: dict[int, str] = {ipaddress.ip_address(ip).version: ip for ip in svc.cluster_ips}
    for family in families:
        if family in have:
            continue
        if (
            not have
            and svc.namespace == "default"
            and svc.name == "kubernetes"
            and api_ip not in used
        ):
            ip = api_ip
        elif not have and is_dns_service(svc) and dns_ip not in used:
            ip = dns_ip
        else:
            ip = next(free[family], "")
            if not ip:  # the API server: "failed to allocate a serviceIP: range is full"
                cidr = ", ".join(map(str, ranges.by_family[family]))
                raise InputError(
                    f"the service CIDR {cidr} has no address left for {svc.ref}",
                    field="--service-cidr",
                )
        used.add(ip)
        have[family] = ip
    order = [f for f in families if f in have] + [f for f in have if f not in families]
    return tuple(have[f] for f in order)
