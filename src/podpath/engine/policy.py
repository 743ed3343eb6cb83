"""NetworkPolicy verdicts with reasons: one connection, evaluated straight from the spec.

This is the per-pair, explained evaluator (and the reference the fast matrix of
:mod:`podpath.engine.matrix` is tested against). Public API::

    evaluate(cluster, src, dst, port, protocol, assumptions=DEFAULT_ASSUMPTIONS) -> Verdict
    evaluate_direction(cluster, pod, other, direction, port, protocol) -> DirectionResult

and, in :mod:`podpath.engine.policy_rules`::

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
  the default: allowed. See :mod:`podpath.engine.admin_policy`. A pod connecting to its own IP
  skips the admin tiers; through a Service back to itself it does not (:data:`SELF_CNP_DOC`).

Rule matching lives in :mod:`podpath.engine.policy_rules`, the verdict types in
:mod:`podpath.engine.policy_verdict`; import those names from there.

Assumptions (implementation-defined behaviour, switchable in :class:`Assumptions`, named in
every verdict they decide): see :data:`ASSUMPTION_DOCS`.
"""

from __future__ import annotations

from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_decision, priority_tie
from podpath.engine.policy_rules import (
    is_policy_subject,
    network_policy_rules_allowing,
    selecting_policies,
)
from podpath.engine.policy_verdict import (
    A_HOST_NETWORK,
    A_NODE_TRAFFIC,
    A_PRIORITY_TIE,
    A_SELF_TRAFFIC,
    ASSUMPTION_DOCS,
    DEFAULT_ASSUMPTIONS,
    Assumptions,
    DirectionResult,
    IPPeer,
    Peer,
    PodPeer,
    RuleRef,
    Tier,
    Verdict,
    destination_pod,
)
from podpath.model.core import Node, Pod, Protocol
from podpath.model.policy import Direction

#: Admin-tier actions that decide (Pass moves on to the next tier).
FINAL_ACTIONS = ("Allow", "Accept", "Deny")

#: ClusterNetworkPolicy and a pod reaching itself (https://network-policy-api.sigs.k8s.io/
#: api-overview/, "The ClusterNetworkPolicy Resource": "A Pod connecting to its own Pod IP is
#: not subject to CNP. A Pod connecting to a Service IP that the service proxy load-balances
#: back to the same Pod is subject to ClusterNetworkPolicy."); podpath applies it to every
#: admin kind (AdminNetworkPolicy and BaselineAdminNetworkPolicy are its two tiers).
SELF_CNP_DOC = (
    "a pod connecting to its own IP is not subject to the admin tiers (ClusterNetworkPolicy, "
    "AdminNetworkPolicy, BaselineAdminNetworkPolicy); through a Service that load-balances "
    "back to it, it is"
)

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
    *,
    admin_tiers: bool = True,
    self_assumed: bool = False,
) -> DirectionResult:
    """``direction`` evaluated at ``pod`` (egress: pod is the source, ``other`` the
    destination; ingress: pod is the destination), tier by tier (see the module docstring).
    ``admin_tiers=False``: the Admin and Baseline tiers are skipped (a pod to its own IP);
    ``self_assumed``: a pod to itself through a Service under ``self-traffic``: what the
    Admin tier leaves is allowed (see :func:`evaluate`)."""
    dst_pod = destination_pod(pod, other, direction)
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
    admin = (
        admin_decision(cluster, "Admin", pod, other, direction, port, protocol, assumptions)
        if admin_tiers
        else None
    )
    tie = _tie_note(cluster, "Admin", pod, other, direction, port, protocol, admin)
    if admin is not None and admin.action in FINAL_ACTIONS:
        return _admin_result(direction, pod, Tier.ADMIN, admin, tie)
    if self_assumed:
        return _self_allowed(direction, pod)
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
    base = (
        admin_decision(cluster, "Baseline", pod, other, direction, port, protocol, assumptions)
        if admin_tiers
        else None
    )
    tie = tie or _tie_note(cluster, "Baseline", pod, other, direction, port, protocol, base)
    if base is not None and base.action in FINAL_ACTIONS:
        return _admin_result(direction, pod, Tier.BASELINE, base, tie)
    word = "egress" if direction is Direction.EGRESS else "ingress"
    return DirectionResult(
        direction,
        pod.key,
        True,
        Tier.DEFAULT,
        f"{pod.key} is not isolated for {word}{tie}",
        assumptions=(A_PRIORITY_TIE,) if tie else (),
    )


def _admin_result(
    direction: Direction, pod: Pod, tier: Tier, rule: RuleRef, tie: str
) -> DirectionResult:
    """A direction an admin-tier rule decided (Allow/Accept or Deny; ``tie`` from
    :func:`_tie_note`)."""
    allowed = rule.action != "Deny"
    label = "admin" if tier is Tier.ADMIN else "baseline admin"
    return DirectionResult(
        direction,
        pod.key,
        allowed,
        tier,
        f"{'allowed' if allowed else 'denied'} by {label} policy rule {rule}{tie}",
        decided_by=rule,
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
    if decided is None:
        return ""
    rival = priority_tie(cluster, tier, pod, other, direction, port, protocol, decided)
    return f" (tie: same priority as {rival})" if rival is not None else ""


def _outside(direction: Direction, peer: Peer) -> DirectionResult:
    return DirectionResult(
        direction, None, True, Tier.OUTSIDE, f"{peer} is not a pod: no policy applies there"
    )


def _self_allowed(direction: Direction, pod: Pod) -> DirectionResult:
    """A pod to itself under the ``self-traffic`` assumption."""
    return DirectionResult(
        direction,
        pod.key,
        True,
        Tier.ASSUMPTION,
        "a pod cannot block access to itself",
        assumptions=(A_SELF_TRAFFIC,),
    )


def evaluate(
    cluster: Cluster,
    src: Peer,
    dst: Peer,
    port: int,
    protocol: Protocol = Protocol.TCP,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
    *,
    via_service: bool = False,
) -> Verdict:
    """May ``src`` open a connection to ``dst`` on ``port/protocol``? The source pod's egress
    AND the destination pod's ingress must allow it (NP_DOCS "The two sorts of pod
    isolation"); an IPPeer side is outside the cluster and has no policy. ``port`` is the port
    the destination pod receives on (after any Service translation). ``via_service``: the
    connection was made to a Service address that the service proxy load-balanced to ``dst``.

    A pod to itself (ClusterNetworkPolicy, :data:`SELF_CNP_DOC`; "hairpin" traffic): to its
    own Pod IP the admin tiers do not apply, the ``self-traffic`` assumption or else the
    NetworkPolicy tier decides (not isolated: allowed); through a Service the Admin tier comes
    first, as for any pair, and what it leaves goes on as to the own IP, then to the Baseline
    tier."""
    notes: list[str] = []
    self_mode = isinstance(src, PodPeer) and isinstance(dst, PodPeer) and src.pod.key == dst.pod.key
    direct = self_mode and not via_service
    if self_mode:
        notes.append(ASSUMPTION_DOCS[A_SELF_TRAFFIC])
        if any(cluster.admin_tiers.values()):
            notes.append(SELF_CNP_DOC)
        if direct and assumptions.self_traffic_allowed:
            assert isinstance(src, PodPeer)
            ok = _self_allowed(Direction.EGRESS, src.pod)
            return Verdict(
                src, dst, port, protocol, ok, _replace_dir(ok, Direction.INGRESS), tuple(notes)
            )
    assumed = self_mode and assumptions.self_traffic_allowed
    if isinstance(src, PodPeer):
        egress = evaluate_direction(
            cluster,
            src.pod,
            dst,
            Direction.EGRESS,
            port,
            protocol,
            assumptions,
            admin_tiers=not direct,
            self_assumed=assumed,
        )
    else:
        egress = _outside(Direction.EGRESS, src)
    if isinstance(dst, PodPeer):
        ingress = evaluate_direction(
            cluster,
            dst.pod,
            src,
            Direction.INGRESS,
            port,
            protocol,
            assumptions,
            admin_tiers=not direct,
            self_assumed=assumed,
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
