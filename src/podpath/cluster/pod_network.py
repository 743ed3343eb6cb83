"""The pod network: node pod CIDRs, placement of unscheduled pods, and pod IPs (IPAM).

- Pod network: ``status.podIP(s)`` where given; host-network pods take their node's IPs;
  otherwise each node's ``spec.podCIDR(s)`` (else the node's /24 of ``pod_cidr`` in node
  order, as kube-controller-manager's range allocator hands them out) and addresses from
  ``.2`` up in pod order, one address per family (dual stack: "a single IPv4 and IPv6 address
  assignment per Pod", https://kubernetes.io/docs/concepts/services-networking/dual-stack/).
  Pods without ``nodeName`` are spread round-robin, in pod order, over the nodes their
  nodeSelector and tolerations allow (:mod:`podpath.engine.scheduling`).
  https://kubernetes.io/docs/concepts/cluster-administration/networking/
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from podpath.cluster.settings import Settings, parse_cidrs
from podpath.engine.scheduling import pod_fits_node
from podpath.errors import InputError
from podpath.model.core import Labels, Node, Note, Pod, Toleration


def node_cidrs(nodes: tuple[Node, ...], settings: Settings) -> tuple[Node, ...]:
    """Give every node without ``podCIDR`` its /24 (``node_cidr_mask``; /64 for an IPv6 pod
    CIDR, ``node_cidr_mask_v6``) of each pod CIDR -- one per family on a dual-stack cluster
    (``--pod-cidr`` as kube-controller-manager's ``--cluster-cidr=<IPv4>,<IPv6>``, each node's
    ``spec.podCIDRs`` one per family) -- as kube-controller-manager's defaults do."""
    pod_nets = parse_cidrs(settings.pod_cidr, "--pod-cidr")
    taken = {c for n in nodes for c in n.pod_cidrs}
    frees = []
    for pod_net in pod_nets:
        mask = settings.node_cidr_mask if pod_net.version == 4 else settings.node_cidr_mask_v6
        if mask < pod_net.prefixlen:
            raise InputError("node CIDR mask is shorter than the pod CIDR", field="--pod-cidr")
        subnets = (str(s) for s in pod_net.subnets(new_prefix=mask) if str(s) not in taken)
        frees.append((pod_net, mask, subnets))
    out = []
    for node in nodes:
        if node.pod_cidrs:
            out.append(node)
            continue
        cidrs = []
        for pod_net, mask, free in frees:
            cidr = next(free, None)
            if cidr is None:
                raise InputError(
                    f"pod CIDR {pod_net} has no /{mask} left for node "
                    f"{node.name} ({len(nodes)} nodes); pass a larger --pod-cidr",
                    field="--pod-cidr",
                )
            cidrs.append(cidr)
        out.append(replace(node, pod_cidrs=tuple(cidrs)))
    return tuple(out)


def place_and_address(
    pods: tuple[Pod, ...], nodes: tuple[Node, ...], notes: list[Note]
) -> tuple[Pod, ...]:
    """Placement (nodeName, else round-robin) and IPAM from each node's pod CIDRs."""
    node_by_name = {n.name: n for n in nodes}
    used: set[str] = {ip for p in pods for ip in p.ips}
    cursors: dict[tuple[str, str], Iterator[str]] = {}
    # pod_fits_node reads only the pod's nodeSelector and tolerations: one list per pair
    eligible_by: dict[tuple[Labels, tuple[Toleration, ...]], list[Node]] = {}
    rr = 0
    out = []
    for pod in pods:  # already sorted by (namespace, name)
        changes: dict[str, Any] = {}  # applied at once: one copy of the pod
        node_name = pod.node_name
        if node_name is None or node_name not in node_by_name:
            constraints = (pod.node_selector, pod.tolerations)
            eligible = eligible_by.get(constraints)
            if eligible is None:
                eligible = eligible_by[constraints] = [n for n in nodes if pod_fits_node(pod, n)]
            if not eligible:
                notes.append(
                    Note(
                        "warning",
                        "pod-unschedulable",
                        "no node matches its nodeSelector and tolerates the nodes' taints; "
                        "it stays Pending without an IP",
                        str(pod.ref),
                        pod.source,
                    )
                )
                out.append(replace(pod, node_name=None, phase="Pending", ready=False))
                continue
            chosen = eligible[rr % len(eligible)].name
            if pod.node_name is not None:
                notes.append(
                    Note(
                        "warning",
                        "unknown-node",
                        f"node {pod.node_name} is not declared; pod placed on {chosen}",
                        str(pod.ref),
                    )
                )
            changes["node_name"] = node_name = chosen
            rr += 1
        node = node_by_name[node_name or ""]
        if pod.host_network:
            changes["ips"], changes["ip_origin"] = node.internal_ips, "node"
        elif not pod.ips and pod.ip_origin == "ipam" and pod.phase == "Running":
            ips = []
            for cidr in node.pod_cidrs:
                cursor = cursors.setdefault((node.name, cidr), _hosts(cidr, used))
                ip = next(cursor, None)
                if ip is None:
                    raise InputError(
                        f"node {node.name}'s pod CIDR {cidr} is full", field="--pod-cidr"
                    )
                used.add(ip)
                ips.append(ip)
            changes["ips"] = tuple(ips)
        out.append(replace(pod, **changes) if changes else pod)
    return tuple(out)


def _hosts(cidr: str, used: set[str]) -> Iterator[str]:
    """Addresses of a node's pod CIDR from .2 up (.1 is the node's bridge/gateway)."""
    net = ipaddress.ip_network(cidr)
    first = int(net.network_address) + 2
    last = int(net.broadcast_address) - (1 if net.version == 4 else 0)
    for value in range(first, last + 1):
        ip = str(ipaddress.ip_address(value))
        if ip not in used:
            yield ip
