"""The class x class relation behind :class:`podpath.engine.matrix.Matrix`, and the sparse
pod-level corrections on top of it.

Per direction, a class x class relation whose row is the class whose policies decide
(ingress: destination, egress: source): each rule ORs its peer mask into the rows of the
classes it selects, for the ports it applies to (named ports resolved per destination); the
admin tiers run first-match over their ordered rules (Allow/Deny/Pass), NetworkPolicy decides
isolated rows, the Baseline tier and the default the others. allowed = egress[src][dst] AND
ingress[dst][src] (ingress transposed by 8x8 bit blocks). Semantics follow
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

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix_classes import BoolArray, PodClasses, build_classes
from podpath.engine.matrix_rules import DirectionRules, RuleMask, collect_rules
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


_REVERSED_BITS = np.array([int(f"{i:08b}"[::-1], 2) for i in range(256)], dtype=np.uint8)
_M1, _M2, _M3 = (np.uint64(v) for v in (0x00AA00AA00AA00AA, 0x0000CCCC0000CCCC, 0xF0F0F0F0))
_S1, _S2, _S3 = np.uint64(7), np.uint64(14), np.uint64(28)


def _transpose(m: Packed, n: int) -> Packed:
    """Transpose an n x n bit-packed matrix: 8x8 bit blocks as uint64 words, transposed in
    place with the three mask-and-shift rounds (Hacker's Delight 7-3), then the grid of
    blocks transposed. Bytes are bit-reversed around it (packbits is MSB-first)."""
    w = m.shape[1]
    rows = 8 * w
    padded = np.zeros((rows, w), dtype=np.uint8)
    padded[:n] = m[:n]
    blocks = _REVERSED_BITS[padded].reshape(w, 8, w).transpose(0, 2, 1).copy()
    x: npt.NDArray[np.uint64] = blocks.view(np.uint64).reshape(w, w)
    t = (x ^ (x >> _S1)) & _M1
    x = x ^ t ^ (t << _S1)
    t = (x ^ (x >> _S2)) & _M2
    x = x ^ t ^ (t << _S2)
    t = (x ^ (x >> _S3)) & _M3
    x = x ^ t ^ (t << _S3)
    y = np.ascontiguousarray(x.T)
    out = _REVERSED_BITS[y.view(np.uint8).reshape(w, w, 8).transpose(0, 2, 1).reshape(rows, w)]
    return np.ascontiguousarray(out[:n])


TRANSPOSE_BUDGET = 1 << 30  # bytes of transposed ingress relations kept for reuse


def _digest(m: Packed) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(m).data, digest_size=16).digest()


class _Transposes:
    """Transposed ingress relations by content: ports whose ingress relation is the same
    (most ports of a cluster share their rules) are transposed once. Least recently used
    entries leave once ``budget`` bytes are held."""

    def __init__(self, n: int, budget: int | None = None) -> None:
        self.n, self.held = n, 0
        self.budget = TRANSPOSE_BUDGET if budget is None else budget
        self.kept: OrderedDict[bytes, Packed] = OrderedDict()

    def of(self, m: Packed) -> tuple[bytes, Packed]:
        key = _digest(m)
        found = self.kept.get(key)
        if found is not None:
            self.kept.move_to_end(key)
            return key, found
        found = _transpose(m, self.n)
        self.kept[key] = found
        self.held += found.nbytes
        while self.held > self.budget and len(self.kept) > 1:
            self.held -= self.kept.popitem(last=False)[1].nbytes
        return key, found


def _direction(
    classes: PodClasses,
    rules: DirectionRules,
    ports: tuple[PortKey, ...],
    has_admin: bool,
    diagonals: dict[PortKey, BoolArray] | None = None,
) -> dict[PortKey, Packed]:
    """Per port, the packed relation [subject class][other class] for one direction; with
    admin tiers, ``diagonals[port]`` gets the relation of each class to itself WITHOUT them
    (NetworkPolicy tier, else allowed): a pod to its own IP is not subject to the admin tiers
    (:data:`podpath.engine.policy.SELF_CNP_DOC`)."""
    n = classes.size
    out: dict[PortKey, Packed] = {}
    np_all = _packed_rows(n)
    for rule in rules.network_policy:
        if rule.all_ports:
            np_all[rule.rows] |= rule.cols_for(None)
    iso = rules.isolated
    by_port: dict[PortKey, list[RuleMask]] = {}
    generic: list[RuleMask] = []
    for rule in rules.network_policy:
        if rule.all_ports:
            continue
        numbers = rule.numbers()
        if numbers is None:
            generic.append(rule)
        else:
            for key in numbers:
                by_port.setdefault(key, []).append(rule)
    for port in ports:
        m = np_all.copy()
        for rule in (*by_port.get(port, ()), *generic):
            rows, cols = rule.applies(port)
            if rows is not None and cols is not None:
                m[rows] |= cols
        tiers = None
        if has_admin:
            if diagonals is not None:
                diagonals[port] = ~iso | classes.as_node | class_diagonal(m, n)
            tiers = (
                rules.first_match(rules.admin, port, n),
                rules.first_match(rules.baseline, port, n),
            )
        out[port] = decide_tiers(m, ~iso, classes.as_node, tiers)
    return out


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
    n = classes.size
    packed: dict[PortKey, Packed] = {}
    diag_in: dict[PortKey, BoolArray] = {}
    diag_out: dict[PortKey, BoolArray] = {}
    transposes = _Transposes(n)
    same: dict[tuple[bytes, bytes], Packed] = {}  # ports with one relation share one array
    for port in columns:
        ingress = _direction(classes, ing, (port,), has_admin, diag_in)[port]
        egress = _direction(classes, egr, (port,), has_admin, diag_out)[port]
        key_in, ingress_t = transposes.of(ingress)
        key = (key_in, _digest(egress))
        if key not in same:
            same[key] = egress & ingress_t
            same[key].flags.writeable = False
        packed[port] = same[key]
        del ingress, egress, ingress_t
    if not has_admin:
        return classes, packed, None
    return classes, packed, {port: diag_in[port] & diag_out[port] for port in columns}


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
