"""A folded connection's reasons come from one pair of THAT connection.

Two namespaces (team0, team3) each allow a client in; their web pods share the same ports, so
the matrix engine puts them in one block of destination classes for the client's class. An
edge client -> team3/web (graph by workload, ``diff --by workload``) must cite team3's
policy, never team0's (the old behaviour evaluated one pair of the block and gave its
reasons to every destination in it). NetworkPolicy semantics:
https://kubernetes.io/docs/concepts/services-networking/network-policies/
"""

from __future__ import annotations

from typing import Any

import pytest

from podpath.analyze.diff import diff_clusters
from podpath.analyze.graph import build_graph, graph_json
from podpath.cluster import Cluster, resolve
from podpath.model.core import SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

TEAMS = ("team0", "team3")


def _pod(ns: str, name: str, app: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {
            "nodeName": "n0",
            "containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "http"}]}],
        },
        "status": {"phase": "Running", "podIPs": [{"ip": ip}]},
    }


def _policy(ns: str, name: str, allow: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress"]}
    if allow:
        spec["ingress"] = [
            {
                "from": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "client"}
                        }
                    }
                ],
                "ports": [{"port": 80}],
            }
        ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def _cluster(allow: bool) -> Cluster:
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n0"}},
        *(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
            for ns in ("client", *TEAMS)
        ),
        _pod("client", "client", "client", "10.0.0.2"),
    ]
    for k, ns in enumerate(TEAMS):
        docs.append(_pod(ns, "web", "web", f"10.0.0.{10 + k}"))
        docs.append(_policy(ns, "default-deny", allow=False))
        if allow:
            docs.append(_policy(ns, f"allow-client-{ns}", allow=True))
    raw = [RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]
    return resolve(normalize(raw))


@pytest.mark.parametrize("by", ["workload", "pod"])
def test_graph_edge_cites_its_own_namespace_policy(by: str) -> None:
    data = graph_json(build_graph(_cluster(allow=True), by=by))
    edges = {(e["from"].split("/")[0], e["to"].split("/")[0]): e for e in data["edges"]}
    for ns in TEAMS:
        reasons = edges[("client", ns)]["reasons"]["80/TCP"]
        assert f"NetworkPolicy/{ns}/allow-client-{ns}" in reasons
        other = next(t for t in TEAMS if t != ns)
        assert not any(other in r for r in reasons), reasons


@pytest.mark.parametrize("by", ["workload", "pod"])
def test_diff_added_connection_cites_its_own_namespace_policy(by: str) -> None:
    diff = diff_clusters(_cluster(allow=False), _cluster(allow=True), by=by)
    added = {
        (c["from"].split("/")[0], c["to"].split("/")[0]): c for c in diff["connections"]["added"]
    }
    for ns in TEAMS:
        because = added[("client", ns)]["because"]
        assert f"NetworkPolicy/{ns}/allow-client-{ns}" in because
        other = next(t for t in TEAMS if t != ns)
        assert not any(other in r for r in because), because
