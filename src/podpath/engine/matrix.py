"""The fast reachability matrix: every pod pair on every port, computed over classes.

``reachability(cluster, ports=None, namespaces=None) -> Matrix``. Same semantics as
:func:`podpath.engine.policy.evaluate` (property tests compare the two on random clusters),
computed over equivalence classes of pods (:mod:`podpath.engine.matrix_classes`) with
bit-packed numpy rows, never pod pair by pod pair:

- per direction, a class x class relation whose row is the pod whose policies decide
  (ingress: destination, egress: source): each rule ORs its peer mask into the rows of the
  classes it selects, for the ports it applies to (named ports resolved per destination);
- the admin tiers run first-match over their ordered rules (Allow/Deny/Pass), NetworkPolicy
  decides isolated rows, the Baseline tier and the default the others;
- allowed = egress[src][dst] AND ingress[dst][src] (ingress transposed by blocks);
- assumptions that act on single pod pairs (node <-> its host-network pods, a pod to itself)
  are kept as pod-level overrides.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix_classes import BoolArray, PodClasses, build_classes
from podpath.engine.matrix_rules import DirectionRules, RuleMask, collect_rules
from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, Assumptions
from podpath.model.core import Pod, Protocol
from podpath.model.policy import Direction

PortKey = tuple[int, Protocol]
Packed = npt.NDArray[np.uint8]


def port_label(port: PortKey) -> str:
    """``80/TCP``: the canonical text of a matrix column."""
    return f"{port[0]}/{port[1].value}"


def declared_ports(pods: Sequence[Pod]) -> tuple[PortKey, ...]:
    """Every port/protocol some container declares (the default columns), sorted."""
    found = {(p.container_port, p.protocol) for pod in pods for p in pod.ports}
    return tuple(sorted(found, key=lambda k: (k[0], k[1].value)))


@dataclass(frozen=True)
class Matrix:
    """Reachability by policy. ``allowed_classes(port)[a, b]``: may a pod of class ``a`` open
    a connection to a pod of class ``b`` on that port; pod-level views expand it and apply
    ``overrides`` (pod index pairs allowed on every port by an assumption)."""

    pods: tuple[Pod, ...]
    ports: tuple[PortKey, ...]
    classes: PodClasses
    packed: dict[PortKey, Packed]
    overrides: dict[int, frozenset[int]]
    assumptions: Assumptions

    @property
    def class_count(self) -> int:
        return self.classes.size

    def allowed_classes(self, port: PortKey) -> BoolArray:
        c = self.classes.size
        return np.unpackbits(self.packed[port], axis=1, count=c).astype(bool)

    def allowed(self, port: PortKey) -> BoolArray:
        """The pod x pod matrix for one port (pods in ``self.pods`` order)."""
        cls = self.classes.class_of
        out = self.allowed_classes(port)[np.ix_(cls, cls)]
        for i, js in self.overrides.items():
            out[i, list(js)] = True
        return out

    def is_allowed(self, i: int, j: int, port: PortKey) -> bool:
        if j in self.overrides.get(i, ()):
            return True
        a, b = int(self.classes.class_of[i]), int(self.classes.class_of[j])
        row = self.packed[port][a]
        return bool((row[b >> 3] >> (7 - (b & 7))) & 1)

    def class_pairs(
        self, only: int | None = None
    ) -> Iterator[tuple[int, npt.NDArray[np.int64], tuple[PortKey, ...]]]:
        """Per source class (or just ``only``): groups of destination classes sharing the
        same non-empty set of allowed ports, as ``(src_class, dst_classes, ports)``."""
        c = self.classes.size
        if not self.ports or c == 0:
            return
        sources = range(c) if only is None else (only,)
        for a in sources:
            rows = np.stack([np.unpackbits(self.packed[p][a], count=c) for p in self.ports])
            if not rows.any():
                continue
            codes: dict[bytes, list[int]] = {}
            columns = np.flatnonzero(rows.any(axis=0))
            keys = np.packbits(rows[:, columns], axis=0).T
            for col, key in zip(columns.tolist(), keys, strict=True):
                codes.setdefault(key.tobytes(), []).append(col)
            for cols in codes.values():
                ports = tuple(p for k, p in enumerate(self.ports) if rows[k, cols[0]])
                yield a, np.asarray(cols, dtype=np.int64), ports


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


def _direction(
    classes: PodClasses,
    rules: DirectionRules,
    ports: tuple[PortKey, ...],
    has_admin: bool,
) -> dict[PortKey, Packed]:
    """Per port, the packed relation [subject class][other class] for one direction."""
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
        if has_admin:
            a_allow, a_deny = rules.first_match(rules.admin, port, n)
            b_allow, b_deny = rules.first_match(rules.baseline, port, n)
            m[~iso] = ~b_deny[~iso]
            m = a_allow | (~(a_allow | a_deny) & m)
        else:
            m[~iso] = 0xFF
        m[classes.as_node] = 0xFF
        out[port] = m
    return out


def reachability(
    cluster: Cluster,
    ports: Sequence[PortKey] | None = None,
    namespaces: Sequence[str] | None = None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> Matrix:
    """The pod x pod reachability by policy on each port (default: every declared
    container port), over the pods of ``namespaces`` (default: all). See the module doc."""
    pods = cluster.pods
    if namespaces:
        wanted = set(namespaces)
        pods = tuple(p for p in pods if p.namespace in wanted)
    columns = tuple(ports) if ports is not None else declared_ports(cluster.pods)
    admin = admin_policies(cluster, "Admin")
    baseline = admin_policies(cluster, "Baseline")
    cidrs = [
        c
        for pol in cluster.network_policies
        for rule in (*pol.ingress, *pol.egress)
        for peer in rule.peers
        if peer.ip_block is not None
        for c in (peer.ip_block.cidr, *peer.ip_block.except_)
    ]
    cidrs += [
        c
        for pol in (*admin, *baseline)
        for rule in (*pol.ingress, *pol.egress)
        for peer in rule.peers
        for c in peer.networks
    ]
    classes = build_classes(cluster, pods, cidrs, assumptions)
    has_admin = bool(admin or baseline)
    ing = collect_rules(cluster, classes, Direction.INGRESS, admin, baseline, assumptions)
    egr = collect_rules(cluster, classes, Direction.EGRESS, admin, baseline, assumptions)
    n = classes.size
    packed = {}
    for port in columns:
        ingress = _direction(classes, ing, (port,), has_admin)[port]
        egress = _direction(classes, egr, (port,), has_admin)[port]
        packed[port] = egress & _transpose(ingress, n)
        del ingress, egress
    return Matrix(
        pods=pods,
        ports=columns,
        classes=classes,
        packed=packed,
        overrides=_overrides(pods, assumptions),
        assumptions=assumptions,
    )


def _overrides(pods: tuple[Pod, ...], assumptions: Assumptions) -> dict[int, frozenset[int]]:
    """Pod pairs an assumption allows on every port: a host-network pod (as its node) and the
    pods of its node, both ways (``node-traffic-allowed``); a pod and itself
    (``self_traffic_allowed``)."""
    out: dict[int, set[int]] = {}
    if assumptions.node_traffic_allowed and assumptions.host_network_as_node:
        by_node: dict[str, list[int]] = {}
        for i, pod in enumerate(pods):
            if pod.node_name:
                by_node.setdefault(pod.node_name, []).append(i)
        for i, pod in enumerate(pods):
            if pod.host_network and pod.node_name:
                for j in by_node[pod.node_name]:
                    out.setdefault(i, set()).add(j)
                    out.setdefault(j, set()).add(i)
    if assumptions.self_traffic_allowed:
        for i in range(len(pods)):
            out.setdefault(i, set()).add(i)
    return {i: frozenset(js) for i, js in out.items()}
