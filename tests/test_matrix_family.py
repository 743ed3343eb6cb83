"""``matrix --family ipv4|ipv6``: the connections of one IP family on a dual-stack cluster.

A connection carries one source and one destination address of one family
(https://kubernetes.io/docs/concepts/services-networking/dual-stack/), so for one family a
pod takes part by its address of that family (a pod without one drops out, and a note says
so), an ipBlock matches only addresses of its own family (NetworkPolicy v1 ``IPBlock``) and an
admin ``networks`` peer likewise ("0.0.0.0/0" is all IPv4 traffic, network-policy-api
ClusterNetworkPolicyEgressPeer.networks). The rule is the one ``trace --family`` uses
(:mod:`podpath.engine.ip_family`); the fast matrix of one family equals the per-pair
evaluator asked with ``PodPeer(pod, family)``. Without ``--family`` nothing changes: a pod
matches when any of its addresses does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpath.cluster import resolve
from podpath.engine.ip_family import left_out_note, pods_of_family
from podpath.engine.matrix import reachability
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import Assumptions, PodPeer
from podpath.model.core import Protocol, SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc
from policy_conformance_helpers import ING, build, cnp, erule, model, ns_subject
from policy_conformance_helpers import np as netpol
from test_live import run
from test_policy_property import assumption_sets, cluster_docs

SCENARIO = str(Path(__file__).parent / "scenarios" / "dual-stack-matrix")
CIDRS = [
    "--service-cidr",
    "10.96.0.0/16,fd00:10:96::/112",
    "--pod-cidr",
    "10.244.0.0/16,fd00:10:244::/56",
]
P80 = (80, Protocol.TCP)

V4_ONLY = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "old", "namespace": "z", "labels": {"pod": "old"}},
    "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
    "status": {"podIP": "10.3.0.9", "podIPs": [{"ip": "10.3.0.9"}]},
}


def _ip_block_from(cidr: str) -> dict[str, Any]:
    return netpol("from-block", "x", ingress=[{"from": [{"ipBlock": {"cidr": cidr}}]}])


def _deny_networks(cidr: str) -> dict[str, Any]:
    return cnp(
        "deny-net", "Admin", 5, ns_subject("y"), egress=[erule("Deny", [{"networks": [cidr]}])]
    )


# (case, objects, source, destination, {family: allowed}); None: no --family (any address)
CASES = [
    (
        "ipblock-v6-range",
        [_ip_block_from("fd00::/16")],
        "y/a",
        "x/a",
        {None: True, 4: False, 6: True},
    ),
    (
        "ipblock-v4-range",
        [_ip_block_from("10.0.0.0/8")],
        "y/a",
        "x/a",
        {None: True, 4: True, 6: False},
    ),
    (
        "ipblock-all-v4",
        [_ip_block_from("0.0.0.0/0")],
        "y/a",
        "x/a",
        {None: True, 4: True, 6: False},
    ),
    ("ipblock-all-v6", [_ip_block_from("::/0")], "y/a", "x/a", {None: True, 4: False, 6: True}),
    (
        "networks-all-v4",
        [_deny_networks("0.0.0.0/0")],
        "y/a",
        "x/a",
        {None: False, 4: False, 6: True},
    ),
    ("networks-all-v6", [_deny_networks("::/0")], "y/a", "x/a", {None: False, 4: True, 6: False}),
    (
        "isolated-no-block",
        [netpol("deny", "x", policyTypes=ING)],
        "y/a",
        "x/a",
        {None: False, 4: False, 6: False},
    ),
    (
        "v4-only-pod-to-v6-block",
        [_ip_block_from("fd00::/16")],
        "z/old",
        "x/a",
        {None: False, 4: False},
    ),
]


@pytest.mark.parametrize(
    ("name", "objects", "src", "dst", "want"), CASES, ids=[c[0] for c in CASES]
)
def test_one_family_per_connection(
    name: str, objects: list[dict[str, Any]], src: str, dst: str, want: dict[int | None, bool]
) -> None:
    cluster = build(model(dual_stack=True) + [V4_ONLY] + objects)
    pods = {p.key: p for p in cluster.pods}
    for family, allowed in want.items():
        matrix = reachability(cluster, ports=[P80], family=family)
        index = {p.key: i for i, p in enumerate(matrix.pods)}
        assert matrix.is_allowed(index[src], index[dst], P80) == allowed, (name, family)
        verdict = evaluate(cluster, PodPeer(pods[src], family), PodPeer(pods[dst], family), 80)
        assert verdict.allowed == allowed, (name, family, verdict.reasons)


def test_a_pod_without_an_address_of_the_family_drops_out() -> None:
    cluster = build(model(dual_stack=True) + [V4_ONLY])
    keys6 = [p.key for p in reachability(cluster, ports=[P80], family=6).pods]
    keys4 = [p.key for p in reachability(cluster, ports=[P80], family=4).pods]
    assert "z/old" not in keys6 and "z/old" in keys4 and len(keys4) == len(keys6) + 1
    kept, left = pods_of_family(cluster.pods, 6)
    assert [p.key for p in left] == ["z/old"]
    assert all(len(p.ips) == 1 and ":" in p.ips[0] for p in kept)
    assert left_out_note(cluster.pods, 6) == (
        "--family ipv6: 1 pod(s) without an IPv6 address left out: z/old"
    )
    assert left_out_note(cluster.pods, 6, ["x"]) == ""
    assert left_out_note(cluster.pods, 4) == left_out_note(cluster.pods, None) == ""


def test_without_family_the_matrix_is_unchanged() -> None:
    cluster = build(model(dual_stack=True) + [V4_ONLY, _ip_block_from("fd00::/16")])
    a = reachability(cluster, ports=[P80])
    b = reachability(cluster, ports=[P80], family=None)
    assert [p.key for p in a.pods] == [p.key for p in b.pods]
    assert (a.allowed(P80) == b.allowed(P80)).all()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=cluster_docs(), assumptions=assumption_sets, family=st.sampled_from([4, 6]))
def test_fast_matrix_of_one_family_equals_per_pair(
    docs: list[dict[str, Any]], assumptions: Assumptions, family: int
) -> None:
    """Random dual-stack clusters (some pods IPv4 only, ipBlocks and admin networks of both
    families): the matrix of one family equals the per-pair evaluator asked with that
    family, on every pair of the pods that have an address of it."""
    raw = [RawDoc(d, SourceRef("gen.yaml", i)) for i, d in enumerate(docs)]
    cluster = resolve(normalize(raw))
    matrix = reachability(cluster, assumptions=assumptions, family=family)
    kept = pods_of_family(cluster.pods, family)[0]
    assert [p.key for p in matrix.pods] == [p.key for p in kept]
    original = {p.key: p for p in cluster.pods}
    for port in matrix.ports:
        grid = matrix.allowed(port)
        for i, src in enumerate(matrix.pods):
            for j, dst in enumerate(matrix.pods):
                peer_a = PodPeer(original[src.key], family)
                peer_b = PodPeer(original[dst.key], family)
                v = evaluate(cluster, peer_a, peer_b, port[0], port[1], assumptions)
                assert bool(grid[i, j]) == v.allowed, (src.key, dst.key, port, v.reasons)
        assert (matrix.self_allowed(port) == np.diag(grid)).all()


# --- end to end ---------------------------------------------------------------------------


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    code, out, err = run(["matrix", "-f", SCENARIO, *CIDRS, *args], capsys)
    assert code == 0, err
    return out, err


def _pairs(out: str) -> set[tuple[str, str, str]]:
    """CSV pairs with replica names read as their workload prefix."""
    rows = [line.split(",") for line in out.splitlines()[1:]]
    return {(_short(f), _short(t), p) for f, t, p in rows}


def _short(key: str) -> str:
    return key.split("/")[1].split("-")[0]


@pytest.mark.parametrize(
    ("family", "want"),
    [
        # any address: web's own v6 address passes its v6 ipBlock; the clients' v6 addresses
        # too, but their v4 ones match networks 0.0.0.0/0 (Deny): a pod matches by any address
        (
            None,
            {
                ("client", "client", "8080/TCP 9090/TCP"),
                ("legacy", "client", "8080/TCP 9090/TCP"),
                ("legacy", "legacy", "8080/TCP 9090/TCP"),
                ("web", "client", "8080/TCP 9090/TCP"),
                ("web", "legacy", "8080/TCP 9090/TCP"),
                ("web", "web", "8080/TCP 9090/TCP"),
            },
        ),
        # IPv4: the ipBlock is IPv6, so web admits nobody (its own IP included); the clients
        # reach only their own IPs, which the admin tiers do not apply to
        (
            "ipv4",
            {
                ("client", "client", "8080/TCP 9090/TCP"),
                ("legacy", "client", "8080/TCP 9090/TCP"),
                ("legacy", "legacy", "8080/TCP 9090/TCP"),
                ("web", "client", "8080/TCP 9090/TCP"),
                ("web", "legacy", "8080/TCP 9090/TCP"),
            },
        ),
        # IPv6: legacy has no IPv6 address and drops out; networks 0.0.0.0/0 does not match
        (
            "ipv6",
            {
                ("client", "client", "8080/TCP 9090/TCP"),
                ("client", "web", "8080/TCP 9090/TCP"),
                ("web", "client", "8080/TCP 9090/TCP"),
                ("web", "web", "8080/TCP 9090/TCP"),
            },
        ),
    ],
)
def test_cli_csv_per_family(
    family: str | None, want: set[tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = _cli(["-o", "csv"] + (["--family", family] if family else []), capsys)
    assert _pairs(out) == want
    note = "podpath: note: --family ipv6: 1 pod(s) without an IPv6 address left out: shop/legacy"
    assert (note in err) == (family == "ipv6")


def test_cli_every_format_and_by_workload(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _cli(["--family", "ipv6", "-o", "json"], capsys)
    sparse = json.loads(out)
    assert sparse["version"] == 2 and not any("legacy" in p for p in sparse["pods"])
    assert sparse["family"] == "ipv6"
    out, _ = _cli(["-o", "json"], capsys)
    assert "family" not in json.loads(out)
    out, _ = _cli(["--family", "ipv6", "-o", "json", "--dense"], capsys)
    dense = json.loads(out)
    assert dense["pods"] == sparse["pods"]
    out, _ = _cli(["--family", "ipv4", "--by", "workload", "-o", "json", "--dense"], capsys)
    folded = json.loads(out)
    assert folded["pods"] == ["shop/Deployment/client", "shop/Pod/legacy", "shop/Pod/web-1"]
    assert folded["family"] == "ipv4"
    web = folded["pods"].index("shop/Pod/web-1")
    assert not any(row[web] for row in folded["allowed"]["8080/TCP"])  # IPv6 ipBlock only
    out, _ = _cli(["--family", "ipv6", "--by", "workload", "-o", "json", "--dense"], capsys)
    folded6 = json.loads(out)
    assert folded6["pods"] == ["shop/Deployment/client", "shop/Pod/web-1"]
    assert folded6["allowed"]["8080/TCP"] == [[True, True], [True, True]]
    for fmt in ("table", "md", "html", "yaml"):
        out, err = _cli(["--family", "ipv6", "-o", fmt], capsys)
        assert "legacy" not in out and "left out: shop/legacy" in err
        assert ("family: ipv6" in out) == (fmt == "yaml")
