"""Equivalence classes of pods for the fast matrix, and selector masks over them.

Two pods behave alike under every NetworkPolicy and admin rule when they share: namespace,
labels, named container ports (name, protocol -> number), whether they use the host network
(and then their node), and the IP *segment* of each of their addresses: the pieces of the
address line cut at every CIDR boundary any ipBlock/except/networks peer uses. Policies only
see pods through these facts (see :mod:`podpath.engine.policy`), so a verdict computed for one
member of a class holds for all of them.

Masks are numpy bool arrays over classes; label selectors use an inverted index of
``(key, value)`` pairs, so a selector costs a few vector operations, never a pass over pods.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from podpath.cluster import Cluster
from podpath.engine.policy_rules import namespace_labels_of
from podpath.engine.policy_verdict import Assumptions
from podpath.engine.selectors import selector_matches
from podpath.model.core import LabelSelector, Pod, Protocol, SelectorOperator

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _ranges(cidr: str) -> tuple[int, int, int]:
    """(family, first, last + 1) of a CIDR."""
    net = ipaddress.ip_network(cidr, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address) + 1


@functools.lru_cache(maxsize=1 << 18)  # every class build parses every pod IP again
def _address(ip: str) -> tuple[int, int]:
    addr = ipaddress.ip_address(ip)
    return addr.version, int(addr)


@dataclass
class Segments:
    """The address line of each family cut at every CIDR boundary in use; segment ids are
    global (IPv6 ids follow IPv4's). Every segment lies wholly inside or outside each CIDR."""

    bounds: dict[int, list[int]]
    offset: dict[int, int]
    starts: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, cidrs: Iterable[str]) -> Segments:
        cuts: dict[int, set[int]] = {4: set(), 6: set()}
        for cidr in cidrs:
            fam, lo, hi = _ranges(cidr)
            cuts[fam].update((lo, hi))
        bounds = {fam: sorted(v) for fam, v in cuts.items()}
        offset = {4: 0, 6: len(bounds[4]) + 1}
        starts = {fam: [0, *bounds[fam]] for fam in (4, 6)}
        return cls(bounds, offset, starts)

    @property
    def count(self) -> int:
        return self.offset[6] + len(self.bounds[6]) + 1

    def segment(self, ip: str) -> int:
        fam, value = _address(ip)
        return self.offset[fam] + bisect.bisect_right(self.bounds[fam], value)

    def inside(self, cidr: str) -> BoolArray:
        """Segments inside ``cidr`` (a bool per segment, plus a False sentinel at the end)."""
        fam, lo, hi = _ranges(cidr)
        out = np.zeros(self.count + 1, dtype=bool)
        starts = self.starts[fam]
        first = bisect.bisect_left(starts, lo)
        last = bisect.bisect_left(starts, hi)
        out[self.offset[fam] + first : self.offset[fam] + last] = True
        return out


@dataclass
class PodClasses:
    """Pods grouped into classes, with per-class facts as arrays (index = class id)."""

    pods: tuple[Pod, ...]
    class_of: IntArray
    reps: list[Pod]
    members: list[list[int]]
    ns_id: IntArray
    host_network: BoolArray
    as_node: BoolArray
    seg_table: IntArray  # (C, K) segment ids padded with the sentinel
    segments: Segments
    namespaces: list[str]
    ns_labels: list[Mapping[str, str]]
    _pairs: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    _keys: dict[str, list[int]] = field(default_factory=dict)
    _cache: dict[object, BoolArray] = field(default_factory=dict)
    _ns_index: dict[str, int] = field(default_factory=dict)
    _ns_pairs: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def _namespaces_selected(self, selector: LabelSelector) -> BoolArray:
        """Per namespace, whether ``selector`` selects its labels: matchLabels through an
        inverted index of the namespaces' (key, value) pairs, then the expressions on the
        namespaces left."""
        count = len(self.namespaces)
        if not self._ns_pairs and count:
            for i, lab in enumerate(self.ns_labels):
                for pair in lab.items():
                    self._ns_pairs.setdefault(pair, []).append(i)
        chosen = np.ones(count, dtype=bool)
        for k, v in selector.match_labels.pairs:
            hit = np.zeros(count, dtype=bool)
            hit[self._ns_pairs.get((k, v), [])] = True
            chosen &= hit
        if selector.match_expressions:
            for i in np.flatnonzero(chosen).tolist():
                chosen[i] = selector_matches(selector, self.ns_labels[i])
        return chosen

    @property
    def size(self) -> int:
        return len(self.reps)

    def ones(self) -> BoolArray:
        return np.ones(self.size, dtype=bool)

    def zeros(self) -> BoolArray:
        return np.zeros(self.size, dtype=bool)

    def _indexed(self, idx: list[int] | None) -> BoolArray:
        out = self.zeros()
        if idx:
            out[np.asarray(idx, dtype=np.int64)] = True
        return out

    def pod_selector_mask(self, selector: LabelSelector) -> BoolArray:
        """Classes whose labels ``selector`` selects (empty selects all), via the index."""
        key = ("pod", selector)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        mask = self.ones()
        for k, v in selector.match_labels.pairs:
            mask &= self._indexed(self._pairs.get((k, v)))
        for req in selector.match_expressions:
            if req.operator in (SelectorOperator.EXISTS, SelectorOperator.DOES_NOT_EXIST):
                has = self._indexed(self._keys.get(req.key))
                mask &= has if req.operator is SelectorOperator.EXISTS else ~has
                continue
            any_value = self.zeros()
            for value in req.values:
                any_value |= self._indexed(self._pairs.get((req.key, value)))
            mask &= any_value if req.operator is SelectorOperator.IN else ~any_value
        self._cache[key] = mask
        return mask

    def namespace_selector_mask(self, selector: LabelSelector) -> BoolArray:
        """Classes in the namespaces ``selector`` selects (by the namespaces' labels)."""
        key = ("ns", selector)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        chosen = self._namespaces_selected(selector)
        mask = chosen[self.ns_id] if len(chosen) else self.zeros()
        self._cache[key] = mask
        return mask

    def namespace_mask(self, namespace: str) -> BoolArray:
        key = ("in", namespace)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if not self._ns_index:
            self._ns_index.update((n, i) for i, n in enumerate(self.namespaces))
        found = self._ns_index.get(namespace)
        mask = self.ns_id == found if found is not None else self.zeros()
        self._cache[key] = mask
        return mask

    def cidr_mask(self, cidr: str, excepts: tuple[str, ...] = ()) -> BoolArray:
        """Classes with an address inside ``cidr`` and outside every ``except``."""
        key = ("cidr", cidr, excepts)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        seg = self.segments.inside(cidr)
        for ex in excepts:
            seg &= ~self.segments.inside(ex)
        seg[-1] = False
        mask: BoolArray = (
            np.asarray(seg[self.seg_table].any(axis=1), dtype=bool)
            if self.seg_table.shape[1]
            else self.zeros()
        )
        self._cache[key] = mask
        return mask

    def named_port(self, name: str, protocol: Protocol) -> IntArray:
        """Per class, the container port called ``name`` with ``protocol`` (0: none)."""
        key = ("named", name, protocol)
        cached = self._cache.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        out = np.array([r.find_named_port(name, protocol) or 0 for r in self.reps], np.int64)
        self._cache[key] = out  # type: ignore[assignment]
        return out

    def named_port_is(self, name: str, protocol: Protocol, number: int) -> BoolArray | None:
        """The classes whose container port ``name`` with ``protocol`` is ``number``, or None
        when no class has it (the common case: a rule asked about another port)."""
        key = ("named-is", name, protocol, number)
        if key not in self._cache:
            hit = self.named_port(name, protocol) == number
            self._cache[key] = hit if hit.any() else None  # type: ignore[assignment]
        return self._cache[key]


def _named_ports(pod: Pod) -> tuple[tuple[str, str, int], ...]:
    seen: dict[tuple[str, str], int] = {}
    for port in pod.ports:
        if port.name is not None:
            seen.setdefault((port.name, port.protocol.value), port.container_port)
    return tuple(sorted((n, p, v) for (n, p), v in seen.items()))


def build_classes(
    cluster: Cluster,
    pods: tuple[Pod, ...],
    cidrs: Iterable[str],
    assumptions: Assumptions,
) -> PodClasses:
    """Group ``pods`` into classes (see the module docstring)."""
    segments = Segments.build(cidrs)
    namespaces = sorted({n.name for n in cluster.namespaces} | {p.namespace for p in pods})
    ns_index = {n: i for i, n in enumerate(namespaces)}
    keys: dict[tuple[object, ...], int] = {}
    class_of = np.empty(len(pods), dtype=np.int64)
    reps: list[Pod] = []
    members: list[list[int]] = []
    seg_rows: list[tuple[int, ...]] = []
    for i, pod in enumerate(pods):
        segs = tuple(sorted({segments.segment(ip) for ip in pod.ips}))
        node = pod.node_name if pod.host_network else None
        key = (pod.namespace, pod.labels, _named_ports(pod), pod.host_network, node, segs)
        cid = keys.get(key)
        if cid is None:
            cid = keys[key] = len(reps)
            reps.append(pod)
            members.append([])
            seg_rows.append(segs)
        members[cid].append(i)
        class_of[i] = cid
    width = max((len(s) for s in seg_rows), default=0)
    sentinel = segments.count
    seg_table = np.full((len(reps), width), sentinel, dtype=np.int64)
    for c, segs in enumerate(seg_rows):
        seg_table[c, : len(segs)] = segs
    host = np.array([r.host_network for r in reps], dtype=bool)
    classes = PodClasses(
        pods=pods,
        class_of=class_of,
        reps=reps,
        members=members,
        ns_id=np.array([ns_index[r.namespace] for r in reps], dtype=np.int64),
        host_network=host,
        as_node=host & assumptions.host_network_as_node,
        seg_table=seg_table,
        segments=segments,
        namespaces=namespaces,
        ns_labels=[namespace_labels_of(cluster, n) for n in namespaces],
    )
    for c, rep in enumerate(reps):
        for k, v in rep.labels.pairs:
            classes._pairs.setdefault((k, v), []).append(c)
            classes._keys.setdefault(k, []).append(c)
    return classes
