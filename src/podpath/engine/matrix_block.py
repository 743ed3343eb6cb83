"""Blocks of the class x class relation, without the whole matrix.

:func:`podpath.engine.matrix.reachability` computes the relation between every two classes
on every port. A question about a few classes (the pods a change touches, as in ``podpath
diff``) needs only their rows and columns: :class:`ClassBlocks` collects the rules once
(:func:`podpath.engine.matrix_rules.collect_rules`) and computes, per port, the cells of a
block ``src classes x dst classes`` with the same semantics as
:mod:`podpath.engine.matrix_build` (allowed = egress[src][dst] AND ingress[dst][src]; per
direction NetworkPolicy rules OR their peers into the classes they select, the admin tiers
run first-match over their ordered rules, NetworkPolicy decides isolated rows, the Baseline
tier and the default the others; a class acting as its node is never restricted). Only the
rules with a cell in the block are visited, so a block of a few rows costs a few rules.
Class level only: the pod-level assumption pairs (:func:`override_pairs`) are not included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_policies
from podpath.engine.matrix_build import class_cidrs, decide_tiers
from podpath.engine.matrix_classes import BoolArray, IntArray, PodClasses, build_classes
from podpath.engine.matrix_rules import DirectionRules, RuleMask, collect_rules
from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, Assumptions
from podpath.model.core import Pod, Protocol
from podpath.model.policy import Direction

PortKey = tuple[int, Protocol]


@dataclass(frozen=True)
class _Relevant:
    """The rules of one direction with a cell in a (rows, cols) block, with the block
    positions of their rows and columns."""

    network_policy: list[tuple[RuleMask, IntArray, IntArray]]
    admin: list[tuple[RuleMask, IntArray, IntArray]]
    baseline: list[tuple[RuleMask, IntArray, IntArray]]


def _relevant(
    rules: Sequence[RuleMask], rows: IntArray, cols: IntArray
) -> list[tuple[RuleMask, IntArray, IntArray]]:
    out = []
    small_rows = len(rows) <= len(cols)
    for rule in rules:
        if small_rows:
            r = np.flatnonzero(rule.rows[rows])
            if not len(r):
                continue
            c = np.flatnonzero(rule.cols[cols])
        else:
            c = np.flatnonzero(rule.cols[cols])
            if not len(c):
                continue
            r = np.flatnonzero(rule.rows[rows])
        if len(r) and len(c):
            out.append((rule, r, c))
    return out


def _cells(
    rule: RuleMask, r: IntArray, c: IntArray, port: PortKey, rows: IntArray, cols: IntArray
) -> tuple[IntArray, IntArray] | None:
    """The block positions (rows, cols) a rule applies to on ``port``, or None."""
    cells = rule.on_port(port)
    if cells is None:
        return None
    on_rows, on_cols = cells
    if on_rows is not rule.rows:  # a named port narrowed the rows
        r = r[on_rows[rows[r]]]
    if on_cols is not rule.cols:  # a named port narrowed the columns
        c = c[on_cols[cols[c]]]
    if not len(r) or not len(c):
        return None
    return r, c


def _first_match(
    rules: list[tuple[RuleMask, IntArray, IntArray]],
    port: PortKey,
    rows: IntArray,
    cols: IntArray,
) -> tuple[BoolArray, BoolArray]:
    """(allow, deny) cells of the block decided by the first matching rule of a tier."""
    shape = (len(rows), len(cols))
    decided = np.zeros(shape, dtype=bool)
    allow = np.zeros(shape, dtype=bool)
    deny = np.zeros(shape, dtype=bool)
    for rule, r0, c0 in rules:
        cells = _cells(rule, r0, c0, port, rows, cols)
        if cells is None:
            continue
        sub = np.ix_(*cells)
        new = ~decided[sub]
        if rule.verdict == "Allow":
            allow[sub] |= new
        elif rule.verdict == "Deny":
            deny[sub] |= new
        decided[sub] = True
    return allow, deny


def _direction_block(
    classes: PodClasses,
    rules: DirectionRules,
    relevant: _Relevant,
    port: PortKey,
    has_admin: bool,
    rows: IntArray,
    cols: IntArray,
) -> BoolArray:
    """One direction's relation [subject class][other class] on the block, as
    :func:`podpath.engine.matrix_build.class_relation` computes it for the whole matrix."""
    m = np.zeros((len(rows), len(cols)), dtype=bool)
    for rule, r0, c0 in relevant.network_policy:
        cells = _cells(rule, r0, c0, port, rows, cols)
        if cells is not None:
            m[np.ix_(*cells)] = True
    tiers = None
    if has_admin:
        tiers = (
            _first_match(relevant.admin, port, rows, cols),
            _first_match(relevant.baseline, port, rows, cols),
        )
    return decide_tiers(m, ~rules.isolated[rows], classes.as_node[rows], tiers)


def pod_classes(
    cluster: Cluster,
    pods: tuple[Pod, ...] | None = None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
) -> PodClasses:
    """The classes of ``pods`` (default: every pod) as the matrix builds them."""
    pods = cluster.pods if pods is None else pods
    return build_classes(cluster, pods, class_cidrs(cluster), assumptions)


class ClassBlocks:
    """The class relation of one cluster, computed block by block (see the module doc)."""

    def __init__(
        self,
        cluster: Cluster,
        pods: tuple[Pod, ...] | None = None,
        assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
        classes: PodClasses | None = None,
        focus: Sequence[int] | IntArray | None = None,
    ) -> None:
        """``classes``: the classes of ``pods`` when already built (:func:`pod_classes`);
        ``focus``: when given, :meth:`blocks` answers only blocks whose rows or whose
        columns are all focus classes, and the rules are collected for those only."""
        admin = admin_policies(cluster, "Admin")
        baseline = admin_policies(cluster, "Baseline")
        if classes is None:
            classes = pod_classes(cluster, pods, assumptions)
        self.classes = classes
        self.has_admin = bool(admin or baseline)
        self.focus: BoolArray | None = None
        if focus is not None:
            self.focus = classes.zeros()
            self.focus[np.asarray(focus, dtype=np.int64)] = True
        self.ingress = collect_rules(
            cluster, classes, Direction.INGRESS, admin, baseline, assumptions, self.focus
        )
        self.egress = collect_rules(
            cluster, classes, Direction.EGRESS, admin, baseline, assumptions, self.focus
        )

    def _relevant(self, rules: DirectionRules, rows: IntArray, cols: IntArray) -> _Relevant:
        return _Relevant(
            _relevant(rules.network_policy, rows, cols),
            _relevant(rules.admin, rows, cols),
            _relevant(rules.baseline, rows, cols),
        )

    def blocks(
        self, ports: Sequence[PortKey], src: Sequence[int] | IntArray, dst: Sequence[int] | IntArray
    ) -> dict[PortKey, BoolArray]:
        """Per port, ``out[a, b]``: may a pod of class ``src[a]`` open a connection to a pod
        of class ``dst[b]`` (class level; indices as given, repeats allowed)."""
        s = np.asarray(src, dtype=np.int64)
        d = np.asarray(dst, dtype=np.int64)
        if self.focus is not None and not (self.focus[s].all() or self.focus[d].all()):
            raise ValueError("a block needs its rows or its columns in the focus")
        egr = self._relevant(self.egress, s, d)
        ing = self._relevant(self.ingress, d, s)
        out: dict[PortKey, BoolArray] = {}
        for port in ports:
            e = _direction_block(self.classes, self.egress, egr, port, self.has_admin, s, d)
            i = _direction_block(self.classes, self.ingress, ing, port, self.has_admin, d, s)
            out[port] = e & i.T
        return out
