"""The cluster-scoped tiers: which admin rule decides a direction of a connection.

Spec (policy.networking.k8s.io, https://network-policy-api.sigs.k8s.io/reference/spec/;
v1alpha1 AdminNetworkPolicy/BaselineAdminNetworkPolicy, v1alpha2 ClusterNetworkPolicy):

- tiers are evaluated Admin -> NetworkPolicy -> Baseline -> default allow, per direction at
  the pod the rule's ``subject`` selects (ingress at the destination, egress at the source);
- within a tier, policies by ascending ``priority`` (ties broken by kind and name, the spec
  leaves them undefined: :func:`priority_tie` finds when a tie decides), rules in written
  order; the FIRST matching rule decides: Allow/Accept and Deny are final, Pass skips the rest
  of the tier;
- host-network pods are never subjects nor matched by ``namespaces``/``pods`` peers;
- ``networks`` peers match any address, pod IPs included (of a connection of one family on
  a dual-stack cluster, the pod's address of that family: :mod:`podpath.engine.ip_family`);
  ``nodes`` peers match node IPs;
  ``domainNames`` cannot be decided from manifests and never match here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from podpath.engine.ip_family import family_ips
from podpath.engine.policy_rules import address, namespace_labels_of, network
from podpath.engine.policy_verdict import Assumptions, Peer, PodPeer, RuleRef, destination_pod
from podpath.engine.selectors import selector_matches
from podpath.model.admin_policy import AdminPeer, AdminPolicy, AdminPort, AdminRule
from podpath.model.core import Pod, Protocol
from podpath.model.policy import Direction

if TYPE_CHECKING:
    from podpath.cluster import Cluster


def admin_policies(cluster: Cluster, tier: str) -> tuple[AdminPolicy, ...]:
    """The policies of ``tier`` (Admin or Baseline) of every admin kind, in evaluation order."""
    return cluster.admin_tiers.get(tier, ())


def subject_selects(cluster: Cluster, policy: AdminPolicy, pod: Pod) -> bool:
    """``spec.subject``: ``namespaces`` selects every pod of the matching namespaces; ``pods``
    the pods ``podSelector`` selects in them. Host-network pods are not included."""
    if pod.host_network:
        return False
    subject = policy.subject
    if not selector_matches(
        subject.namespace_selector, namespace_labels_of(cluster, pod.namespace)
    ):
        return False
    return subject.pod_selector is None or selector_matches(subject.pod_selector, pod.labels)


def admin_peer_matches(cluster: Cluster, peer: AdminPeer, other: Peer) -> bool:
    """An admin peer against the other side (see the module docstring for each form)."""
    if peer.networks:
        ips = family_ips(other.pod.ips, other.family) if isinstance(other, PodPeer) else (other.ip,)
        return any(_in_cidr(ip, cidr) for ip in ips for cidr in peer.networks)
    if peer.node_selector is not None:
        node_name = _node_name(other)
        node = cluster.node_by_name.get(node_name) if node_name else None
        return node is not None and selector_matches(peer.node_selector, node.labels)
    if peer.namespace_selector is None or not isinstance(other, PodPeer):
        return False  # domainNames, or a pod peer against a non-pod
    pod = other.pod
    if pod.host_network:
        return False
    if not selector_matches(peer.namespace_selector, namespace_labels_of(cluster, pod.namespace)):
        return False
    return peer.pod_selector is None or selector_matches(peer.pod_selector, pod.labels)


def _node_name(other: Peer) -> str | None:
    if isinstance(other, PodPeer):
        return other.pod.node_name if other.pod.host_network else None
    return other.node


def _in_cidr(ip: str, cidr: str) -> bool:
    addr = address(ip)
    net = network(cidr)
    return addr.version == net.version and addr in net


def admin_port_matches(
    port_match: AdminPort, port: int, protocol: Protocol, dst_pod: Pod | None
) -> bool:
    """A port entry: number or range of a protocol; a named port resolves on the destination
    pod's container ports (no pod: no match)."""
    if port_match.name is not None:
        return dst_pod is not None and dst_pod.find_named_port(port_match.name, protocol) == port
    return port_match.protocol is protocol and port_match.start <= port <= port_match.end


def admin_rule_matches(
    cluster: Cluster,
    rule: AdminRule,
    other: Peer,
    port: int,
    protocol: Protocol,
    dst_pod: Pod | None,
) -> bool:
    """A rule matches when a peer matches AND (no ports, or a port entry matches)."""
    if rule.ports is not None and not any(
        admin_port_matches(p, port, protocol, dst_pod) for p in rule.ports
    ):
        return False
    return any(admin_peer_matches(cluster, peer, other) for peer in rule.peers)


def admin_decision(
    cluster: Cluster,
    tier: str,
    pod: Pod,
    other: Peer,
    direction: Direction,
    port: int,
    protocol: Protocol,
    assumptions: Assumptions,
) -> RuleRef | None:
    """The first rule of ``tier`` that matches this direction at ``pod``, or None. The
    RuleRef's ``action`` is as written (a Pass is returned too: the caller moves on)."""
    policies = admin_policies(cluster, tier)
    if not policies:
        return None
    dst_pod = destination_pod(pod, other, direction)
    for policy in subject_policies(cluster, tier, pod):
        for i, rule in enumerate(policy.rules(direction)):
            if admin_rule_matches(cluster, rule, other, port, protocol, dst_pod):
                return RuleRef(policy.ref, direction, i, rule.action, rule.name)
    return None


def subject_policies(cluster: Cluster, tier: str, pod: Pod) -> tuple[AdminPolicy, ...]:
    """The policies of ``tier`` whose subject selects ``pod`` (:func:`subject_selects`), in
    evaluation order; remembered per cluster by what the subject reads of the pod."""
    memo = cluster.selection_memo
    key = ("admin", tier, pod.namespace, pod.labels, pod.host_network)
    found = memo.get(key)
    if found is None:
        policies = admin_policies(cluster, tier)
        found = memo[key] = tuple(p for p in policies if subject_selects(cluster, p, pod))
    return found


def priority_tie(
    cluster: Cluster,
    tier: str,
    pod: Pod,
    other: Peer,
    direction: Direction,
    port: int,
    protocol: Protocol,
    decided: RuleRef,
) -> RuleRef | None:
    """Another policy of the same tier and ``priority`` as the one that ``decided``, whose
    first matching rule has a different verdict: the spec leaves the outcome to the
    implementation ("If two (or more) policies in the same tier with the same priority could
    match a connection, then the implementation can apply any of the matching policies",
    ClusterNetworkPolicySpec.priority; AdminNetworkPolicySpec.priority: "The behavior is
    undefined if two ANP objects have same priority")."""
    policies = admin_policies(cluster, tier)
    winner = next((p for p in policies if p.ref == decided.policy), None)
    if winner is None:
        return None
    dst_pod = destination_pod(pod, other, direction)
    verdict = "Allow" if decided.action == "Accept" else decided.action
    for policy in policies:
        if policy.priority != winner.priority or policy.ref == winner.ref:
            continue
        if not subject_selects(cluster, policy, pod):
            continue
        for i, rule in enumerate(policy.rules(direction)):
            if admin_rule_matches(cluster, rule, other, port, protocol, dst_pod):
                if rule.verdict != verdict:
                    return RuleRef(policy.ref, direction, i, rule.action, rule.name)
                break
    return None
