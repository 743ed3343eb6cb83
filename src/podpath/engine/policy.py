"""NetworkPolicy verdicts with reasons: one connection, evaluated straight from the spec.

This is the per-pair, explained evaluator (and the reference the fast matrix of
:mod:`podpath.engine.matrix` is tested against). Public API::

    evaluate(cluster, src, dst, port, protocol, assumptions=DEFAULT_ASSUMPTIONS) -> Verdict
    selecting_policies(cluster, pod, direction) -> tuple[NetworkPolicy, ...]
    is_isolated(cluster, pod, direction) -> bool
    peer_for_ip(cluster, ip) -> Peer            # a pod's IP becomes its PodPeer

Semantics (networking.k8s.io/v1,
https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/ and
https://kubernetes.io/docs/concepts/services-networking/network-policies/):

- a pod is isolated for a direction when some policy selecting it has that policy type;
  an isolated pod accepts only what the union of the rules of its selecting policies allows;
- a connection is allowed only when the source's egress AND the destination's ingress allow it
  (a side outside the cluster has no policies: only the pod side is evaluated);
- tiers (policy.networking.k8s.io): per direction, AdminNetworkPolicy / ClusterNetworkPolicy
  tier Admin first (Allow/Deny decide, Pass skips to NetworkPolicy), then NetworkPolicy (when the
  pod is isolated), then BaselineAdminNetworkPolicy / ClusterNetworkPolicy tier Baseline, then
  the default: allowed. See :mod:`podpath.engine.admin_policy`.

Assumptions (implementation-defined behaviour, switchable in :class:`Assumptions`, named in
every verdict they decide): see :data:`ASSUMPTION_DOCS`.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field

from podpath.cluster import Cluster
from podpath.engine.selectors import selector_matches
from podpath.model.core import Node, ObjectRef, Pod, Protocol
from podpath.model.policy import Direction, IPBlock, NetworkPolicy, PolicyPeer, PolicyPort

NP_REF = "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/"
NP_DOCS = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"

#: Where ``internet`` stands for "an address outside the cluster" (TEST-NET-3, RFC 5737).
INTERNET_IP = "203.0.113.1"

A_IPBLOCK_POD = "ipblock-matches-pod-ips"
A_NODE_TRAFFIC = "node-traffic-allowed"
A_HOST_NETWORK = "host-network-as-node"
A_SELF_TRAFFIC = "self-traffic"
A_PRIORITY_TIE = "admin-priority-tie"

ASSUMPTION_DOCS: dict[str, str] = {
    A_IPBLOCK_POD: (
        "an ipBlock matches a pod by its pod IP, as common CNIs (Calico, Cilium, kube-router) "
        "and the upstream conformance suite do; the API leaves it implementation-defined"
    ),
    A_NODE_TRAFFIC: (
        "traffic between a pod and the node it runs on (kubelet probes) is always allowed, "
        "as the NetworkPolicy documentation states"
    ),
    A_HOST_NETWORK: (
        "host-network pods are treated as their node's IP: policies do not select them and "
        "pod/namespace selectors do not match them (ipBlock does), the most common behaviour"
    ),
    A_SELF_TRAFFIC: (
        "a pod connecting to its own IP gets the verdict of its policies; the documentation "
        "says a pod cannot block access to itself and CNIs differ on loopback"
    ),
    A_PRIORITY_TIE: (
        "two admin policies of the same tier and priority match with different actions; the "
        "spec leaves the choice to the implementation, podpath applies the first by kind and name"
    ),
}


@dataclass(frozen=True, slots=True)
class Assumptions:
    """Switchable answers to what the API leaves to the network plugin (see module doc).

    - ``ipblock_matches_pod_ips``: ipBlock peers match pod IPs (else only non-pod IPs);
    - ``node_traffic_allowed``: node <-> its own pods always allowed (else policies decide);
    - ``host_network_as_node``: host-network pods are node traffic (else like other pods);
    - ``self_traffic_allowed``: pod -> its own IP always allowed (else policies decide).
    """

    ipblock_matches_pod_ips: bool = True
    node_traffic_allowed: bool = True
    host_network_as_node: bool = True
    self_traffic_allowed: bool = False


DEFAULT_ASSUMPTIONS = Assumptions()


@dataclass(frozen=True, slots=True)
class PodPeer:
    """A pod of the cluster (canonical form ``NS/NAME[Pod]``)."""

    pod: Pod

    def __str__(self) -> str:
        return f"{self.pod.key}[Pod]"


@dataclass(frozen=True, slots=True)
class IPPeer:
    """An address that is no pod's: outside the cluster, a node, or ``internet``
    (:data:`INTERNET_IP`). Canonical form ``IP[External]`` (``IP[Node NAME]`` for nodes)."""

    ip: str
    node: str | None = None

    def __str__(self) -> str:
        return f"{self.ip}[Node {self.node}]" if self.node else f"{self.ip}[External]"


Peer = PodPeer | IPPeer


class Tier(enum.Enum):
    """What decided a direction's verdict."""

    ADMIN = "Admin"
    NETWORK_POLICY = "NetworkPolicy"
    BASELINE = "Baseline"
    DEFAULT = "Default"  # nothing applies: allowed
    ASSUMPTION = "Assumption"  # a switchable assumption decided (see ASSUMPTION_DOCS)
    OUTSIDE = "Outside"  # this side is not a pod: no policy applies

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One rule of one policy: ``NetworkPolicy/ns/name ingress rule 0`` or, for the admin
    tiers, ``AdminNetworkPolicy/name ingress rule 1 "deny-x" (Deny)``."""

    policy: ObjectRef
    direction: Direction
    index: int
    action: str = "Allow"
    rule_name: str = ""

    def __str__(self) -> str:
        base = f"{self.policy} {self.direction.value.lower()} rule {self.index}"
        if self.policy.kind == "NetworkPolicy":
            return base
        name = f' "{self.rule_name}"' if self.rule_name else ""
        return f"{base}{name} ({self.action})"


@dataclass(frozen=True, slots=True)
class DirectionResult:
    """One direction of a connection, evaluated at its pod (``pod`` is None when that side
    is outside the cluster: ``tier`` is then OUTSIDE and it is allowed).

    ``isolating_policies``: the NetworkPolicies that select the pod with this policy type;
    ``allowing``: the NetworkPolicy rules that allow the traffic; ``decided_by``: the admin
    rule that decided (tier ADMIN/BASELINE); ``assumptions``: names from ASSUMPTION_DOCS that
    decided; ``reason``: one plain sentence.
    """

    direction: Direction
    pod: str | None
    allowed: bool
    tier: Tier
    reason: str
    isolated: bool = False
    isolating_policies: tuple[ObjectRef, ...] = ()
    allowing: tuple[RuleRef, ...] = ()
    decided_by: RuleRef | None = None
    assumptions: tuple[str, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Short reason strings: the deciding rules, else the sentence."""
        if self.decided_by is not None:
            return (str(self.decided_by),)
        if self.allowing:
            return tuple(str(r) for r in self.allowing)
        return (self.reason,)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A connection ``src -> dst`` on ``port/protocol``: allowed iff both directions allow."""

    src: Peer
    dst: Peer
    port: int
    protocol: Protocol
    egress: DirectionResult
    ingress: DirectionResult
    notes: tuple[str, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def denied_by(self) -> DirectionResult | None:
        """The direction that denied (egress first), or None if allowed."""
        for result in (self.egress, self.ingress):
            if not result.allowed:
                return result
        return None

    @property
    def tier(self) -> Tier:
        """The tier that decided: the denying direction's, else the ingress side's (the egress
        side's when the destination is outside the cluster)."""
        d = self.denied_by
        if d is not None:
            return d.tier
        return self.ingress.tier if self.ingress.tier is not Tier.OUTSIDE else self.egress.tier

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why: the denying direction's reasons, else the allowing rules of both sides."""
        d = self.denied_by
        if d is not None:
            return d.reasons
        out: list[str] = []
        for result in (self.egress, self.ingress):
            if result.tier is not Tier.OUTSIDE:
                out.extend(result.reasons)
        return tuple(out)

    @property
    def assumptions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.egress.assumptions + self.ingress.assumptions))


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
    return tuple(
        p
        for p in _policies_in(cluster, pod.namespace)
        if direction in p.policy_types and policy_selects_pod(p, pod)
    )


def is_isolated(
    cluster: Cluster,
    pod: Pod,
    direction: Direction,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> bool:
    """A pod is isolated for a direction when some policy selecting it has that type."""
    return bool(selecting_policies(cluster, pod, direction, assumptions))


def _policies_in(cluster: Cluster, namespace: str) -> tuple[NetworkPolicy, ...]:
    return tuple(p for p in cluster.network_policies if p.namespace == namespace)


# --- peers and ports ---------------------------------------------------------------------


def ip_block_matches(block: IPBlock, ip: str) -> bool:
    """``ipBlock``: the address is inside ``cidr`` and inside none of ``except`` (IPv4 and
    IPv6; an address of the other family never matches). {NP_REF}#IPBlock"""
    addr = ipaddress.ip_address(ip)
    net = ipaddress.ip_network(block.cidr, strict=False)
    if addr.version != net.version or addr not in net:
        return False
    return not any(addr in ipaddress.ip_network(ex, strict=False) for ex in block.except_)


def namespace_labels_of(cluster: Cluster, namespace: str) -> dict[str, str]:
    ns = cluster.namespace_by_name.get(namespace)
    if ns is not None:
        return dict(ns.labels)
    return {"kubernetes.io/metadata.name": namespace}


def peer_matches_pod(
    cluster: Cluster,
    policy: NetworkPolicy,
    peer: PolicyPeer,
    pod: Pod,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> bool:
    """A NetworkPolicyPeer against a pod ({NP_REF}#NetworkPolicyPeer):

    - ``podSelector`` only: pods of the policy's namespace it selects;
    - ``namespaceSelector`` only: every pod of the namespaces it selects;
    - both: the pods ``podSelector`` selects within the namespaces ``namespaceSelector``
      selects (AND); empty selectors select everything of their scope;
    - ``ipBlock``: the pod's IPs (assumption ``ipblock-matches-pod-ips``; a host-network pod
      under ``host-network-as-node`` is its node's IP, which ipBlock matches).
    """
    as_node = pod.host_network and assumptions.host_network_as_node
    if peer.ip_block is not None:
        if not (assumptions.ipblock_matches_pod_ips or as_node):
            return False
        return any(ip_block_matches(peer.ip_block, ip) for ip in pod.ips)
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
        return peer_matches_pod(cluster, policy, peer, other.pod, assumptions)
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


# --- one direction, one connection ---------------------------------------------------------


def _node_of(cluster: Cluster, peer: Peer, assumptions: Assumptions) -> Node | None:
    """The node a peer is (a node IP, or a host-network pod under host-network-as-node)."""
    if isinstance(peer, IPPeer):
        return cluster.node_by_name.get(peer.node) if peer.node else None
    if peer.pod.host_network and assumptions.host_network_as_node and peer.pod.node_name:
        return cluster.node_by_name.get(peer.pod.node_name)
    return None


def evaluate_direction(
    cluster: Cluster,
    pod: Pod,
    other: Peer,
    direction: Direction,
    port: int,
    protocol: Protocol,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> DirectionResult:
    """``direction`` evaluated at ``pod`` (egress: pod is the source, ``other`` the
    destination; ingress: pod is the destination), tier by tier (see the module docstring)."""
    from podpath.engine.admin_policy import admin_decision

    dst_pod = pod if direction is Direction.INGRESS else _pod_of(other)
    node = _node_of(cluster, other, assumptions)
    if assumptions.node_traffic_allowed and node is not None and node.name == pod.node_name:
        return DirectionResult(
            direction,
            pod.key,
            True,
            Tier.ASSUMPTION,
            f"traffic between {pod.key} and its node {node.name} is always allowed",
            assumptions=(A_NODE_TRAFFIC,),
        )
    if not is_policy_subject(pod, assumptions):
        return DirectionResult(
            direction,
            pod.key,
            True,
            Tier.ASSUMPTION,
            f"{pod.key} uses the host network: no policy applies to it",
            assumptions=(A_HOST_NETWORK,),
        )
    admin = admin_decision(cluster, "Admin", pod, other, direction, port, protocol, assumptions)
    tie = _tie_note(cluster, "Admin", pod, other, direction, port, protocol, admin)
    if admin is not None and admin.action in ("Allow", "Accept", "Deny"):
        allowed = admin.action != "Deny"
        return DirectionResult(
            direction,
            pod.key,
            allowed,
            Tier.ADMIN,
            f"{'allowed' if allowed else 'denied'} by admin policy rule {admin}{tie}",
            decided_by=admin,
            assumptions=(A_PRIORITY_TIE,) if tie else (),
        )
    policies = selecting_policies(cluster, pod, direction, assumptions)
    refs = tuple(p.ref for p in policies)
    if policies:
        allowing = network_policy_rules_allowing(
            cluster, policies, direction, other, port, protocol, dst_pod, assumptions
        )
        word = "egress" if direction is Direction.EGRESS else "ingress"
        reason = (
            f"allowed by {', '.join(str(r) for r in allowing)}"
            if allowing
            else f"denied by {word} isolation of {pod.key} "
            f"(selected by {', '.join(str(r) for r in refs)}; no rule allows it)"
        ) + tie
        return DirectionResult(
            direction,
            pod.key,
            bool(allowing),
            Tier.NETWORK_POLICY,
            reason,
            isolated=True,
            isolating_policies=refs,
            allowing=allowing,
            assumptions=(A_PRIORITY_TIE,) if tie else (),
        )
    base = admin_decision(cluster, "Baseline", pod, other, direction, port, protocol, assumptions)
    tie = tie or _tie_note(cluster, "Baseline", pod, other, direction, port, protocol, base)
    if base is not None and base.action in ("Allow", "Accept", "Deny"):
        allowed = base.action != "Deny"
        return DirectionResult(
            direction,
            pod.key,
            allowed,
            Tier.BASELINE,
            f"{'allowed' if allowed else 'denied'} by baseline admin policy rule {base}{tie}",
            decided_by=base,
            assumptions=(A_PRIORITY_TIE,) if tie else (),
        )
    word = "egress" if direction is Direction.EGRESS else "ingress"
    return DirectionResult(
        direction,
        pod.key,
        True,
        Tier.DEFAULT,
        f"{pod.key} is not isolated for {word}{tie}",
        assumptions=(A_PRIORITY_TIE,) if tie else (),
    )


def _tie_note(
    cluster: Cluster,
    tier: str,
    pod: Pod,
    other: Peer,
    direction: Direction,
    port: int,
    protocol: Protocol,
    decided: RuleRef | None,
) -> str:
    """`` (tie: ...)`` when a same-priority policy of the tier would decide otherwise
    (assumption ``admin-priority-tie``), else ``""``. A Pass that ties with a final action
    changes whether the tier decides at all, so it counts too."""
    from podpath.engine.admin_policy import priority_tie

    if decided is None:
        return ""
    rival = priority_tie(cluster, tier, pod, other, direction, port, protocol, decided)
    return f" (tie: same priority as {rival})" if rival is not None else ""


def _pod_of(peer: Peer) -> Pod | None:
    return peer.pod if isinstance(peer, PodPeer) else None


def _outside(direction: Direction, peer: Peer) -> DirectionResult:
    return DirectionResult(
        direction, None, True, Tier.OUTSIDE, f"{peer} is not a pod: no policy applies there"
    )


def evaluate(
    cluster: Cluster,
    src: Peer,
    dst: Peer,
    port: int,
    protocol: Protocol = Protocol.TCP,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> Verdict:
    """May ``src`` open a connection to ``dst`` on ``port/protocol``? The source pod's egress
    AND the destination pod's ingress must allow it (NP_DOCS "The two sorts of pod
    isolation"); an IPPeer side is outside the cluster and has no policy. ``port`` is the port
    the destination pod receives on (after any Service translation)."""
    notes: list[str] = []
    if isinstance(src, PodPeer) and isinstance(dst, PodPeer) and src.pod.key == dst.pod.key:
        notes.append(ASSUMPTION_DOCS[A_SELF_TRAFFIC])
        if assumptions.self_traffic_allowed:
            ok = DirectionResult(
                Direction.EGRESS,
                src.pod.key,
                True,
                Tier.ASSUMPTION,
                "a pod cannot block access to itself",
                assumptions=(A_SELF_TRAFFIC,),
            )
            return Verdict(
                src, dst, port, protocol, ok, _replace_dir(ok, Direction.INGRESS), tuple(notes)
            )
    if isinstance(src, PodPeer):
        egress = evaluate_direction(
            cluster, src.pod, dst, Direction.EGRESS, port, protocol, assumptions
        )
    else:
        egress = _outside(Direction.EGRESS, src)
    if isinstance(dst, PodPeer):
        ingress = evaluate_direction(
            cluster, dst.pod, src, Direction.INGRESS, port, protocol, assumptions
        )
    else:
        ingress = _outside(Direction.INGRESS, dst)
    return Verdict(src, dst, port, protocol, egress, ingress, tuple(notes))


def _replace_dir(result: DirectionResult, direction: Direction) -> DirectionResult:
    return DirectionResult(
        direction,
        result.pod,
        result.allowed,
        result.tier,
        result.reason,
        assumptions=result.assumptions,
    )
