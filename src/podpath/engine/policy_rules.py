"""NetworkPolicy rules: which policies select and isolate a pod, and which rules' peers and
ports match a connection (networking.k8s.io/v1).

https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/ (NP_REF)
and https://kubernetes.io/docs/concepts/services-networking/network-policies/ (NP_DOCS).
Verdicts are assembled from these by :mod:`podpath.engine.policy`.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping

from podpath.cluster import Cluster
from podpath.engine.ip_family import family_ips
from podpath.engine.policy_verdict import (
    DEFAULT_ASSUMPTIONS,
    Assumptions,
    IPPeer,
    Peer,
    PodPeer,
    RuleRef,
)
from podpath.engine.selectors import selector_matches
from podpath.model.core import Pod, Protocol
from podpath.model.policy import Direction, IPBlock, NetworkPolicy, PolicyPeer, PolicyPort

NP_REF = "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/"
NP_DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"

# --- selection and isolation -------------------------------------------------------------


def policy_selects_pod(policy: NetworkPolicy, pod: Pod) -> bool:
    """``spec.podSelector`` selects pods of the policy's own namespace; an empty selector
    selects all of them (NetworkPolicySpec.podSelector, {NP_REF}#NetworkPolicySpec)."""
    return pod.namespace == policy.namespace and selector_matches(policy.pod_selector, pod.labels)


def is_policy_subject(pod: Pod, assumptions: Assumptions = DEFAULT_ASSUMPTIONS) -> bool:
    """Whether policies can apply to the pod at all: not to host-network pods under the
    ``host-network-as-node`` assumption (NP_DOCS, "NetworkPolicy and hostNetwork pods")."""
    return not (pod.host_network and assumptions.host_network_as_node)


def selecting_policies(
    cluster: Cluster,
    pod: Pod,
    direction: Direction,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> tuple[NetworkPolicy, ...]:
    """The policies that isolate ``pod`` for ``direction``: they select it and list the
    direction in ``policyTypes`` (defaulted at loading: Ingress, plus Egress when egress rules
    exist). NP_DOCS "The two sorts of pod isolation"; NetworkPolicySpec.policyTypes."""
    if not is_policy_subject(pod, assumptions):
        return ()
    memo = cluster.selection_memo
    key = ("network-policy", pod.namespace, pod.labels, direction)  # all selection reads
    found = memo.get(key)
    if found is None:
        found = memo[key] = tuple(
            p
            for p in _policies_in(cluster, pod.namespace)
            if direction in p.policy_types and policy_selects_pod(p, pod)
        )
    return found


def is_isolated(
    cluster: Cluster,
    pod: Pod,
    direction: Direction,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> bool:
    """A pod is isolated for a direction when some policy selecting it has that type."""
    return bool(selecting_policies(cluster, pod, direction, assumptions))


def _policies_in(cluster: Cluster, namespace: str) -> tuple[NetworkPolicy, ...]:
    """The policies of a namespace, in cluster order."""
    return cluster.policies_by_namespace.get(namespace, ())


# --- peers and ports ---------------------------------------------------------------------


def ip_block_matches(block: IPBlock, ip: str) -> bool:
    """``ipBlock``: the address is inside ``cidr`` and inside none of ``except`` (IPv4 and
    IPv6; an address of the other family never matches). {NP_REF}#IPBlock"""
    addr = address(ip)
    net = network(block.cidr)
    if addr.version != net.version or addr not in net:
        return False
    return not any(addr in network(ex) for ex in block.except_)


@functools.lru_cache(maxsize=1 << 16)
def address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``ipaddress.ip_address``, parsed once per address (the values are immutable)."""
    return ipaddress.ip_address(ip)


@functools.lru_cache(maxsize=1 << 12)
def network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """``ipaddress.ip_network(cidr, strict=False)``, parsed once per CIDR."""
    return ipaddress.ip_network(cidr, strict=False)


def namespace_labels_of(cluster: Cluster, namespace: str) -> Mapping[str, str]:
    """A namespace's labels (read only: the namespace's own immutable map, not a copy); a
    namespace the input does not hold carries only ``kubernetes.io/metadata.name``."""
    ns = cluster.namespace_by_name.get(namespace)
    if ns is not None:
        return ns.labels
    return {"kubernetes.io/metadata.name": namespace}


def peer_matches_pod(
    cluster: Cluster,
    policy: NetworkPolicy,
    peer: PolicyPeer,
    pod: Pod,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
    family: int | None = None,
) -> bool:
    """A NetworkPolicyPeer against a pod ({NP_REF}#NetworkPolicyPeer):

    - ``podSelector`` only: pods of the policy's namespace it selects;
    - ``namespaceSelector`` only: every pod of the namespaces it selects;
    - both: the pods ``podSelector`` selects within the namespaces ``namespaceSelector``
      selects (AND); empty selectors select everything of their scope;
    - ``ipBlock``: the pod's IPs (assumption ``ipblock-matches-pod-ips``; a host-network pod
      under ``host-network-as-node`` is its node's IP, which ipBlock matches); with
      ``family`` (a connection of one IP family, dual stack) only the pod's address of that
      family: a connection carries one source and one destination address.
    """
    as_node = pod.host_network and assumptions.host_network_as_node
    if peer.ip_block is not None:
        if not (assumptions.ipblock_matches_pod_ips or as_node):
            return False
        return any(ip_block_matches(peer.ip_block, ip) for ip in family_ips(pod.ips, family))
    if as_node:
        return False
    if peer.namespace_selector is None:
        if pod.namespace != policy.namespace:
            return False
    elif not selector_matches(peer.namespace_selector, namespace_labels_of(cluster, pod.namespace)):
        return False
    return peer.pod_selector is None or selector_matches(peer.pod_selector, pod.labels)


def peer_matches_ip(peer: PolicyPeer, ip: str) -> bool:
    """A NetworkPolicyPeer against an address that is no pod's: only ``ipBlock`` can match
    (selectors select pods). {NP_REF}#NetworkPolicyPeer"""
    return peer.ip_block is not None and ip_block_matches(peer.ip_block, ip)


def port_matches(rule_port: PolicyPort, port: int, protocol: Protocol, dst_pod: Pod | None) -> bool:
    """A NetworkPolicyPort ({NP_REF}#NetworkPolicyPort):

    - ``protocol`` must equal (defaulted to TCP at loading);
    - ``port`` absent: every port of that protocol;
    - a number: that port, or with ``endPort`` the range ``port..endPort`` inclusive;
    - a name: the destination pod's container port of that name and protocol (on egress to an
      address that is no pod's, a named port cannot match: ``dst_pod`` is None).
    """
    if rule_port.protocol is not protocol:
        return False
    if rule_port.port is None:
        return True
    if isinstance(rule_port.port, str):
        if dst_pod is None:
            return False
        return dst_pod.find_named_port(rule_port.port, protocol) == port
    if rule_port.end_port is not None:
        return rule_port.port <= port <= rule_port.end_port
    return rule_port.port == port


def rule_ports_match(
    ports: tuple[PolicyPort, ...], port: int, protocol: Protocol, dst_pod: Pod | None
) -> bool:
    """A rule's ``ports``: empty or absent means all ports; otherwise any entry matches."""
    return not ports or any(port_matches(p, port, protocol, dst_pod) for p in ports)


def peer_for_ip(cluster: Cluster, ip: str) -> Peer:
    """The peer an address stands for: the pod with that IP, else a node, else external."""
    pod = cluster.pod_by_ip.get(ip)
    if pod is not None:
        return PodPeer(pod)
    node = cluster.node_at(ip)
    return IPPeer(ip, node=node.name if node is not None else None)


def _peer_matches(
    cluster: Cluster,
    policy: NetworkPolicy,
    peer: PolicyPeer,
    other: Peer,
    assumptions: Assumptions,
) -> bool:
    if isinstance(other, PodPeer):
        return peer_matches_pod(cluster, policy, peer, other.pod, assumptions, other.family)
    return peer_matches_ip(peer, other.ip)


def network_policy_rules_allowing(
    cluster: Cluster,
    policies: tuple[NetworkPolicy, ...],
    direction: Direction,
    other: Peer,
    port: int,
    protocol: Protocol,
    dst_pod: Pod | None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> tuple[RuleRef, ...]:
    """The rules (of ``policies``, for ``direction``) that allow traffic with ``other``: a rule
    allows when its peers (``from``/``to``; empty = everyone) match ``other`` AND its ports
    match. Allowed traffic is the union of all rules ({NP_REF}#NetworkPolicySpec)."""
    out = []
    for policy in policies:
        for i, rule in enumerate(policy.rules(direction)):
            if not rule_ports_match(rule.ports, port, protocol, dst_pod):
                continue
            if rule.peers and not any(
                _peer_matches(cluster, policy, p, other, assumptions) for p in rule.peers
            ):
                continue
            out.append(RuleRef(policy.ref, direction, i))
    return tuple(out)
