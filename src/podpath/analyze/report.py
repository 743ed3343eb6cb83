"""The one-page overview behind ``podpath report``: every layer summarised from its engine.

Sections (plain, JSON-ready data; the terminal and HTML renderers decide the layout):

- ``summary``: counts of namespaces, nodes, pods, Services, policies, routes and findings;
- ``namespaces``: per namespace its pods and Services, and how many of its pods are isolated
  for ingress/egress (:func:`podpath.engine.policy.is_isolated`);
- ``reachability``: per (source namespace, destination namespace) the pod pairs allowed on
  at least one port the destination declares, from the fast matrix
  (:func:`podpath.engine.matrix.reachability`);
- ``dns``: records per type in the cluster zone (:func:`podpath.engine.dns.zone_records`);
- ``routes``: the routing table (:func:`podpath.analyze.routes.routing_table`);
- ``findings``: the doctor's ranked findings (:func:`podpath.analyze.doctor.diagnose`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.context import EPOCH, BaselineConfig, DoctorContext
from podpath.analyze.provider_routes import load_balancer_rows
from podpath.analyze.routes import routing_table
from podpath.cluster import Cluster
from podpath.engine.dns import zone_records
from podpath.engine.matrix import Matrix, reachability
from podpath.engine.policy_rules import policy_selects_pod
from podpath.engine.providers.base import Choice
from podpath.model.core import Pod
from podpath.model.policy import Direction, NetworkPolicy

CHUNK = 512  # source classes folded at once (bounds the float block's memory)


def namespace_rows(cluster: Cluster) -> list[dict[str, Any]]:
    """Pods, Services and isolation counts per namespace (isolated: some policy of its
    namespace selects the pod and lists the direction, :func:`is_isolated`; each namespace's
    policies looked up once)."""
    pods_of: dict[str, list[Pod]] = {}
    for p in cluster.pods:
        pods_of.setdefault(p.namespace, []).append(p)
    policies_of: dict[str, list[NetworkPolicy]] = {}
    for pol in cluster.network_policies:
        policies_of.setdefault(pol.namespace, []).append(pol)
    services = Counter(s.namespace for s in cluster.services)
    rows = []
    for ns in cluster.namespaces:
        pods = pods_of.get(ns.name, [])
        subjects = [p for p in pods if not p.host_network]
        local = policies_of.get(ns.name, [])
        rows.append(
            {
                "namespace": ns.name,
                "pods": len(pods),
                "services": services[ns.name],
                "network_policies": len(local),
                "ingress_isolated": _isolated(subjects, local, Direction.INGRESS),
                "egress_isolated": _isolated(subjects, local, Direction.EGRESS),
            }
        )
    return rows


def _isolated(pods: list[Pod], policies: list[NetworkPolicy], direction: Direction) -> int:
    chosen = [pol for pol in policies if direction in pol.policy_types]
    return sum(1 for p in pods if any(policy_selects_pod(x, p) for x in chosen))


def namespace_reachability(cluster: Cluster, matrix: Matrix | None = None) -> list[dict[str, Any]]:
    """Allowed pod pairs between namespaces on ports the destination declares (a pod to
    itself not counted), folded over the matrix engine's classes: destination pods are keyed
    by (class, declared ports), the class relation OR-ed over those ports gives each key's
    sources, and ``counts = S @ U @ D`` sums them per namespace pair (``S``: pods of each
    class per source namespace, ``D``: pods of each key per destination namespace). The
    sparse pod-pair corrections (:attr:`Matrix.override_src`) are added where the class
    relation does not already allow them. Nothing is computed pair by pair."""
    if not cluster.pods:
        return []
    m = matrix if matrix is not None else reachability(cluster)
    pods, class_of = m.pods, m.classes.class_of
    port_pos = {port: k for k, port in enumerate(m.ports)}
    sig = [
        frozenset(
            port_pos[pk] for cp in p.ports if (pk := (cp.container_port, cp.protocol)) in port_pos
        )
        for p in pods
    ]
    names = sorted({p.namespace for p in pods})
    ns_pos = {ns: i for i, ns in enumerate(names)}
    ns_of = np.array([ns_pos[p.namespace] for p in pods], dtype=np.int64)
    keys: dict[tuple[int, int, frozenset[int]], int] = {}  # (namespace, class, ports)
    key_of = np.array(
        [
            keys.setdefault((int(ns_of[j]), int(class_of[j]), sig[j]), len(keys))
            for j in range(len(pods))
        ],
        dtype=np.int64,
    )
    key_list = list(keys)
    key_ns = np.array([k[0] for k in key_list], dtype=np.int64)
    key_cls = np.array([k[1] for k in key_list], dtype=np.int64)
    c = m.classes.size
    # per port, the keys whose pods declare it (a source class reaches a key on some of them)
    port_keys = [
        np.array([k for k, key in enumerate(key_list) if q in key[2]], dtype=np.int64)
        for q in range(len(m.ports))
    ]
    order = np.argsort(key_ns, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(key_ns[order]) != 0])
    # pod counts, summed per destination namespace as differences of running sums along the
    # row (int32 is exact: a row's sum is at most the number of pods)
    weight = np.bincount(key_of, minlength=len(keys)).astype(np.int32)[order]
    present = key_ns[order][starts]
    ends = np.r_[starts[1:], len(order)] - 1
    by_class = np.argsort(class_of, kind="stable")  # pods in class order
    bounds = np.searchsorted(class_of[by_class], np.arange(0, c + CHUNK, CHUNK))
    pair_sums = np.zeros((len(names), len(names)), dtype=np.float64)
    relations = _relations(m, port_keys)
    for n, r0 in enumerate(range(0, c, CHUNK)):  # a block of source classes at a time
        r1 = min(c, r0 + CHUNK)
        union = np.zeros((r1 - r0, len(keys)), dtype=bool)  # class -> key: some port
        for rel, ks in relations:
            bits = np.unpackbits(rel[r0:r1], axis=1, count=c)
            union[:, ks] |= bits[:, key_cls[ks]].astype(bool)
        per_ns = np.zeros((r1 - r0, len(names)), dtype=np.float32)  # class -> dst namespace
        running = np.cumsum(union[:, order] * weight, axis=1, dtype=np.int32)
        sums = running[:, ends]
        sums[:, 1:] -= running[:, ends[:-1]]
        per_ns[:, present] = sums  # float32 is exact: a pod count of one namespace (< 2**24)
        pods_in = by_class[bounds[n] : bounds[n + 1]]
        # the (namespace, class) entries of these pods with their pod counts: each adds its
        # class's row, weighted (a sparse ``S @ per_ns``; a class is mostly one namespace's)
        pairs, count = np.unique(ns_of[pods_in] * c + class_of[pods_in], return_counts=True)
        rows_ns, rows_cls = pairs // c, pairs % c - r0
        np.add.at(pair_sums, rows_ns, per_ns[rows_cls].astype(np.float64) * count[:, None])
    counts = np.rint(pair_sums).astype(np.int64)
    selfs = _reaches(m, port_keys, key_cls, class_of, key_of)  # each pod to itself: take off
    np.subtract.at(counts, (ns_of[selfs], ns_of[selfs]), 1)
    src_i, dst_j = m.override_src, m.override_dst
    known = _reaches(m, port_keys, key_cls, class_of[src_i], key_of[dst_j])
    for i, j, hit in zip(src_i.tolist(), dst_j.tolist(), known.tolist(), strict=True):
        if i != j and sig[j] and not hit:
            counts[ns_of[i], ns_of[j]] += 1
    sizes = np.bincount(ns_of, minlength=len(names))
    rows = []
    for a, b in zip(*np.nonzero(counts), strict=True):
        total = int(sizes[a] * sizes[b] - (sizes[a] if a == b else 0))
        rows.append(
            {"from": names[a], "to": names[b], "allowed_pairs": int(counts[a, b]), "pairs": total}
        )
    return rows


def _relations(
    m: Matrix, port_keys: list[npt.NDArray[np.int64]]
) -> list[tuple[Any, npt.NDArray[np.int64]]]:
    """(relation, keys) per distinct class relation: ports whose relation is one array (the
    engine shares equal ones) are read once, for the keys of all of them."""
    shared: dict[int, tuple[Any, list[npt.NDArray[np.int64]]]] = {}
    for port, ks in zip(m.ports, port_keys, strict=True):
        if len(ks):
            shared.setdefault(id(m.packed[port]), (m.packed[port], []))[1].append(ks)
    return [(rel, np.unique(np.concatenate(kss))) for rel, kss in shared.values()]


def _reaches(
    m: Matrix,
    port_keys: list[npt.NDArray[np.int64]],
    key_cls: npt.NDArray[np.int64],
    src_cls: npt.NDArray[np.int64],
    keys: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Per entry, whether source class ``src_cls[k]`` reaches key ``keys[k]`` on some port its
    pods declare (by the class relation), read bit by bit."""
    out = np.zeros(len(keys), dtype=bool)
    for port, ks in zip(m.ports, port_keys, strict=True):
        if not len(ks) or not len(keys):
            continue
        has = np.zeros(int(keys.max()) + 1, dtype=bool)
        has[ks[ks <= keys.max()]] = True
        on = has[keys]
        a, b = src_cls[on], key_cls[keys[on]]
        bits = (m.packed[port][a, b >> 3] >> (7 - (b & 7)).astype(np.uint8)) & 1
        out[on] |= bits.astype(bool)
    return out


def overview(
    cluster: Cluster,
    *,
    baseline: BaselineConfig | None = None,
    now: datetime | None = None,
    provider: Choice | None = None,
    context: DoctorContext | None = None,
) -> dict[str, Any]:
    """The report's data (module docstring); with a ``provider`` profile, also
    ``load_balancers``: each entry path's load balancer as the provider builds it. A caller
    that queries the same matrix afterwards (``report --html``'s graph) passes its
    ``context`` instead of the three."""
    ctx = context or DoctorContext(cluster, baseline or BaselineConfig(), now or EPOCH, provider)
    provider = ctx.provider
    findings = diagnose(cluster, context=ctx)
    routes = routing_table(cluster)
    records = Counter(r.type for r in zone_records(cluster))
    severities = Counter(f.severity.value for f in findings)
    return {
        "summary": {
            "namespaces": len(cluster.namespaces),
            "nodes": len(cluster.nodes),
            "pods": len(cluster.pods),
            "services": len(cluster.services),
            "network_policies": len(cluster.network_policies),
            "routes": len(routes["routes"]),
            "findings": dict(sorted(severities.items())),
        },
        "namespaces": namespace_rows(cluster),
        "reachability": namespace_reachability(cluster, ctx.matrix),
        "dns": dict(sorted(records.items())),
        "routes": routes,
        **({"load_balancers": load_balancer_rows(cluster, provider)} if provider else {}),
        "findings": findings,
    }
