"""Policy rules as class masks, for the fast matrix (one direction at a time).

Each rule becomes (rows: the classes it applies to, i.e. whose policies it belongs to;
cols: the classes its peers match), both following :mod:`podpath.engine.policy` and
:mod:`podpath.engine.admin_policy` rule by rule:

- NetworkPolicy subjects: the policy's namespace AND ``podSelector``; never host-network pods
  under ``host-network-as-node``; isolation per direction from ``policyTypes``;
- NetworkPolicy peers: ``podSelector`` / ``namespaceSelector`` / both (AND) / ``ipBlock``
  (pod IPs under ``ipblock-matches-pod-ips``, node IPs of host-network pods always); empty
  ``from``/``to`` matches everyone;
- ports: none = all; numbers and ``endPort`` ranges by protocol; named ports resolved on the
  destination (ingress: the row class; egress: the column class);
- admin rules: subjects and pod peers never include host-network pods; ``networks`` match any
  address, ``nodes`` host-network pods by their node's labels, ``domainNames`` nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from podpath.cluster import Cluster
from podpath.engine.matrix_classes import BoolArray, PodClasses
from podpath.engine.policy_verdict import Assumptions
from podpath.engine.selectors import selector_matches
from podpath.model.admin_policy import AdminPeer, AdminPolicy, AdminPort
from podpath.model.core import Protocol
from podpath.model.policy import Direction, NetworkPolicy, PolicyPeer, PolicyPort

PortKey = tuple[int, Protocol]


@dataclass(frozen=True, eq=False)
class RuleMask:
    """One rule over classes. ``ports`` None = all ports; ``named_on_rows``: named ports
    resolve on the row classes (ingress) rather than the column classes (egress)."""

    rows: BoolArray
    cols: BoolArray
    ports: tuple[tuple[Protocol | None, int, int, str | None], ...] | None
    named_on_rows: bool
    verdict: str = "Allow"
    classes: PodClasses | None = None

    @property
    def all_ports(self) -> bool:
        return self.ports is None

    def on_port(self, port: PortKey) -> tuple[BoolArray, BoolArray] | None:
        """(rows, cols): the classes this rule applies to on ``port`` and its peers there, or
        None. They are the rule's own masks (the same objects) unless a named port narrows
        one: NetworkPolicy ``ports[].port`` names resolve on the destination pod."""
        if self.ports is None:
            return self.rows, self.cols
        number, protocol = port
        named: BoolArray | None = None
        for proto, start, end, name in self.ports:
            if name is None:
                if proto is protocol and start <= number <= end:
                    return self.rows, self.cols
                continue
            if proto is not None and proto is not protocol:
                continue
            assert self.classes is not None
            hit = self.classes.named_port_is(name, protocol, number)
            if hit is not None:
                named = hit if named is None else (named | hit)
        if named is None:
            return None
        if self.named_on_rows:
            rows = self.rows & named
            return (rows, self.cols) if rows.any() else None
        cols = self.cols & named
        return (self.rows, cols) if cols.any() else None


@dataclass
class DirectionRules:
    isolated: BoolArray
    network_policy: list[RuleMask]
    admin: list[RuleMask]
    baseline: list[RuleMask]


def _np_port(p: PolicyPort) -> tuple[Protocol | None, int, int, str | None]:
    if p.port is None:
        return (p.protocol, 1, 65535, None)
    if isinstance(p.port, str):
        return (p.protocol, 0, 0, p.port)
    return (p.protocol, p.port, p.end_port or p.port, None)


def _admin_port(p: AdminPort) -> tuple[Protocol | None, int, int, str | None]:
    """Admin named ports match on any protocol the destination pod names them with."""
    return (None if p.name is not None else p.protocol, p.start, p.end, p.name)


def _np_peer(
    classes: PodClasses, policy: NetworkPolicy, peer: PolicyPeer, assumptions: Assumptions
) -> BoolArray:
    if peer.ip_block is not None:
        mask = classes.cidr_mask(peer.ip_block.cidr, peer.ip_block.except_)
        return mask if assumptions.ipblock_matches_pod_ips else (mask & classes.as_node)
    if peer.namespace_selector is None:
        mask = classes.namespace_mask(policy.namespace)
    else:
        mask = classes.namespace_selector_mask(peer.namespace_selector)
    if peer.pod_selector is not None:
        mask = mask & classes.pod_selector_mask(peer.pod_selector)
    return mask & ~classes.as_node


def _may_match_focus(
    classes: PodClasses, policy: NetworkPolicy, peer: PolicyPeer, focus_ns: dict[str, int]
) -> bool:
    """Whether ``peer`` can match a class of the focus namespaces (ipBlocks: always)."""
    if peer.ip_block is not None:
        return True
    if peer.namespace_selector is None:
        return policy.namespace in focus_ns
    selector = peer.namespace_selector
    return any(selector_matches(selector, classes.ns_labels[i]) for i in focus_ns.values())


def _np_rules(
    classes: PodClasses,
    policies: tuple[NetworkPolicy, ...],
    direction: Direction,
    assumptions: Assumptions,
    focus: BoolArray | None = None,
) -> tuple[BoolArray, list[RuleMask]]:
    isolated = classes.zeros()
    out: list[RuleMask] = []
    peer_cache: dict[tuple[PolicyPeer, str], BoolArray] = {}
    focus_ns: dict[str, int] = {}
    if focus is not None:
        for i in sorted(set(classes.ns_id[focus].tolist())):
            focus_ns[classes.namespaces[i]] = i
    for policy in policies:
        if direction not in policy.policy_types:
            continue
        rows = classes.namespace_mask(policy.namespace) & classes.pod_selector_mask(
            policy.pod_selector
        )
        rows = rows & ~classes.as_node
        if not rows.any():
            continue
        isolated |= rows
        # with a focus, a policy selecting no focus class needs its peers only where they
        # match focus classes: a peer that cannot is left out
        narrow = focus is not None and not (rows & focus).any()
        for rule in policy.rules(direction):
            if rule.peers:
                cols = classes.zeros()
                for peer in rule.peers:
                    if narrow and not _may_match_focus(classes, policy, peer, focus_ns):
                        continue
                    key = (peer, policy.namespace)
                    mask = peer_cache.get(key)
                    if mask is None:
                        mask = peer_cache[key] = _np_peer(classes, policy, peer, assumptions)
                    cols |= mask
            else:
                cols = classes.ones()
            if not cols.any():
                continue
            ports = tuple(_np_port(p) for p in rule.ports) if rule.ports else None
            out.append(RuleMask(rows, cols, ports, direction is Direction.INGRESS, classes=classes))
    return isolated, out


def _admin_peer(cluster: Cluster, classes: PodClasses, peer: AdminPeer) -> BoolArray:
    if peer.networks:
        mask = classes.zeros()
        for cidr in peer.networks:
            mask |= classes.cidr_mask(cidr)
        return mask
    if peer.node_selector is not None:
        out = classes.zeros()
        for c in np.flatnonzero(classes.host_network):
            node = cluster.node_by_name.get(classes.reps[c].node_name or "")
            out[c] = node is not None and selector_matches(peer.node_selector, node.labels)
        return out
    if peer.namespace_selector is None:
        return classes.zeros()
    mask = classes.namespace_selector_mask(peer.namespace_selector)
    if peer.pod_selector is not None:
        mask = mask & classes.pod_selector_mask(peer.pod_selector)
    return mask & ~classes.host_network


def _admin_rules(
    cluster: Cluster, classes: PodClasses, policies: tuple[AdminPolicy, ...], direction: Direction
) -> list[RuleMask]:
    out: list[RuleMask] = []
    for policy in policies:
        rows = classes.namespace_selector_mask(policy.subject.namespace_selector)
        if policy.subject.pod_selector is not None:
            rows = rows & classes.pod_selector_mask(policy.subject.pod_selector)
        rows = rows & ~classes.host_network
        if not rows.any():
            continue
        for rule in policy.rules(direction):
            cols = classes.zeros()
            for peer in rule.peers:
                cols |= _admin_peer(cluster, classes, peer)
            ports = tuple(_admin_port(p) for p in rule.ports) if rule.ports is not None else None
            out.append(
                RuleMask(
                    rows,
                    cols,
                    ports,
                    direction is Direction.INGRESS,
                    verdict=rule.verdict,
                    classes=classes,
                )
            )
    return out


def collect_rules(
    cluster: Cluster,
    classes: PodClasses,
    direction: Direction,
    admin: tuple[AdminPolicy, ...],
    baseline: tuple[AdminPolicy, ...],
    assumptions: Assumptions,
    focus: BoolArray | None = None,
) -> DirectionRules:
    """Every rule of one direction as class masks (see the module docstring). ``focus``: only
    cells with a focus class on one side are asked for (a row or a column); a NetworkPolicy
    peer that matches no class of the focus namespaces is then left out of the rules of
    policies that select no focus class (their cells all lie outside the focus)."""
    isolated, np_rules = _np_rules(classes, cluster.network_policies, direction, assumptions, focus)
    return DirectionRules(
        isolated=isolated,
        network_policy=np_rules,
        admin=_admin_rules(cluster, classes, admin, direction),
        baseline=_admin_rules(cluster, classes, baseline, direction),
    )
