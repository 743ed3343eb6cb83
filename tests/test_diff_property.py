"""``diff --by pod`` at class level agrees with the per-pair evaluator, on random changes.

OLD is a random cluster of tests/test_policy_property.py (namespaces, pods with labels,
named ports, IPv4/IPv6 IPs and host-network pods, NetworkPolicies, admin tiers); NEW is OLD
with a few random changes: a policy added or dropped, a pod's labels, ports, namespace or IP
changed, a pod added or dropped, a namespace's or a Node's labels changed, an admin policy
added. The connections added and removed, and each one's reasons, must be what the
per-pair evaluator gives for every pod pair on the ports the destination declares (the
pair's own verdict), and what the whole-cluster edge sets give (pods and the addresses
outside). Also: a block of the class relation (:class:`ClassBlocks`) is the same block of
the whole matrix, under every combination of assumptions, also when its rules are
collected for a focus (blocks with the focus classes as rows or as columns).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpath.analyze.diff_layers import connection_changes, pod_connection_changes
from podpath.analyze.graph_edges import lazy_outside_edges, policy_refs
from podpath.cluster import Cluster, resolve
from podpath.engine.matrix import declared_ports, port_label, reachability
from podpath.engine.matrix_block import ClassBlocks
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import Assumptions, PodPeer
from podpath.model.core import SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc
from test_policy_property import (
    admin_policy,
    assumption_sets,
    cluster_docs,
    labels,
    network_policy,
)


def _pods(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == "Pod"]


Docs = list[dict[str, Any]]


def _add_policy(draw: st.DrawFn, docs: Docs, k: int) -> None:
    docs.append(draw(network_policy(100 + k)))


def _drop_policy(draw: st.DrawFn, docs: Docs, k: int) -> None:
    pols = [d for d in docs if d["kind"] == "NetworkPolicy"]
    if pols:
        docs.remove(draw(st.sampled_from(pols)))


def _pod_labels(draw: st.DrawFn, docs: Docs, k: int) -> None:
    draw(st.sampled_from(_pods(docs)))["metadata"]["labels"] = draw(labels)


def _pod_ports(draw: st.DrawFn, docs: Docs, k: int) -> None:
    container = draw(st.sampled_from(_pods(docs)))["spec"]["containers"][0]
    ports = container["ports"]
    container["ports"] = ports[:1] if len(ports) > 1 else [{"containerPort": 8080, "name": "http"}]


def _pod_namespace(draw: st.DrawFn, docs: Docs, k: int) -> None:
    pod = draw(st.sampled_from(_pods(docs)))
    pod["metadata"]["namespace"] = draw(st.sampled_from(["a", "b", "c"]))


def _swap_ips(draw: st.DrawFn, docs: Docs, k: int) -> None:
    with_ip = [p for p in _pods(docs) if "podIPs" in p["status"]]
    if len(with_ip) >= 2:
        a, b = draw(st.permutations(with_ip))[:2]
        a["status"]["podIPs"], b["status"]["podIPs"] = b["status"]["podIPs"], a["status"]["podIPs"]


def _add_pod(draw: st.DrawFn, docs: Docs, k: int) -> None:
    pod = copy.deepcopy(draw(st.sampled_from(_pods(docs))))
    pod["metadata"]["name"] = f"q{k}"
    pod["metadata"]["labels"] = draw(labels)
    if "podIPs" in pod["status"]:
        pod["status"]["podIPs"] = [{"ip": f"10.0.0.{50 + k}"}]
    docs.append(pod)


def _drop_pod(draw: st.DrawFn, docs: Docs, k: int) -> None:
    docs.remove(draw(st.sampled_from(_pods(docs))))


def _namespace_labels(draw: st.DrawFn, docs: Docs, k: int) -> None:
    ns = draw(st.sampled_from([d for d in docs if d["kind"] == "Namespace"]))
    ns["metadata"]["labels"] = draw(
        st.dictionaries(st.sampled_from(["team", "app"]), st.sampled_from(["x", "y"]))
    )


def _node_labels(draw: st.DrawFn, docs: Docs, k: int) -> None:
    node = draw(st.sampled_from([d for d in docs if d["kind"] == "Node"]))
    node["metadata"]["labels"] = {"team": draw(st.sampled_from(["x", "y"]))}


def _add_admin(draw: st.DrawFn, docs: Docs, k: int) -> None:
    docs.append(draw(admin_policy(100 + k)))


CHANGES = (
    _add_policy,
    _drop_policy,
    _pod_labels,
    _pod_ports,
    _pod_namespace,
    _swap_ips,
    _add_pod,
    _drop_pod,
    _namespace_labels,
    _node_labels,
    _add_admin,
)
NEEDS_PODS = {_pod_labels, _pod_ports, _pod_namespace, _add_pod, _drop_pod}


def _change(draw: st.DrawFn, docs: Docs, k: int) -> None:
    change = draw(st.sampled_from(CHANGES))
    if _pods(docs) or change not in NEEDS_PODS:
        change(draw, docs, k)


@st.composite
def changed_clusters(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    old = draw(cluster_docs())
    new = copy.deepcopy(old)
    for k in range(draw(st.integers(0, 3))):
        _change(draw, new, k)
    return old, new


def _cluster(docs: list[dict[str, Any]]) -> Cluster:
    raw = [RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]
    return resolve(normalize(raw))


def _oracle(cluster: Cluster) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """Every allowed (pod, pod, port) with the reasons of that pair, pair by pair. Like the
    graph's edges, a connection is what policies allow: the pod-level assumption pairs (node
    traffic; self traffic is off by default) are not connections, so the verdict is asked
    without node traffic; the reasons are the pair's verdict as the commands give it."""
    out = {}
    no_node = Assumptions(node_traffic_allowed=False)
    for src in cluster.pods:
        for dst in cluster.pods:
            if src.key == dst.key or not src.has_ip or not dst.has_ip:
                continue
            for number, proto in declared_ports((dst,)):
                if evaluate(cluster, PodPeer(src), PodPeer(dst), number, proto, no_node).allowed:
                    v = evaluate(cluster, PodPeer(src), PodPeer(dst), number, proto)
                    out[(src.key, dst.key, port_label((number, proto)))] = policy_refs(v)
    return out


def _entries(keys: set[tuple[str, str, str]], why: Any) -> list[dict[str, Any]]:
    return [
        {"from": k[0], "to": k[1], "port": k[2], "because": sorted(set(why(k)))}
        for k in sorted(keys)
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=changed_clusters())
def test_pod_diff_agrees_with_per_pair_evaluator(
    pair: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    old, new = _cluster(pair[0]), _cluster(pair[1])
    a, b = _oracle(old), _oracle(new)
    out_a, why_out_a = lazy_outside_edges(old, lambda k: k)
    out_b, why_out_b = lazy_outside_edges(new, lambda k: k)

    def why(pairs: dict[Any, tuple[str, ...]], outside: Any) -> Any:
        return lambda k: pairs[k] if k in pairs else outside(k)

    expected = {
        "added": _entries((b.keys() | out_b) - (a.keys() | out_a), why(b, why_out_b)),
        "removed": _entries((a.keys() | out_a) - (b.keys() | out_b), why(a, why_out_a)),
    }
    assert pod_connection_changes(old, new) == expected
    assert connection_changes(old, new, lambda k: k, lambda k: k) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=cluster_docs(), assumptions=assumption_sets, data=st.data())
def test_class_blocks_are_blocks_of_the_matrix(
    docs: list[dict[str, Any]], assumptions: Assumptions, data: Any
) -> None:
    cluster = _cluster(docs)
    matrix = reachability(cluster, assumptions=assumptions)
    blocks = ClassBlocks(cluster, assumptions=assumptions)
    c = matrix.class_count
    assert blocks.classes.size == c
    assert (blocks.classes.class_of == matrix.classes.class_of).all()
    classes = st.lists(st.integers(0, max(c - 1, 0)), max_size=6) if c else st.just([])
    src, dst = data.draw(classes), data.draw(classes)
    got = blocks.blocks(matrix.ports, src, dst)
    for port in matrix.ports:
        want = matrix.allowed_classes(port)[np.ix_(src, dst)]
        assert (got[port] == want).all(), (port, src, dst)
    if not c:
        return
    # with a focus: blocks with the focus classes as rows, or as columns, against all classes
    focus = data.draw(st.lists(st.integers(0, c - 1), min_size=1, max_size=3, unique=True))
    focused = ClassBlocks(cluster, assumptions=assumptions, focus=focus)
    everyone = list(range(c))
    rows = focused.blocks(matrix.ports, focus, everyone)
    cols = focused.blocks(matrix.ports, everyone, focus)
    for port in matrix.ports:
        full = matrix.allowed_classes(port)
        assert (rows[port] == full[np.ix_(focus, everyone)]).all(), (port, focus)
        assert (cols[port] == full[np.ix_(everyone, focus)]).all(), (port, focus)
