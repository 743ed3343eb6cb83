"""A pod reaching itself and the admin tiers (policy.networking.k8s.io).

kubernetes-sigs/network-policy-api site-src/api-overview.md, "The ClusterNetworkPolicy
Resource": ClusterNetworkPolicy is logically enforced outside the Pod network namespace, so
for "hairpin" traffic a Pod sends to itself:

- "A Pod connecting to its own Pod IP is not subject to CNP."
- "A Pod connecting to a Service IP that the service proxy load-balances back to the same Pod
  is subject to ClusterNetworkPolicy."
- "a Pod reaching itself by its Pod IP and that same Pod reaching itself through a Service IP
  can behave differently, and this is expected."

podpath applies this to every admin kind (ClusterNetworkPolicy Admin/Baseline, and the
v1alpha1 AdminNetworkPolicy/BaselineAdminNetworkPolicy that are the same tiers). To its own IP
the NetworkPolicy tier still decides (isolated: its rules; else allowed), or the
``self-traffic`` assumption ("a pod cannot block access to itself",
https://kubernetes.io/docs/concepts/services-networking/network-policies/). Each case is
checked on the per-pair evaluator, the fast matrix, and through ``trace`` via ``svc:``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from podpath.engine.matrix import reachability
from podpath.engine.policy import SELF_CNP_DOC, evaluate
from podpath.engine.policy_verdict import Assumptions, PodPeer, Tier
from podpath.model.core import Protocol
from policy_conformance_helpers import (
    ING,
    NPAPI_SELF,
    anp,
    banp,
    build,
    cnp,
    erule,
    from_ns,
    model,
    np,
    ns_subject,
    rule,
)
from test_live import run

SELF_ON = Assumptions(self_traffic_allowed=True)


@dataclass(frozen=True)
class SelfCase:
    """x/a to its own IP and to itself through a Service: (allowed, tier) of each; and x/b to
    x/a, which the admin tiers decide as usual."""

    name: str
    objects: tuple[dict[str, Any], ...]
    own_ip: tuple[bool, Tier]
    via_service: tuple[bool, Tier]
    other_pod: bool
    assumptions: Assumptions = Assumptions()


CASES = [
    SelfCase(
        "cnp-admin-deny-own-namespace",
        (cnp("deny-x", "Admin", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("x"))]),),
        (True, Tier.DEFAULT),
        (False, Tier.ADMIN),
        False,
    ),
    SelfCase(
        "cnp-admin-deny-egress-to-own-namespace",
        (cnp("deny-x", "Admin", 10, ns_subject("x"), egress=[erule("Deny", from_ns("x"))]),),
        (True, Tier.DEFAULT),
        (False, Tier.ADMIN),
        False,
    ),
    SelfCase(
        "cnp-admin-accept-and-network-policy-deny",
        (
            cnp("accept-x", "Admin", 10, ns_subject("x"), ingress=[rule("Accept", from_ns("x"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (False, Tier.NETWORK_POLICY),
        (True, Tier.ADMIN),
        True,
    ),
    SelfCase(
        "cnp-admin-pass-to-network-policy",
        (
            cnp("pass-x", "Admin", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("x"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (False, Tier.NETWORK_POLICY),
        (False, Tier.NETWORK_POLICY),
        False,
    ),
    SelfCase(
        "cnp-baseline-deny",
        (cnp("deny-x", "Baseline", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("x"))]),),
        (True, Tier.DEFAULT),
        (False, Tier.BASELINE),
        False,
    ),
    SelfCase(
        "anp-deny-v1alpha1",
        (anp("deny-x", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("x"))]),),
        (True, Tier.DEFAULT),
        (False, Tier.ADMIN),
        False,
    ),
    SelfCase(
        "banp-deny-v1alpha1",
        (banp(ns_subject("x"), ingress=[rule("Deny", from_ns("x"))]),),
        (True, Tier.DEFAULT),
        (False, Tier.BASELINE),
        False,
    ),
    SelfCase(
        "self-traffic-assumption-and-admin-deny",
        (cnp("deny-x", "Admin", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("x"))]),),
        (True, Tier.ASSUMPTION),
        (False, Tier.ADMIN),
        False,
        SELF_ON,
    ),
    SelfCase(
        "self-traffic-assumption-stands-for-network-policy-through-a-service",
        (
            cnp("deny-x", "Baseline", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("x"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (True, Tier.ASSUMPTION),
        (True, Tier.ASSUMPTION),
        False,
        SELF_ON,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_own_ip_skips_the_admin_tiers_a_service_does_not(case: SelfCase) -> None:
    cluster = build(model() + list(case.objects))
    pods = {p.key: p for p in cluster.pods}
    a, b = PodPeer(pods["x/a"]), PodPeer(pods["x/b"])
    direct = evaluate(cluster, a, a, 80, Protocol.TCP, case.assumptions)
    hairpin = evaluate(cluster, a, a, 80, Protocol.TCP, case.assumptions, via_service=True)
    assert (direct.allowed, direct.tier) == case.own_ip, (NPAPI_SELF, direct.reasons)
    assert (hairpin.allowed, hairpin.tier) == case.via_service, (NPAPI_SELF, hairpin.reasons)
    assert SELF_CNP_DOC in direct.notes and SELF_CNP_DOC in hairpin.notes
    assert evaluate(cluster, b, a, 80, Protocol.TCP, case.assumptions).allowed == case.other_pod
    matrix = reachability(cluster, ports=[(80, Protocol.TCP)], assumptions=case.assumptions)
    i = [p.key for p in matrix.pods].index("x/a")
    j = [p.key for p in matrix.pods].index("x/b")
    assert matrix.is_allowed(i, i, (80, Protocol.TCP)) == case.own_ip[0]
    assert matrix.is_allowed(j, i, (80, Protocol.TCP)) == case.other_pod
    assert bool(matrix.self_allowed((80, Protocol.TCP))[i]) == case.own_ip[0]


def test_without_admin_policies_no_note_and_nothing_changes() -> None:
    cluster = build(model() + [np("deny-all", "x", policyTypes=ING)])
    a = PodPeer(next(p for p in cluster.pods if p.key == "x/a"))
    for via in (False, True):
        v = evaluate(cluster, a, a, 80, Protocol.TCP, via_service=via)
        assert not v.allowed and v.tier is Tier.NETWORK_POLICY
        assert SELF_CNP_DOC not in v.notes


WEB = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "x"},
    "spec": {"selector": {"pod": "a"}, "ports": [{"port": 8080, "targetPort": 80}]},
}


def _trace(tmp_path: Path, capsys: pytest.CaptureFixture[str], to: str) -> dict[str, Any]:
    objects = [*model(), WEB, *CASES[0].objects]
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    code, out, err = run(
        ["trace", "--from", "x/a", "--to", to, "-f", str(path), "-o", "json"], capsys
    )
    assert code in (0, 1), err
    return dict(json.loads(out))


def test_trace_to_itself_through_its_service_shows_the_admin_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _trace(tmp_path, capsys, "svc:x/web")
    assert data["verdict"] == "denied"
    [endpoint] = data["endpoints"]
    assert endpoint["pod"] == "x/a" and endpoint["verdict"] == "denied"
    assert (
        endpoint["drop"]
        == data["drop"]
        == ('denied by admin policy rule ClusterNetworkPolicy/deny-x ingress rule 0 "deny" (Deny)')
    )


def test_trace_to_its_own_ip_is_not_subject_to_the_admin_tiers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _trace(tmp_path, capsys, "10.1.0.1:80")
    assert data["verdict"] == "allowed", data


def test_data_plane_hairpin_is_subject_to_the_admin_tiers(tmp_path: Path) -> None:
    """The data plane's element for a pod reaching itself is its hairpin through a Service
    (its own IP never leaves its namespace): the admin tier's Deny holds there."""
    from podpath.api import load_cluster
    from podpath.dataplane.plan import build_plan
    from podpath.dataplane.policy import compile_policies

    path = tmp_path / "in.json"
    objects = [*model(), WEB, *CASES[0].objects]
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    cluster = load_cluster([str(path)])
    ingress = compile_policies(cluster, build_plan(cluster)).ingress
    own = cluster.pod_by_key["x/a"].ips[0]
    sources = {
        a.source for a in ingress if a.destination == own and (a.port, a.protocol) == (80, "TCP")
    }
    assert own not in sources
    assert cluster.pod_by_key["y/a"].ips[0] in sources
    assert cluster.pod_by_key["x/b"].ips[0] not in sources
