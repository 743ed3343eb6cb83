"""Property tests: the fast paths doctor, report and the graph take over the matrix engine
give the per-pair evaluator's answers on small random clusters (the generators of
tests/test_policy_property.py).

- ``dns-egress-blocked``: whether a workload reaches some DNS pod on UDP/TCP 53 is read from
  the matrix's columns; the reference asks the evaluator about every client x DNS pod pair
  (what the check did before), and both give the same findings, DNS pods in the input or
  the CoreDNS stand-in assumed;
- the report's namespace reachability folded in blocks of source classes equals the dense
  grid;
- the graph's group fold (:func:`podpath.analyze.graph_fold.group_pairs`): a group pair is
  found exactly when the evaluator allows some pod pair ``i != j`` of it, and it equals
  ``Matrix.fold_counts(exclude_self=True, with_overrides=False) > 0``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.test_policy_property import cluster_docs, host_cluster_docs, labels
from tests.test_report_reachability import dense

from podpath.analyze import report_reachability
from podpath.analyze.doctor.context import DoctorContext, group_by_workload
from podpath.analyze.doctor.dns_egress import blocked_finding, dns_egress
from podpath.analyze.doctor.findings import Finding
from podpath.analyze.graph_fold import group_pairs
from podpath.cluster import Cluster, resolve
from podpath.engine.dns_access import dns_verdicts
from podpath.engine.matrix import reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import Assumptions, PodPeer
from podpath.engine.resolver import dns_pods, uses_cluster_dns
from podpath.model.core import Protocol, SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

DNS_LABELS = {"k8s-app": "kube-dns"}


def _cluster(docs: list[dict[str, Any]]) -> Cluster:
    return resolve(normalize([RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]))


@st.composite
def dns_cluster_docs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A random cluster with kube-system, 0-2 DNS pods behind the kube-dns Service (0: the
    stand-in is assumed), policies also in kube-system, and pods owned by workloads."""
    docs = draw(cluster_docs())
    docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}})
    for d in docs:
        if d["kind"] == "NetworkPolicy" and draw(st.integers(0, 2)) == 0:
            d["metadata"]["namespace"] = "kube-system"
        if d["kind"] == "Pod" and draw(st.booleans()):
            owner = f"w{draw(st.integers(0, 1))}"
            d["metadata"]["ownerReferences"] = [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "controller": True}
            ]
    servers = draw(st.integers(0, 2))
    for k in range(servers):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"coredns-{k}",
                    "namespace": "kube-system",
                    "labels": {**draw(labels), **DNS_LABELS},
                },
                "spec": {
                    "nodeName": f"n{k}",
                    "containers": [
                        {
                            "name": "coredns",
                            "ports": [
                                {"containerPort": 53, "protocol": "UDP", "name": "dns"},
                                {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"},
                            ],
                        }
                    ],
                },
                "status": {"phase": "Running", "podIPs": [{"ip": f"10.0.0.{50 + k}"}]},
            }
        )
    if servers:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "kube-dns", "namespace": "kube-system"},
                "spec": {
                    "selector": DNS_LABELS,
                    "ports": [
                        {"name": "dns", "port": 53, "protocol": "UDP"},
                        {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                    ],
                },
            }
        )
    return docs


def _reference_dns_egress(ctx: DoctorContext) -> Iterator[Finding]:
    """The check as it was: the evaluator asked about every DNS pod, per workload."""
    targets, assumed = dns_pods(ctx.cluster)
    keys = {p.key for p in targets}
    clients = [p for p in ctx.cluster.pods if p.ips and uses_cluster_dns(p) and p.key not in keys]
    for obj, pods in sorted(group_by_workload(clients).items()):
        found = dns_verdicts(ctx.cluster, pods[0])
        if found is None:
            continue
        best = {
            p: next((v for v in found.of(p) if v.allowed), found.of(p)[0])
            for p in (Protocol.UDP, Protocol.TCP)
        }
        blocked = [p for p, v in best.items() if not v.allowed]
        if blocked:
            yield blocked_finding(obj, pods[0], len(pods), blocked, best[blocked[0]], assumed)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=dns_cluster_docs())
def test_dns_egress_from_the_matrix_equals_the_per_pair_evaluator(
    docs: list[dict[str, Any]],
) -> None:
    cluster = _cluster(docs)
    ctx = DoctorContext(cluster)
    assert list(dns_egress(ctx)) == list(_reference_dns_egress(DoctorContext(cluster)))


def _groups(data: Any, n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Random source groups (-1: none) and destination groups, a subset of the sources."""
    src = np.array(data.draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n)), dtype=np.int64)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return src, np.where(keep, src, -1)


def _check_group_pairs(docs: list[dict[str, Any]], data: Any) -> None:
    cluster = _cluster(docs)
    # no assumption pod pairs: the matrix is its class relation, so the evaluator is the oracle
    plain = Assumptions(node_traffic_allowed=False, self_traffic_allowed=False)
    for assumptions in (plain, Assumptions()):
        matrix = reachability(cluster, assumptions=assumptions)
        n = len(matrix.pods)
        src_of, dst_of = _groups(data, n)
        src_groups = [np.flatnonzero(src_of == g).tolist() for g in range(3)]
        dst_groups = [np.flatnonzero(dst_of == g).tolist() for g in range(3)]
        cls = matrix.classes.class_of
        for port in matrix.ports:
            a, b = group_pairs(matrix.packed[port], cls, src_of, dst_of, matrix.class_count)
            got = list(zip(a.tolist(), b.tolist(), strict=True))
            assert got == sorted(set(got))
            counts = matrix.fold_counts(
                src_groups, port, dst_groups, exclude_self=True, with_overrides=False
            )
            assert set(got) == set(zip(*(x.tolist() for x in np.nonzero(counts)), strict=True))
            if assumptions != plain:
                continue
            want = set()
            for g, members in enumerate(src_groups):
                for h, targets in enumerate(dst_groups):
                    for i in members:
                        src = PodPeer(matrix.pods[i])
                        if any(
                            evaluate(
                                cluster, src, PodPeer(matrix.pods[j]), *port, assumptions
                            ).allowed
                            for j in targets
                            if j != i
                        ):
                            want.add((g, h))
                            break
            assert set(got) == want, (port, got, want)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=cluster_docs(), data=st.data())
def test_group_fold_equals_the_per_pair_evaluator(docs: list[dict[str, Any]], data: Any) -> None:
    _check_group_pairs(docs, data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=host_cluster_docs(), data=st.data())
def test_group_fold_with_host_network_pods(docs: list[dict[str, Any]], data: Any) -> None:
    """A host-network pod and a pod on its node always present (their node traffic is an
    assumption pod pair, not part of the fold)."""
    _check_group_pairs(docs, data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=host_cluster_docs(), data=st.data())
def test_doctor_allowed_pairs_equals_the_per_pair_evaluator(
    docs: list[dict[str, Any]], data: Any
) -> None:
    """``DoctorContext.allowed_pairs`` (many pairs read from the matrix at once) gives the
    evaluator's verdict of each pair, host-network pods and a pod to itself included."""
    cluster = _cluster(docs)
    ctx = DoctorContext(cluster)
    pods = cluster.pods
    picks = st.lists(st.tuples(st.sampled_from(pods), st.sampled_from(pods)), max_size=12)
    pairs = data.draw(picks)
    for number, protocol in ((80, Protocol.TCP), (53, Protocol.UDP), (5432, Protocol.TCP)):
        want = [
            evaluate(cluster, PodPeer(s), PodPeer(d), number, protocol).allowed for s, d in pairs
        ]
        assert ctx.allowed_pairs(pairs, number, protocol) == want


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=host_cluster_docs(),
    chunk=st.integers(1, 3),
    sparse=st.sampled_from([1, 64, 1 << 22]),
    dense_share=st.sampled_from([0, 8, 1 << 30]),
)
def test_namespace_reachability_in_blocks_equals_the_dense_grid(
    docs: list[dict[str, Any]], chunk: int, sparse: int, dense_share: int
) -> None:
    """The report's namespace reachability, folded a few source classes at a time (as at
    100k pods), every row read dense, flipped or as sparse bits in small ranges, equals the
    dense grid the evaluator-checked matrix gives."""
    cluster = _cluster(docs)
    saved = (
        report_reachability.CHUNK,
        report_reachability.SPARSE_PAIRS,
        report_reachability.DENSE_SHARE,
    )
    report_reachability.CHUNK = chunk
    report_reachability.SPARSE_PAIRS = sparse
    report_reachability.DENSE_SHARE = dense_share
    try:
        assert report_reachability.namespace_reachability(cluster) == dense(cluster)
    finally:
        (
            report_reachability.CHUNK,
            report_reachability.SPARSE_PAIRS,
            report_reachability.DENSE_SHARE,
        ) = saved
