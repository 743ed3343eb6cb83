"""Connections of one IP family on a dual-stack cluster.

A dual-stack pod has one address per family, and a connection carries one source and one
destination address of the same family
(https://kubernetes.io/docs/concepts/services-networking/dual-stack/). So for the
connections of one family (``trace --family``, ``matrix --family``):

- a pod takes part by its address of that family only, and a pod without one takes no part;
- an ipBlock (``NetworkPolicyPeer.ipBlock``) matches only addresses of its own family
  (https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#IPBlock),
  so it matches the pod's address of the connection's family;
- an admin ``networks`` peer (ClusterNetworkPolicy/AdminNetworkPolicy CIDRs,
  https://network-policy-api.sigs.k8s.io/reference/spec/) likewise: "0.0.0.0/0" matches
  IPv4 traffic, "::/0" IPv6 traffic.

Without a family every address of a pod counts (a pod matches when any of its addresses
does), which is what a single-stack cluster means anyway.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import replace

from podpath.model.core import Pod

#: ``--family`` values.
FAMILIES: dict[str, int] = {"ipv4": 4, "ipv6": 6}
FAMILY_NAMES: dict[int, str] = {4: "IPv4", 6: "IPv6"}


def family_ips(ips: Iterable[str], family: int | None) -> tuple[str, ...]:
    """The addresses of ``family`` (None: all of them)."""
    if family is None:
        return tuple(ips)
    return tuple(ip for ip in ips if ipaddress.ip_address(ip).version == family)


def pods_of_family(
    pods: Sequence[Pod], family: int | None
) -> tuple[tuple[Pod, ...], tuple[Pod, ...]]:
    """(the pods that take part in connections of ``family``, each with only its address of
    that family; the pods left out, without one). None: every pod as it is."""
    if family is None:
        return tuple(pods), ()
    kept: list[Pod] = []
    left: list[Pod] = []
    for pod in pods:
        ips = family_ips(pod.ips, family)
        if not ips:
            left.append(pod)
        else:
            kept.append(pod if len(ips) == len(pod.ips) else replace(pod, ips=ips))
    return tuple(kept), tuple(left)


def left_out_note(pods: Sequence[Pod], family: int | None, namespaces: Sequence[str] = ()) -> str:
    """What ``--family`` leaves out: ``--family ipv6: 2 pod(s) without an IPv6 address left
    out: x/a, x/b`` (the first five named), over the pods of ``namespaces`` (empty: all);
    ``""`` when nothing is."""
    if family is None:
        return ""
    left = [
        p.key
        for p in pods_of_family(pods, family)[1]
        if not namespaces or p.namespace in namespaces
    ]
    if not left:
        return ""
    shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    flag = next(k for k, v in FAMILIES.items() if v == family)
    return (
        f"--family {flag}: {len(left)} pod(s) without an {FAMILY_NAMES[family]} address left "
        f"out: {shown}"
    )
