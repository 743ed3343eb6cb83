"""The fast reachability matrix: every pod pair on every port, computed over classes.

This is the one place reachability is computed; every analysis (matrix, explain, check,
diff, graph, doctor, report, workload folding) queries it. The per-pair evaluator
:func:`podpath.engine.policy.evaluate` only explains one chosen pair and is the test oracle
(property tests compare the two on random clusters).

``reachability(cluster, ports=None, namespaces=None, assumptions=...) -> Matrix``: pods are
grouped into equivalence classes (:mod:`podpath.engine.matrix_classes`), the class x class
relation is computed per port with bit-packed numpy rows (:mod:`podpath.engine.matrix_build`),
and assumptions that act on single pod pairs (a pod to itself; a host-network pod and the
pods of its node) are a sparse list of pod pairs allowed on every port, applied on top of
the class result. Nothing is computed pod pair by pod pair.

Query API (pod indices are positions in ``Matrix.pods``; ``port`` is ``(number, Protocol)``,
one of ``Matrix.ports``)::

    m.is_allowed(i, j, port) -> bool                 # one pair
    m.allowed_ports(i, j) -> tuple[PortKey, ...]     # the ports one pair is allowed on
    m.row(i, port) -> bool[pods]                     # from pod i to every pod
    m.column(j, port) -> bool[pods]                  # to pod j from every pod
    m.rows(sources, port) -> bool[len(sources), pods]  # a few source pods at once
    m.allowed(port) -> bool[pods, pods]              # dense; small inputs only
    m.allowed_classes(port) -> bool[classes, classes]  # the class relation (no overrides)
    m.fold(groups, port) -> Fold                     # groups x groups: some / every pair
    m.fold_counts(groups, port, targets=None, *, exclude_self=False, with_overrides=True)
                                  -> int64[G, H]     # allowed pod pairs per group pair
    m.block(src_pods, dst_pods, port) -> bool[S, D]  # a sub-matrix
    m.self_allowed(port) -> bool[pods]               # each pod to its own IP (no admin tiers)
    m.witness(src_pods, dst_pods, port) -> (i, j) | None  # one allowed pair between groups
    m.override_src, m.override_dst                   # the sparse pod-pair corrections
    m.class_pairs(only=None)                         # (src class, dst classes, ports) groups

``groups`` is a sequence of pod index sequences (e.g. the replicas of each workload, the pods
of each namespace); a pod may be in at most one group. Folding is computed with numpy over
(group, class) counts, never pair by pair: ``counts = M @ A @ M.T`` where ``M[g, c]`` is the
number of pods of class ``c`` in group ``g``, plus the override pairs the class relation
does not already allow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from podpath.cluster import Cluster
from podpath.engine.ip_family import pods_of_family
from podpath.engine.matrix_build import class_relation, override_pairs
from podpath.engine.matrix_classes import BoolArray, IntArray, PodClasses
from podpath.engine.matrix_fold import fold_classes, fold_entries, group_of
from podpath.engine.matrix_self import fold_self, lookup, own_ports, self_fix
from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS, Assumptions
from podpath.model.core import Pod, Protocol

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
class Fold:
    """Group x group verdicts on one port: ``some[a, b]``: some pod pair of group ``a`` to
    group ``b`` is allowed; ``every[a, b]``: every pod pair is (vacuously True when a group
    is empty)."""

    some: BoolArray
    every: BoolArray


@dataclass(frozen=True)
class Matrix:
    """Reachability by policy (see the module docstring for the query API).
    ``packed[port][a]``: the bit-packed row of class ``a`` (MSB first); ``override_src[k]``
    may reach ``override_dst[k]`` on every port (sorted by (src, dst), unique)."""

    pods: tuple[Pod, ...]
    ports: tuple[PortKey, ...]
    classes: PodClasses
    packed: dict[PortKey, Packed]
    override_src: IntArray
    override_dst: IntArray
    assumptions: Assumptions
    self_classes: dict[PortKey, BoolArray] | None = None
    _by_dst: list[IntArray] = field(default_factory=list, repr=False, compare=False)
    _fixes: dict[PortKey, tuple[IntArray, BoolArray]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _own: list[dict[int, tuple[PortKey, ...]]] = field(
        default_factory=list, repr=False, compare=False
    )

    @property
    def class_count(self) -> int:
        return self.classes.size

    def allowed_classes(self, port: PortKey) -> BoolArray:
        c = self.classes.size
        return np.unpackbits(self.packed[port], axis=1, count=c).astype(bool)

    def _class_bits(self, port: PortKey, a: IntArray, b: IntArray) -> BoolArray:
        row = self.packed[port][a, b >> 3]
        return np.asarray((row >> (7 - (b & 7)).astype(np.uint8)) & 1, dtype=bool)

    def self_fix(self, port: PortKey) -> tuple[IntArray, BoolArray]:
        """(pods, verdicts): the pods whose verdict to their own IP on ``port`` is not their
        class's diagonal, and that verdict (:mod:`podpath.engine.matrix_self`)."""
        found = self._fixes.get(port)
        if found is None:
            same = self.override_src == self.override_dst
            overridden = np.zeros(len(self.pods), dtype=bool)
            overridden[self.override_src[same]] = True
            classes = self.self_classes[port] if self.self_classes is not None else None
            found = self._fixes[port] = self_fix(
                self.packed[port], classes, self.classes.members, overridden
            )
        return found

    def self_ports(self, i: int) -> tuple[PortKey, ...] | None:
        """The ports pod ``i`` reaches its own IP on when not as its class row says, or None."""
        if self.self_classes is None:
            return None
        if not self._own:
            fixes = [self.self_fix(p) for p in self.ports]
            self._own.append(own_ports(fixes, self.ports, self.self_allowed))
        return self._own[0].get(i)

    def extra_from(self, i: int) -> IntArray:
        """The pods that pod ``i`` reaches on every port by a pod-level exception (sorted)."""
        lo, hi = np.searchsorted(self.override_src, (i, i + 1))
        return self.override_dst[lo:hi]

    def _extra_to(self, j: int) -> IntArray:
        if not self._by_dst:
            order = np.lexsort((self.override_src, self.override_dst))
            self._by_dst.extend((self.override_dst[order], self.override_src[order]))
        dst, src = self._by_dst
        lo, hi = np.searchsorted(dst, (j, j + 1))
        return src[lo:hi]

    def is_allowed(self, i: int, j: int, port: PortKey) -> bool:
        """May pod ``i`` open a connection to pod ``j`` on ``port``."""
        extra = self.extra_from(i)
        if len(extra) and j in set(extra.tolist()):
            return True
        if i == j and (fixed := lookup(self.self_fix(port), i)) is not None:
            return fixed
        a, b = int(self.classes.class_of[i]), int(self.classes.class_of[j])
        row = self.packed[port][a]
        return bool((row[b >> 3] >> (7 - (b & 7))) & 1)

    def allowed_ports(self, i: int, j: int) -> tuple[PortKey, ...]:
        """The ports pod ``i`` may reach pod ``j`` on."""
        return tuple(p for p in self.ports if self.is_allowed(i, j, p))

    def row(self, i: int, port: PortKey) -> BoolArray:
        """Verdicts from pod ``i`` to every pod on ``port``."""
        c = self.classes.size
        a = int(self.classes.class_of[i])
        cls_row = np.unpackbits(self.packed[port][a], count=c).astype(bool)
        out = cls_row[self.classes.class_of]
        out[self.extra_from(i)] = True
        if (fixed := lookup(self.self_fix(port), i)) is not None:
            out[i] = fixed
        return out

    def rows(self, sources: Sequence[int], port: PortKey) -> BoolArray:
        """Verdicts from each of ``sources`` to every pod on ``port`` (len(sources) x pods)."""
        src = np.asarray(sources, dtype=np.int64)
        c = self.classes.size
        grid = np.unpackbits(self.packed[port], axis=1, count=c).astype(bool)
        out = grid[np.ix_(self.classes.class_of[src], self.classes.class_of)]
        fix = self.self_fix(port)
        for k, i in enumerate(src.tolist()):
            out[k, self.extra_from(i)] = True
            if (fixed := lookup(fix, i)) is not None:
                out[k, i] = fixed
        return out

    def column(self, j: int, port: PortKey) -> BoolArray:
        """Verdicts to pod ``j`` from every pod on ``port``."""
        b = int(self.classes.class_of[j])
        col = ((self.packed[port][:, b >> 3] >> (7 - (b & 7))) & 1).astype(bool)
        out = col[self.classes.class_of]
        out[self._extra_to(j)] = True
        if (fixed := lookup(self.self_fix(port), j)) is not None:
            out[j] = fixed
        return out

    def allowed(self, port: PortKey) -> BoolArray:
        """The dense pod x pod matrix for one port (pods in ``self.pods`` order)."""
        cls = self.classes.class_of
        out = self.allowed_classes(port)[np.ix_(cls, cls)]
        out[self.override_src, self.override_dst] = True
        pods, values = self.self_fix(port)
        out[pods, pods] = values
        return out

    def block(self, src_pods: Sequence[int], dst_pods: Sequence[int], port: PortKey) -> BoolArray:
        """Verdicts from each of ``src_pods`` to each of ``dst_pods`` (unique indices), as a
        len(src) x len(dst) array."""
        src = np.asarray(src_pods, dtype=np.int64)
        dst = np.asarray(dst_pods, dtype=np.int64)
        cls = self.classes.class_of
        c = self.classes.size
        rows = np.unpackbits(self.packed[port][np.unique(cls[src])], axis=1, count=c)
        where = np.searchsorted(np.unique(cls[src]), cls[src])
        out = rows[np.ix_(where, cls[dst])].astype(bool)
        pos_s = np.full(len(self.pods), -1, dtype=np.int64)
        pos_d = np.full(len(self.pods), -1, dtype=np.int64)
        pos_s[src] = np.arange(len(src))
        pos_d[dst] = np.arange(len(dst))
        ps, pd = pos_s[self.override_src], pos_d[self.override_dst]
        keep = (ps >= 0) & (pd >= 0)
        out[ps[keep], pd[keep]] = True
        pods, values = self.self_fix(port)
        ps, pd = pos_s[pods], pos_d[pods]
        keep = (ps >= 0) & (pd >= 0)
        out[ps[keep], pd[keep]] = values[keep]
        return out

    def self_allowed(self, port: PortKey) -> BoolArray:
        """Per pod, whether it may open a connection to itself on ``port``."""
        cls = self.classes.class_of
        out = self._class_bits(port, cls, cls)
        same = self.override_src == self.override_dst
        out[self.override_src[same]] = True
        pods, values = self.self_fix(port)
        out[pods] = values
        return out

    def fold_counts(
        self,
        groups: Sequence[Sequence[int]],
        port: PortKey,
        targets: Sequence[Sequence[int]] | None = None,
        *,
        exclude_self: bool = False,
        with_overrides: bool = True,
    ) -> IntArray:
        """Per (source group, target group), how many of its pod pairs are allowed on
        ``port`` (len(groups) x len(targets); ``targets`` default: ``groups``). A pod may be
        in at most one group of each side. ``exclude_self``: a pod to itself is not counted;
        ``with_overrides=False``: the class relation only (no assumption pod pairs)."""
        dst_groups = groups if targets is None else targets
        c = self.classes.size
        class_of = self.classes.class_of
        src_of = group_of(groups, len(self.pods))
        dst_of = src_of if targets is None else group_of(dst_groups, len(self.pods))
        out = np.zeros((len(groups), len(dst_groups)), dtype=np.int64)
        s_g, s_c, s_n = fold_entries(src_of, class_of, c)
        d_g, d_c, d_n = fold_entries(dst_of, class_of, c)
        if len(s_g) and len(d_g):
            fold_classes(self.packed[port], c, (s_g, s_c, s_n), (d_g, d_c, d_n), out)
        if with_overrides:
            src, dst = self.override_src, self.override_dst
            gs, gd = src_of[src], dst_of[dst]
            keep = (gs >= 0) & (gd >= 0)
            src, dst, gs, gd = src[keep], dst[keep], gs[keep], gd[keep]
            if len(src):
                known = self._class_bits(port, class_of[src], class_of[dst])
                np.add.at(out, (gs[~known], gd[~known]), 1)
        both = (src_of >= 0) & (dst_of >= 0)
        if exclude_self or self.self_classes is not None:
            class_of = self.classes.class_of
            counted = self._class_bits(port, class_of, class_of)
            own = self.self_classes[port][class_of] if self.self_classes else counted.copy()
            if with_overrides:
                same = self.override_src == self.override_dst
                counted[self.override_src[same]] = own[self.override_src[same]] = True
            fold_self(out, (src_of, dst_of), both, counted, None if exclude_self else own)
        return out

    def fold(
        self,
        groups: Sequence[Sequence[int]],
        port: PortKey,
        targets: Sequence[Sequence[int]] | None = None,
        *,
        exclude_self: bool = False,
        with_overrides: bool = True,
    ) -> Fold:
        """Group x group ``some`` / ``every`` verdicts on ``port`` (see :class:`Fold`;
        arguments as :meth:`fold_counts`; with ``exclude_self`` a pod's pair with itself is
        not among the pairs)."""
        dst = groups if targets is None else targets
        counts = self.fold_counts(
            groups, port, targets, exclude_self=exclude_self, with_overrides=with_overrides
        )
        sizes = [np.asarray([len(g) for g in side], dtype=np.int64) for side in (groups, dst)]
        pairs = np.multiply.outer(*sizes)
        if exclude_self:
            src_of = group_of(groups, len(self.pods))
            dst_of = src_of if targets is None else group_of(dst, len(self.pods))
            both = (src_of >= 0) & (dst_of >= 0)
            np.add.at(pairs, (src_of[both], dst_of[both]), -1)
        return Fold(some=counts > 0, every=counts == pairs)

    def witness(
        self, src_pods: Sequence[int], dst_pods: Sequence[int], port: PortKey
    ) -> tuple[int, int] | None:
        """One allowed pair (first source pod, then first destination pod, in the given
        order) from ``src_pods`` to ``dst_pods`` on ``port``, or None."""
        if not len(src_pods) or not len(dst_pods):
            return None
        src = np.asarray(src_pods, dtype=np.int64)
        dst = np.asarray(dst_pods, dtype=np.int64)
        for i in src.tolist():
            hits = np.flatnonzero(self.row(i, port)[dst])
            if len(hits):
                return i, int(dst[hits[0]])
        return None

    def class_pairs(
        self, only: int | None = None
    ) -> Iterator[tuple[int, npt.NDArray[np.int64], tuple[PortKey, ...]]]:
        """Per source class (or just ``only``): groups of destination classes sharing the
        same non-empty set of allowed ports, as ``(src_class, dst_classes, ports)``. Class
        level only: the override pairs are not included."""
        c = self.classes.size
        if not self.ports or c == 0:
            return
        sources = range(c) if only is None else (only,)
        tables = [self.packed[p] for p in self.ports]
        for a in sources:
            packed = np.stack([t[a] for t in tables])  # ports x bytes of the class row
            live = np.flatnonzero(np.bitwise_or.reduce(packed, axis=0))
            if not len(live):
                continue
            bits = np.unpackbits(packed[:, live], axis=1).astype(bool)  # only bytes with a bit
            columns = (live[:, None] * 8 + np.arange(8)).ravel()
            hit = bits.any(axis=0) & (columns < c)
            columns, bits = columns[hit], bits[:, hit]
            keys = np.ascontiguousarray(np.packbits(bits, axis=0).T)
            _, first, inverse = np.unique(
                keys.view(np.dtype((np.void, keys.shape[1]))).ravel(),
                return_index=True,
                return_inverse=True,
            )
            order = np.argsort(inverse.ravel(), kind="stable")
            bounds = np.cumsum(np.bincount(inverse.ravel(), minlength=len(first)))[:-1]
            groups = np.split(columns[order], bounds)
            for u in np.argsort(first, kind="stable").tolist():  # by their first column
                ports = tuple(p for k, p in enumerate(self.ports) if bits[k, first[u]])
                yield a, groups[u].astype(np.int64), ports


def reachability(
    cluster: Cluster,
    ports: Sequence[PortKey] | None = None,
    namespaces: Sequence[str] | None = None,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
    family: int | None = None,
) -> Matrix:
    """The pod x pod reachability by policy on each port (default: every declared
    container port), over the pods of ``namespaces`` (default: all); ``family`` (4, 6): the
    connections of that IP family, over the pods with an address of it, by that address only
    (:func:`podpath.engine.ip_family.pods_of_family`). See the module doc."""
    pods = pods_of_family(cluster.pods, family)[0]
    if namespaces:
        wanted = set(namespaces)
        pods = tuple(p for p in pods if p.namespace in wanted)
    columns = tuple(ports) if ports is not None else declared_ports(cluster.pods)
    classes, packed, self_classes = class_relation(cluster, pods, columns, assumptions)
    src, dst = override_pairs(pods, assumptions)
    return Matrix(
        pods=pods,
        ports=columns,
        classes=classes,
        packed=packed,
        override_src=src,
        override_dst=dst,
        assumptions=assumptions,
        self_classes=self_classes,
    )
