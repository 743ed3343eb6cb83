"""The fast matrix agrees with the per-pair evaluator on every pair, on random clusters.

Random namespaces, pods (labels, named ports, IPv4/IPv6 pod IPs, host-network pods),
NetworkPolicies (pod/namespace/both selectors, matchExpressions, ipBlock + except, numbered,
named and endPort ports, TCP/UDP/SCTP, policyTypes) and admin tiers (AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy) under every combination of assumptions.
Beyond single pairs: the Matrix query API (rows, columns, blocks, self traffic, group
folding, witnesses), the CSV pair list and ``--by workload`` (dense and sparse, narrowed
by random ``-l``/``--from``/``--to`` pod sets), with host-network pods next to
pods of their node and self traffic, under the default and toggled assumptions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpath.analyze.graph_edges import allowed_edges, policy_refs
from podpath.analyze.matrix import csv_lines, workload_groups, workload_json
from podpath.analyze.matrix_sparse import sparse_json
from podpath.analyze.matrix_workload import sparse_workloads
from podpath.cluster import resolve
from podpath.engine.matrix import port_label, reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import Assumptions, PodPeer
from podpath.model.core import Protocol, SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

NAMESPACES = ("a", "b", "c")
PORTS = [
    {"containerPort": 80, "name": "http"},
    {"containerPort": 8080, "name": "http"},
    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
    {"containerPort": 5432, "name": "pg"},
    {"containerPort": 9000, "protocol": "SCTP", "name": "sctp"},
    {"containerPort": 443},
]
IPS4 = ["10.0.0.5", "10.0.0.130", "10.0.1.7", "10.1.0.9", "192.168.3.4", "10.0.0.6"]
IPS6 = ["fd00::5", "fd00::1:7", "fd01::9"]
CIDRS = ["10.0.0.0/16", "10.0.0.0/24", "10.0.0.128/25", "0.0.0.0/0", "fd00::/16", "::/0"]
EXCEPTS = {
    "10.0.0.0/16": ["10.0.1.0/24", "10.0.0.0/25"],
    "10.0.0.0/24": ["10.0.0.128/25", "10.0.0.6/32"],
    "10.0.0.128/25": [],
    "0.0.0.0/0": ["10.0.0.0/8", "192.168.0.0/16"],
    "fd00::/16": ["fd00::1:0/112"],
    "::/0": ["fd00::/16"],
}

labels = st.dictionaries(
    st.sampled_from(["app", "tier", "env"]), st.sampled_from(["x", "y", "z"]), max_size=2
)


def selector() -> st.SearchStrategy[dict[str, Any]]:
    expr = st.fixed_dictionaries(
        {
            "key": st.sampled_from(["app", "tier", "team"]),
            "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
        }
    ).map(lambda e: {**e, "values": ["x", "y"]} if e["operator"] in ("In", "NotIn") else e)
    return st.fixed_dictionaries(
        {},
        optional={
            "matchLabels": st.dictionaries(
                st.sampled_from(["app", "tier", "team"]), st.sampled_from(["x", "y"]), max_size=1
            ),
            "matchExpressions": st.lists(expr, max_size=1),
        },
    )


@st.composite
def np_peer(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["pod", "ns", "both", "ip", "ip"]))
    if kind == "ip":
        cidr = draw(st.sampled_from(CIDRS))
        options = EXCEPTS[cidr]
        ex = (
            draw(st.lists(st.sampled_from(options), min_size=1, max_size=2, unique=True))
            if options
            else []
        )
        return {"ipBlock": {"cidr": cidr, "except": ex}}
    out: dict[str, Any] = {}
    if kind in ("pod", "both"):
        out["podSelector"] = draw(selector())
    if kind in ("ns", "both"):
        out["namespaceSelector"] = draw(selector())
    return out


@st.composite
def np_port(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["num", "name", "range", "proto-only"]))
    proto = draw(st.sampled_from(["TCP", "TCP", "UDP", "SCTP"]))
    if kind == "num":
        return {"protocol": proto, "port": draw(st.sampled_from([80, 8080, 53, 5432, 9000, 443]))}
    if kind == "name":
        return {"protocol": proto, "port": draw(st.sampled_from(["http", "dns", "pg", "sctp"]))}
    if kind == "range":
        start = draw(st.sampled_from([50, 80, 443, 5000]))
        return {"protocol": proto, "port": start, "endPort": start + draw(st.integers(0, 8000))}
    return {"protocol": proto}


@st.composite
def np_rule(draw: st.DrawFn, peers_key: str) -> dict[str, Any]:
    rule: dict[str, Any] = {}
    if draw(st.integers(0, 3)):
        rule[peers_key] = draw(st.lists(np_peer(), min_size=1, max_size=3))
    if draw(st.booleans()):
        rule["ports"] = draw(st.lists(np_port(), min_size=1, max_size=2))
    return rule


@st.composite
def network_policy(draw: st.DrawFn, i: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(selector())}
    if draw(st.integers(0, 3)):
        spec["ingress"] = draw(st.lists(np_rule("from"), max_size=2))
    if draw(st.integers(0, 3)):
        spec["egress"] = draw(st.lists(np_rule("to"), max_size=2))
    if draw(st.booleans()):
        spec["policyTypes"] = draw(
            st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"np{i}", "namespace": draw(st.sampled_from(NAMESPACES))},
        "spec": spec,
    }


@st.composite
def admin_peer(draw: st.DrawFn, egress: bool) -> dict[str, Any]:
    kinds = ["namespaces", "pods"] + (["networks", "nodes"] if egress else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "namespaces":
        return {"namespaces": draw(selector())}
    if kind == "pods":
        return {"pods": {"namespaceSelector": draw(selector()), "podSelector": draw(selector())}}
    if kind == "networks":
        return {"networks": draw(st.lists(st.sampled_from(CIDRS), min_size=1, max_size=2))}
    return {"nodes": draw(selector())}


@st.composite
def admin_policy(draw: st.DrawFn, i: int) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"]
        )
    )
    actions = {
        "AdminNetworkPolicy": ["Allow", "Deny", "Pass"],
        "BaselineAdminNetworkPolicy": ["Allow", "Deny"],
        "ClusterNetworkPolicy": ["Accept", "Deny", "Pass"],
    }[kind]
    spec: dict[str, Any] = {
        "subject": draw(
            st.sampled_from(["ns", "pods"]).flatmap(
                lambda k: (
                    st.builds(lambda s: {"namespaces": s}, selector())
                    if k == "ns"
                    else st.builds(
                        lambda a, b: {"pods": {"namespaceSelector": a, "podSelector": b}},
                        selector(),
                        selector(),
                    )
                )
            )
        )
    }
    if kind != "BaselineAdminNetworkPolicy":
        spec["priority"] = draw(st.integers(0, 3))
    if kind == "ClusterNetworkPolicy":
        spec["tier"] = draw(st.sampled_from(["Admin", "Baseline"]))
    for direction, key in (("ingress", "from"), ("egress", "to")):
        rules = []
        for _ in range(draw(st.integers(0, 2))):
            peers = draw(st.lists(admin_peer(direction == "egress"), min_size=1, max_size=2))
            rule: dict[str, Any] = {"action": draw(st.sampled_from(actions)), key: peers}
            non_pod = any("networks" in p or "nodes" in p for p in peers)
            if draw(st.booleans()):
                rule.update(_admin_ports(kind, draw, named=not non_pod))
            rules.append(rule)
        spec[direction] = rules
    name = "default" if kind == "BaselineAdminNetworkPolicy" else f"{kind.lower()}{i}"
    api = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    return {
        "apiVersion": f"policy.networking.k8s.io/{api}",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }


def _admin_ports(kind: str, draw: st.DrawFn, named: bool) -> dict[str, Any]:
    choice = draw(st.sampled_from(["num", "range", "name"] if named else ["num", "range"]))
    proto = draw(st.sampled_from(["TCP", "UDP"]))
    number = draw(st.sampled_from([80, 8080, 53, 5432]))
    if kind == "ClusterNetworkPolicy":
        if choice == "name":
            return {"protocols": [{"destinationNamedPort": "http"}]}
        dest = {"number": number} if choice == "num" else {"range": {"start": 50, "end": 1000}}
        return {"protocols": [{proto.lower(): {"destinationPort": dest}}]}
    if choice == "name":
        return {"ports": [{"namedPort": "http"}]}
    if choice == "num":
        return {"ports": [{"portNumber": {"protocol": proto, "port": number}}]}
    return {"ports": [{"portRange": {"protocol": proto, "start": 50, "end": 1000}}]}


@st.composite
def cluster_docs(draw: st.DrawFn) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": f"n{i}", "labels": {"team": "x" if i else "y"}},
            "status": {"addresses": [{"type": "InternalIP", "address": f"10.0.0.{200 + i}"}]},
        }
        for i in range(2)
    ]
    for ns in NAMESPACES:
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": ns,
                    "labels": draw(
                        st.dictionaries(
                            st.sampled_from(["team", "app"]),
                            st.sampled_from(["x", "y"]),
                            max_size=1,
                        )
                    ),
                },
            }
        )
    ips = draw(st.permutations(IPS4))
    ips6 = draw(st.permutations(IPS6))
    for i in range(draw(st.integers(2, 6))):
        ports = draw(st.lists(st.sampled_from(range(len(PORTS))), max_size=3, unique=True))
        container_ports = [PORTS[k] for k in ports]
        if len({p.get("name") for p in container_ports if p.get("name")}) < len(
            [p for p in container_ports if p.get("name")]
        ):
            container_ports = container_ports[:1]
        host = draw(st.integers(0, 7)) == 0
        status: dict[str, Any] = {"phase": "Running"}
        if not host:
            pod_ips = [{"ip": ips[i]}] + ([{"ip": ips6[i % 3]}] if draw(st.booleans()) else [])
            status["podIPs"] = pod_ips
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"p{i}",
                    "namespace": draw(st.sampled_from(NAMESPACES)),
                    "labels": draw(labels),
                },
                "spec": {
                    "nodeName": f"n{draw(st.integers(0, 1))}",
                    "hostNetwork": host,
                    "containers": [{"name": "c", "ports": container_ports}],
                },
                "status": status,
            }
        )
    docs += [draw(network_policy(i)) for i in range(draw(st.integers(1, 5)))]
    docs += [draw(admin_policy(i)) for i in range(draw(st.integers(0, 2)))]
    return docs


assumption_sets = st.builds(Assumptions, st.booleans(), st.booleans(), st.booleans(), st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=cluster_docs(), assumptions=assumption_sets)
def test_matrix_agrees_with_per_pair_evaluator(
    docs: list[dict[str, Any]], assumptions: Assumptions
) -> None:
    raw = [RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]
    cluster = resolve(normalize(raw))
    matrix = reachability(cluster, assumptions=assumptions)
    for port in matrix.ports:
        grid = matrix.allowed(port)
        for i, src in enumerate(matrix.pods):
            for j, dst in enumerate(matrix.pods):
                verdict = evaluate(
                    cluster, PodPeer(src), PodPeer(dst), port[0], port[1], assumptions
                )
                assert bool(grid[i, j]) == verdict.allowed, (
                    src.key,
                    dst.key,
                    port,
                    verdict.reasons,
                )
                assert matrix.is_allowed(i, j, port) == verdict.allowed


def _oracle(cluster: Any, matrix: Any, assumptions: Assumptions) -> dict[Any, np.ndarray]:
    """Per port, the pod x pod grid from the per-pair evaluator."""
    n = len(matrix.pods)
    out = {}
    for port in matrix.ports:
        grid = np.zeros((n, n), dtype=bool)
        for i, src in enumerate(matrix.pods):
            for j, dst in enumerate(matrix.pods):
                v = evaluate(cluster, PodPeer(src), PodPeer(dst), port[0], port[1], assumptions)
                grid[i, j] = v.allowed
        out[port] = grid
    return out


@st.composite
def host_cluster_docs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A random cluster with a host-network pod and another pod on the same node."""
    docs = draw(cluster_docs())
    pods = [d for d in docs if d["kind"] == "Pod"]
    pods[0]["spec"].update(hostNetwork=True, nodeName="n0")
    pods[0]["status"].pop("podIPs", None)
    pods[1]["spec"].update(hostNetwork=False, nodeName="n0")
    if "podIPs" not in pods[1]["status"]:
        pods[1]["status"]["podIPs"] = [{"ip": "10.0.0.77"}]
    return docs


def _check_queries(docs: list[dict[str, Any]], assumptions: Assumptions, data: Any) -> None:
    raw = [RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]
    cluster = resolve(normalize(raw))
    matrix = reachability(cluster, assumptions=assumptions)
    oracle = _oracle(cluster, matrix, assumptions)
    n = len(matrix.pods)
    group_ids = data.draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n), label="groups")
    groups = [[i for i, g in enumerate(group_ids) if g == k] for k in range(3)]
    targets = [[i for i, g in enumerate(group_ids) if g == k and i % 2 == 0] for k in range(3)]
    subset = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n), label="subset")
    for port, grid in oracle.items():
        assert (matrix.allowed(port) == grid).all()
        for i in range(n):
            assert (matrix.row(i, port) == grid[i]).all()
            assert (matrix.column(i, port) == grid[:, i]).all()
        assert (matrix.self_allowed(port) == np.diag(grid)).all()
        if subset:
            assert (matrix.block(subset, subset, port) == grid[np.ix_(subset, subset)]).all()
        for exclude_self in (False, True):
            counts = matrix.fold_counts(groups, port, targets, exclude_self=exclude_self)
            fold = matrix.fold(groups, port, targets, exclude_self=exclude_self)
            for a, src in enumerate(groups):
                for b, dst in enumerate(targets):
                    pairs = [(i, j) for i in src for j in dst if not (exclude_self and i == j)]
                    hits = sum(bool(grid[i, j]) for i, j in pairs)
                    assert counts[a, b] == hits, (a, b, port, exclude_self)
                    assert fold.some[a, b] == (hits > 0)
                    assert fold.every[a, b] == (hits == len(pairs))
                    found = matrix.witness(src, dst, port)
                    assert (found is not None) == any(grid[i, j] for i in src for j in dst)
                    if found is not None:
                        assert grid[found]
    # the pair list and the workload folding, against the oracle
    lines = "".join(csv_lines(matrix, chunk=64)).splitlines()[1:]
    got = {(f, t): p.split(" ") for f, t, p in (line.split(",") for line in lines)}
    keys = [p.key for p in matrix.pods]
    want = {
        (keys[i], keys[j]): [port_label(p) for p in matrix.ports if oracle[p][i, j]]
        for i in range(n)
        for j in range(n)
        if any(oracle[p][i, j] for p in matrix.ports)
    }
    assert got == want
    cells = sparse_json(matrix)["allowed"]
    assert {
        (keys[i], keys[j]): [port_label(matrix.ports[k]) for k in ks] for i, j, ks in cells
    } == (want)
    folded = workload_json(matrix)
    names, members = workload_groups(matrix)
    for port in matrix.ports:
        grid = oracle[port]
        for a, src in enumerate(members):
            for b, dst in enumerate(members):
                block = grid[np.ix_(src, dst)]
                assert folded["allowed"][port_label(port)][a][b] == bool(block.any())
                partial = {"from": names[a], "to": names[b], "port": port_label(port)}
                assert (partial in folded["partial"]) == (block.any() and not block.all())
    _check_sparse_workloads(matrix, oracle, data)


def _check_sparse_workloads(matrix: Any, oracle: dict[Any, np.ndarray], data: Any) -> None:
    """The sparse ``--by workload`` form under random ``-l`` / ``--from`` / ``--to`` pod sets
    (narrowed as the command narrows them) against the oracle's replica blocks."""
    n = len(matrix.pods)
    if not n:
        return
    pod_sets = st.none() | st.sets(st.integers(0, n - 1), min_size=1)
    chosen, rows, cols = (data.draw(pod_sets, label=x) for x in ("chosen", "rows", "cols"))
    if chosen is not None:
        rows = chosen if rows is None else rows & chosen
        cols = chosen if cols is None else cols & chosen
    got = sparse_workloads(matrix, chosen, rows, cols)
    names, members = workload_groups(matrix)
    owner = {i: g for g, pods in enumerate(members) for i in pods}
    present = set(range(len(names))) if chosen is None else {owner[i] for i in chosen}
    src = present if rows is None else {owner[i] for i in rows}
    dst = present if cols is None else {owner[i] for i in cols}
    listed = present if rows is None and cols is None else src | (dst or present)
    assert got["version"] == 2 and got["by"] == "workload"
    assert got["pods"] == [names[g] for g in sorted(listed)]
    assert got["ports"] == [port_label(p) for p in matrix.ports]
    want_some, want_partial = [], []
    for a in sorted(listed & src):
        for b in sorted(listed & dst):
            blocks = [oracle[p][np.ix_(members[a], members[b])] for p in matrix.ports]
            some = [k for k, block in enumerate(blocks) if block.any()]
            partly = [k for k, block in enumerate(blocks) if block.any() and not block.all()]
            pos = (got["pods"].index(names[a]), got["pods"].index(names[b]))
            if some:
                want_some.append((*pos, tuple(some)))
            if partly:
                want_partial.append((*pos, tuple(partly)))
    assert got["allowed"] == want_some
    assert got["partial"] == want_partial


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=cluster_docs(), assumptions=assumption_sets, data=st.data())
def test_matrix_queries_and_folding_agree_with_per_pair_evaluator(
    docs: list[dict[str, Any]], assumptions: Assumptions, data: Any
) -> None:
    """Rows, columns, blocks, self traffic (a pod to its own IP skips the admin tiers),
    group folding, the CSV pair list, the sparse JSON and ``--by workload`` equal the
    per-pair evaluator, under every combination of assumptions."""
    _check_queries(docs, assumptions, data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=host_cluster_docs(),
    assumptions=st.sampled_from(
        [
            Assumptions(),
            Assumptions(self_traffic_allowed=True),
            Assumptions(node_traffic_allowed=False),
            Assumptions(host_network_as_node=False),
            Assumptions(self_traffic_allowed=True, node_traffic_allowed=True),
        ]
    ),
    data=st.data(),
)
def test_host_network_and_self_traffic_agree_with_per_pair_evaluator(
    docs: list[dict[str, Any]], assumptions: Assumptions, data: Any
) -> None:
    """A host-network pod and a pod on its node always present: the sparse corrections
    (node traffic, self traffic) on top of the class result equal the evaluator, under the
    default and toggled assumptions."""
    _check_queries(docs, assumptions, data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=host_cluster_docs(), data=st.data())
def test_edge_reasons_are_those_of_a_pair_of_the_edge(
    docs: list[dict[str, Any]], data: Any
) -> None:
    """Graph/diff edges between random groups: every edge's reasons are the evaluator's
    reasons of one allowed pair of that edge (pods of different classes, node traffic)."""
    raw = [RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]
    cluster = resolve(normalize(raw))
    pods = [p for p in cluster.pods if p.has_ip]
    ids = data.draw(st.lists(st.integers(0, 2), min_size=len(pods), max_size=len(pods)))
    group_of = {p.key: f"g{g}" for p, g in zip(pods, ids, strict=True)}
    edges = allowed_edges(cluster, lambda k: group_of.get(k, k))
    for (a, b, port), why in edges.items():
        if a not in group_of.values() or b not in group_of.values():
            continue
        number, _, proto = port.partition("/")
        found = set()
        for src in pods:
            for dst in pods:
                if group_of[src.key] != a or group_of[dst.key] != b or src.key == dst.key:
                    continue
                v = evaluate(cluster, PodPeer(src), PodPeer(dst), int(number), Protocol(proto))
                if v.allowed:
                    found.add(policy_refs(v))
        assert why in found, (a, b, port, why, found)
