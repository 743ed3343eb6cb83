"""The class x class relation behind :class:`podpath.engine.matrix.Matrix`, and the sparse
pod-level corrections on top of it.

Per direction, a class x class relation whose row is the class whose policies decide
(ingress: destination, egress: source): each rule ORs its peer mask into the rows of the
classes it selects, for the ports it applies to (named ports resolved per destination); the
admin tiers run first-match over their ordered rules (Allow/Deny/Pass), NetworkPolicy decides
isolated rows, the Baseline tier and the default the others. allowed = egress[src][dst] AND
ingress[dst][src]; ingress is laid out peer-major (each rule's rectangle laid down transposed),
so no transpose is needed. A port's relation is built once per signature (the rules that apply
there, with their named-port narrowing): ports with one signature share it. Semantics follow
:func:`podpath.engine.policy.evaluate` (networking.k8s.io/v1 NetworkPolicy,
https://kubernetes.io/docs/concepts/services-networking/network-policies/, and
policy.networking.k8s.io admin tiers, https://network-policy-api.sigs.k8s.io/api-overview/).

Assumptions that act on single pod pairs are not class facts; :func:`override_pairs` lists
them as sparse (src, dst) pod pairs allowed on every port:

- ``node-traffic-allowed`` with ``host-network-as-node``: a host-network pod (as its node)
  and every pod of its node, both ways (the kubelet must reach its pods; NP_DOCS "traffic to
  and from the node where a Pod is running is always allowed");
- ``self-traffic-allowed``: a pod and itself ("a pod cannot block access to itself").

A pod to its own IP is not subject to the admin tiers (:func:`class_relation` gives that
diagonal per class; :mod:`podpath.engine.matrix_self` applies it to the pods).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix_classes import BoolArray, PodClasses, build_classes
from podpath.engine.matrix_rules import DirectionRules, collect_rules
from podpath.engine.matrix_self import class_diagonal
from podpath.engine.policy_verdict import Assumptions
from podpath.model.admin_policy import AdminPolicy
from podpath.model.core import Pod, Protocol
from podpath.model.policy import Direction

PortKey = tuple[int, Protocol]
Packed = npt.NDArray[np.uint8]
# a relation: bit-packed rows (the whole matrix) or one bool a cell (a block)
Relation = TypeVar("Relation", npt.NDArray[np.uint8], npt.NDArray[np.bool_])
IntArray = npt.NDArray[np.int64]


def _packed_rows(n: int) -> Packed:
    return np.zeros((n, (n + 7) // 8), dtype=np.uint8)


RELATION_BUDGET = 1 << 30  # bytes of one direction's relations kept for ports that share them

# a rule's cells on one port, as the laid-out array sees them: (verdict, leading classes (the
# array's rows), other classes (its bit-packed columns))
Cells = tuple[str, BoolArray, BoolArray]
# what decides one direction on one port: per tier, the rules that apply there, by index and by
# whether a named port narrowed their masks (then by the narrowed mask's bytes)
Signature = tuple[tuple[int, int, bytes, bytes], ...]
TierCells = tuple[list[Cells], list[Cells], list[Cells]]
Plan = tuple[Signature, TierCells]


def _port_cells(rules: DirectionRules, port: PortKey, peer_major: bool) -> Plan:
    """The rules of each tier (NetworkPolicy, Admin, Baseline) that apply on ``port``, laid
    out subject-major ([subject][peer], egress) or peer-major ([peer][subject], ingress: the
    layout of ``allowed[src][dst]``), and the signature that makes two ports' relations equal."""
    signature: list[tuple[int, int, bytes, bytes]] = []
    tiers: TierCells = ([], [], [])
    for t, tier in enumerate((rules.network_policy, rules.admin, rules.baseline)):
        for i, rule in enumerate(tier):
            cells = rule.on_port(port)
            if cells is None:
                continue
            rows, cols = cells
            signature.append(
                (
                    t,
                    i,
                    b"" if rows is rule.rows else rows.tobytes(),
                    b"" if cols is rule.cols else cols.tobytes(),
                )
            )
            lead, other = (cols, rows) if peer_major else (rows, cols)
            tiers[t].append((rule.verdict, lead, other))
    return tuple(signature), tiers


def _union(n: int, cells: list[Cells]) -> Packed:
    """The OR of the rules' rectangles ``lead x other``; rectangles with one leading mask are
    merged first (lead x A | lead x B = lead x (A | B)), so each distinct mask costs one pass."""
    merged: dict[bytes, tuple[BoolArray, BoolArray]] = {}
    for _, lead, other in cells:
        key = lead.tobytes()
        found = merged.get(key)
        merged[key] = (lead, other if found is None else (found[1] | other))
    m = _packed_rows(n)
    for lead, other in merged.values():
        m[np.flatnonzero(lead)] |= np.packbits(other)
    return m


def _first_match(n: int, cells: list[Cells]) -> tuple[Packed, Packed]:
    """(allow, deny) cells decided by the first matching rule of an ordered tier. The first
    rule finds nothing decided and the last leaves nothing to decide: neither reads or writes
    the decided cells."""
    allow, deny = _packed_rows(n), _packed_rows(n)
    decided = _packed_rows(n) if len(cells) > 1 else allow
    last = len(cells) - 1
    for k, (verdict, lead, other) in enumerate(cells):
        rows, cols = np.flatnonzero(lead), np.packbits(other)
        new = cols & ~decided[rows] if k else cols
        if verdict == "Allow":
            allow[rows] |= new
        elif verdict == "Deny":
            deny[rows] |= new
        if k < last:
            decided[rows] |= cols
    return allow, deny


def _direction(
    classes: PodClasses,
    rules: DirectionRules,
    tiers: TierCells,
    has_admin: bool,
    peer_major: bool,
) -> tuple[Packed, BoolArray]:
    """One direction's packed relation on one port (laid out as :func:`_port_cells` gives its
    cells), and each class to itself WITHOUT the admin tiers (NetworkPolicy tier, else allowed):
    a pod to its own IP is not subject to them (:data:`podpath.engine.policy.SELF_CNP_DOC`)."""
    n = classes.size
    network_policy, admin, baseline = tiers
    m = _union(n, network_policy)
    diagonal = ~rules.isolated | classes.as_node | class_diagonal(m, n)
    decided = None
    if has_admin:
        decided = (_first_match(n, admin), _first_match(n, baseline))
    if peer_major:
        return decide_subject_columns(m, ~rules.isolated, classes.as_node, decided), diagonal
    return decide_tiers(m, ~rules.isolated, classes.as_node, decided), diagonal


def decide_tiers(
    m: Relation,
    open_rows: BoolArray,
    as_node: BoolArray,
    tiers: tuple[tuple[Relation, Relation], tuple[Relation, Relation]] | None,
) -> Relation:
    """One direction's relation from its NetworkPolicy tier ``m`` (rows: subject classes;
    bool or bit-packed): the admin tier's first match (``tiers``: (allow, deny) of the Admin
    and of the Baseline tier, None without admin policies) decides first, then NetworkPolicy
    for isolated rows, then the Baseline tier's deny, then allowed; a class acting as its node
    is never restricted. ``m`` is changed in place when no admin tier applies."""
    every = True if m.dtype == np.bool_ else 0xFF  # a cell, or a byte of eight cells
    if tiers is None:
        m[open_rows] = every
    else:
        (a_allow, a_deny), (_b_allow, b_deny) = tiers
        m[open_rows] = ~b_deny[open_rows]
        m = a_allow | (~(a_allow | a_deny) & m)
    m[as_node] = every
    return m


def decide_subject_columns(
    m: Packed,
    open_subjects: BoolArray,
    as_node: BoolArray,
    tiers: tuple[tuple[Packed, Packed], tuple[Packed, Packed]] | None,
) -> Packed:
    """:func:`decide_tiers` for a relation laid out peer-major (rows: peers, bit-packed
    columns: subject classes): the subject masks act on columns, as one packed row broadcast
    over every row. Padding bits stay 0. ``m`` is changed in place when no admin tier applies."""
    opened, node = np.packbits(open_subjects), np.packbits(as_node)
    if tiers is None:
        m |= opened | node
        return m
    (a_allow, a_deny), (_b_allow, b_deny) = tiers
    m = (m & ~opened) | (~b_deny & opened)
    m = a_allow | (~(a_allow | a_deny) & m)
    m |= node
    return m


def class_cidrs(
    cluster: Cluster,
    admin: Sequence[AdminPolicy] | None = None,
    baseline: Sequence[AdminPolicy] | None = None,
) -> list[str]:
    """Every CIDR a policy peer names (NetworkPolicy ``ipBlock`` and its ``except``, the admin
    tiers' ``networks``): pods on either side of one of them cannot share a class."""
    admin = admin_policies(cluster, "Admin") if admin is None else admin
    baseline = admin_policies(cluster, "Baseline") if baseline is None else baseline
    cidrs = [
        c
        for pol in cluster.network_policies
        for rule in (*pol.ingress, *pol.egress)
        for peer in rule.peers
        if peer.ip_block is not None
        for c in (peer.ip_block.cidr, *peer.ip_block.except_)
    ]
    return cidrs + [
        c
        for pol in (*admin, *baseline)
        for rule in (*pol.ingress, *pol.egress)
        for peer in rule.peers
        for c in peer.networks
    ]


class _Relations:
    """Each direction's relation by signature, built once while kept: a relation leaves once
    its last use (``uses``: how many relation pairs still need it) is served, or, least
    recently used first, once ``RELATION_BUDGET`` bytes are held. The self diagonals (small)
    all stay."""

    def __init__(
        self,
        classes: PodClasses,
        ing: DirectionRules,
        egr: DirectionRules,
        has_admin: bool,
        uses: Counter[tuple[bool, Signature]],
    ) -> None:
        self.classes, self.ing, self.egr, self.has_admin = classes, ing, egr, has_admin
        self.uses = uses
        self.kept: OrderedDict[tuple[bool, Signature], Packed] = OrderedDict()
        self.diagonals: dict[tuple[bool, Signature], BoolArray] = {}

    def of(self, ingress: bool, plan: Plan) -> Packed:
        key = (ingress, plan[0])
        found = self.kept.pop(key, None)
        if found is None:
            rules = self.ing if ingress else self.egr
            found, self.diagonals[key] = _direction(
                self.classes, rules, plan[1], self.has_admin, ingress
            )
        self.uses[key] -= 1
        if self.uses[key] > 0:
            self.kept[key] = found
            while (
                sum(a.nbytes for a in self.kept.values()) > RELATION_BUDGET and len(self.kept) > 1
            ):
                self.kept.popitem(last=False)
        return found


def class_relation(
    cluster: Cluster,
    pods: tuple[Pod, ...],
    columns: tuple[PortKey, ...],
    assumptions: Assumptions,
) -> tuple[PodClasses, dict[PortKey, Packed], dict[PortKey, BoolArray] | None]:
    """The classes of ``pods``, per port the packed class x class allowed relation, and (with
    admin tiers; else None: the relation's diagonal) per port whether a pod of each class may
    reach its own IP, where the admin tiers do not apply."""
    admin = admin_policies(cluster, "Admin")
    baseline = admin_policies(cluster, "Baseline")
    classes = build_classes(cluster, pods, class_cidrs(cluster, admin, baseline), assumptions)
    has_admin = bool(admin or baseline)
    ing = collect_rules(cluster, classes, Direction.INGRESS, admin, baseline, assumptions)
    egr = collect_rules(cluster, classes, Direction.EGRESS, admin, baseline, assumptions)
    plans = {
        port: (_port_cells(ing, port, True), _port_cells(egr, port, False)) for port in columns
    }
    # ports with one ingress signature in a row, so that each relation is built once
    first: dict[Signature, int] = {}
    for port in columns:
        first.setdefault(plans[port][0][0], len(first))
    pairs: dict[tuple[Signature, Signature], tuple[Plan, Plan]] = {}
    for port in sorted(columns, key=lambda p: first[plans[p][0][0]]):
        plan_in, plan_out = plans[port]
        pairs.setdefault((plan_in[0], plan_out[0]), (plan_in, plan_out))
    uses = Counter(key for s_in, s_out in pairs for key in ((True, s_in), (False, s_out)))
    relations = _Relations(classes, ing, egr, has_admin, uses)
    same: dict[tuple[Signature, Signature], Packed] = {}
    for pair, (plan_in, plan_out) in pairs.items():
        both = relations.of(False, plan_out) & relations.of(True, plan_in)
        both.flags.writeable = False
        same[pair] = both
    packed = {port: same[(plans[port][0][0], plans[port][1][0])] for port in columns}
    if not has_admin:
        return classes, packed, None
    return (
        classes,
        packed,
        {
            port: relations.diagonals[(True, plans[port][0][0])]
            & relations.diagonals[(False, plans[port][1][0])]
            for port in columns
        },
    )


def override_pairs(pods: Sequence[Pod], assumptions: Assumptions) -> tuple[IntArray, IntArray]:
    """The pod pairs an assumption allows on every port (see the module docstring), as two
    index arrays (src, dst), unique and sorted by (src, dst)."""
    src: list[int] = []
    dst: list[int] = []
    if assumptions.node_traffic_allowed and assumptions.host_network_as_node:
        by_node: dict[str, list[int]] = {}
        for i, pod in enumerate(pods):
            if pod.node_name:
                by_node.setdefault(pod.node_name, []).append(i)
        for i, pod in enumerate(pods):
            if pod.host_network and pod.node_name:
                mates = by_node[pod.node_name]
                src += [i] * len(mates) + mates
                dst += mates + [i] * len(mates)
    if assumptions.self_traffic_allowed:
        src += range(len(pods))
        dst += range(len(pods))
    n = max(len(pods), 1)
    codes = np.unique(np.asarray(src, dtype=np.int64) * n + np.asarray(dst, dtype=np.int64))
    return codes // n, codes % n
