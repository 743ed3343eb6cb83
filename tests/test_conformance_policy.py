"""NetworkPolicy conformance: the API's defaults and the concept page's cases, validation,
and what `check`/`explain` conclude from policies; unknown selector fields.

Shared model and helpers: policy_conformance_helpers.py (the upstream e2e model, x/y/z x
a/b/c). The upstream e2e tables are in test_conformance_policy_e2e*.py, single connections in
test_conformance_policy_flows.py, the admin tiers in test_conformance_policy_admin.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from podpath.errors import InputError
from policy_conformance_helpers import (
    BOTH,
    DEFAULTS,
    DOCS,
    EGR,
    ING,
    REF,
    Case,
    all_in,
    all_out,
    anp,
    build,
    check_tables,
    from_ns,
    model,
    np,
    ns_sel,
    ns_subject,
    pod_sel,
    rule,
    t,
)

# --- the API's defaults and the concept page's cases ---------------------------------------

SPEC_CASES = [
    Case(
        "policy-types-empty-list-is-defaulted-like-absent",
        DEFAULTS + ": len(policyTypes) == 0 -> [Ingress] (+ Egress when egress rules exist)",
        (np("empty-types", "x", pod_sel(pod="a"), policyTypes=[]),),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "policy-types-empty-list-with-egress-rules-is-ingress-and-egress",
        DEFAULTS,
        (
            np(
                "empty-types",
                "x",
                pod_sel(pod="a"),
                policyTypes=[],
                egress=[{"to": [{"podSelector": {}}]}],
            ),
        ),
        (
            t(
                80,
                all_in("x/a", False),
                all_out("x/a", False),
                ("x/a", "x", True),
                ("x/a", "x/a", False),
            ),
        ),
    ),
    Case(
        "policy-types-omitted-with-egress-rules-is-ingress-and-egress",
        DEFAULTS + "; " + REF + "#NetworkPolicySpec policyTypes",
        (np("egress-rules", "x", pod_sel(pod="a"), egress=[{"to": [{"podSelector": {}}]}]),),
        (
            t(
                80,
                all_in("x/a", False),
                all_out("x/a", False),
                ("x/a", "x", True),
                ("x/a", "x/a", False),
            ),
        ),
    ),
    Case(
        "policy-types-omitted-with-empty-egress-list-is-ingress-only",
        DEFAULTS + " (len(egress) == 0)",
        (np("no-egress-rules", "x", pod_sel(pod="a"), egress=[]),),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "policy-types-egress-only-ignores-ingress-rules",
        REF + "#NetworkPolicySpec (ingress rules of a policy without Ingress type do not apply)",
        (
            np(
                "egress-only",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80, all_out("x/a", False)),),
    ),
    Case(
        "policy-types-ingress-only-ignores-egress-rules",
        REF + "#NetworkPolicySpec",
        (
            np(
                "ingress-only",
                "x",
                pod_sel(pod="a"),
                policyTypes=ING,
                ingress=[{}],
                egress=[{"to": [{"podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "empty-from-list-means-every-source",
        REF + "#NetworkPolicyIngressRule from: empty or missing matches all sources",
        (np("from-empty", "x", pod_sel(pod="a"), ingress=[{"from": [], "ports": [{"port": 80}]}]),),
        (t(80), t(81, all_in("x/a", False))),
    ),
    Case(
        "empty-ports-list-means-every-port",
        REF + "#NetworkPolicyIngressRule ports: empty or missing matches all ports",
        (
            np(
                "ports-empty",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}], "ports": []}],
            ),
        ),
        (
            t(80, all_in("x/a", False), ("x/b", "x/a", True)),
            t(81, all_in("x/a", False), ("x/b", "x/a", True), protocol="SCTP"),
        ),
    ),
    Case(
        "empty-pod-selector-peer-is-the-policy-namespace-only",
        DOCS + " (podSelector without namespaceSelector: pods of the policy's namespace)",
        (np("same-ns", "y", ingress=[{"from": [{"podSelector": {}}]}]),),
        (t(80, ("*", "y", False), ("y", "y", True)),),
    ),
    Case(
        "empty-namespace-selector-peer-is-every-pod-of-every-namespace",
        REF + "#NetworkPolicyPeer",
        (
            np(
                "all-ns",
                "y",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"to": [{"namespaceSelector": {}}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "both-selectors-empty-in-one-peer-is-every-pod",
        REF + "#NetworkPolicyPeer",
        (np("all-pods", "y", ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {}}]}]),),
        (t(80),),
    ),
    Case(
        "pod-selector-with-namespace-selector-selects-in-other-namespaces",
        DOCS + " (Behavior of to and from selectors: namespaceSelector AND podSelector)",
        (
            np(
                "b-anywhere",
                "y",
                ingress=[{"from": [{"namespaceSelector": {}, "podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80, ("*", "y", False), ("y/b", "y", True), ("x/b", "y", True), ("z/b", "y", True)),),
    ),
    Case(
        "policies-never-select-pods-of-another-namespace",
        REF + "#NetworkPolicySpec podSelector (selects pods in the policy's namespace)",
        (np("deny-all-in-y", "y", policyTypes=BOTH),),
        (t(80, ("*", "y", False), ("y", "*", False)),),
    ),
    Case(
        "match-expressions-exists-and-does-not-exist",
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#set-based-requirement",
        (
            np(
                "exists",
                "x",
                {"matchExpressions": [{"key": "pod", "operator": "Exists"}]},
                ingress=[
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "missing", "operator": "DoesNotExist"},
                                        {"key": "pod", "operator": "NotIn", "values": ["c"]},
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("*", "x", False), ("x/a", "x", True), ("x/b", "x", True)),),
    ),
]


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c.name for c in SPEC_CASES])
def test_spec_truth_table(case: Case) -> None:
    check_tables(case)


# --- validation: what the API server rejects is an input error, not a guess ----------------

VALIDATION = "kubernetes/kubernetes pkg/apis/networking/validation/validation.go"
BAD_POLICIES = [
    (
        "except-equal-to-cidr",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.0/24"]}}]}]},
    ),
    (
        "except-outside-cidr",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.1.0/28"]}}]}]},
    ),
    (
        "except-other-family",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": ["fd00::/64"]}}]}]},
    ),
    ("invalid-cidr", {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.300/24"}}]}]}),
    (
        "ip-block-with-selector",
        {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]},
    ),
    ("empty-peer", {"ingress": [{"from": [{}]}]}),
    ("end-port-without-port", {"ingress": [{"ports": [{"endPort": 90}]}]}),
    ("end-port-below-port", {"ingress": [{"ports": [{"port": 90, "endPort": 80}]}]}),
    ("end-port-with-named-port", {"ingress": [{"ports": [{"port": "http", "endPort": 80}]}]}),
    ("unknown-protocol", {"ingress": [{"ports": [{"port": 80, "protocol": "ICMP"}]}]}),
    ("unknown-policy-type", {"policyTypes": ["Ingress", "Sideways"]}),
]


@pytest.mark.parametrize("spec", [b[1] for b in BAD_POLICIES], ids=[b[0] for b in BAD_POLICIES])
def test_invalid_policy_is_an_input_error(spec: dict[str, Any]) -> None:
    """ValidateNetworkPolicySpec / ValidateIPBlock / ValidateNetworkPolicyPort ({VALIDATION})."""
    with pytest.raises(InputError):
        build(model() + [np("bad", "x", **spec)])


# --- podpath check: a "denied" expectation covers every port, declared or not ------------


def test_check_denied_covers_undeclared_ports() -> None:
    """A container port need not be declared to be reachable ({REF}#NetworkPolicyPort; the
    Pod API: "Not specifying a port here DOES NOT prevent that port from being exposed"), so
    ``expect: denied`` without ``ports`` must fail when any port is allowed."""
    from podpath.analyze.check import parse_expectations, run_checks

    objects = model() + [
        np("deny-all", "x", policyTypes=ING),
        np(
            "oops-9999",
            "x",
            pod_sel(pod="a"),
            ingress=[{"ports": [{"port": 9000, "endPort": 9999}]}],
        ),
        np(
            "oops-udp",
            "x",
            pod_sel(pod="b"),
            ingress=[{"ports": [{"port": 5353, "protocol": "UDP"}]}],
        ),
    ]
    cluster = build(objects)
    data = {
        "expectations": [
            {"name": "nothing reaches x/a", "from": "!x/*", "to": "x/a", "expect": "denied"},
            {"name": "nothing reaches x/b", "from": "!x/*", "to": "x/b", "expect": "denied"},
            {"name": "nothing reaches x/c", "from": "!x/*", "to": "x/c", "expect": "denied"},
        ]
    }
    result = run_checks(cluster, parse_expectations(data, "expect.yaml"))
    ok = {r["name"]: r["ok"] for r in result["results"]}
    assert ok == {
        "nothing reaches x/a": False,
        "nothing reaches x/b": False,
        "nothing reaches x/c": True,
    }
    ports = {v["port"] for r in result["results"] for v in r["violations"]}
    assert ports <= {"9000/TCP", "5353/UDP"} and ports


# --- podpath explain: what addresses outside the cluster may do ---------------------------


def test_explain_egress_named_ports_never_reach_outside() -> None:
    """Egress on a named port resolves on the destination pod; an address outside the cluster
    has no container ports, so such a rule lets the pod reach no outside address
    ({REF}#NetworkPolicyPort; issue 3). Numeric rules and ipBlock rules still count."""
    from podpath.analyze.explain import explain_pod

    cluster = build(
        model()
        + [
            np(
                "named",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}]}],
            ),
            np(
                "mixed",
                "x",
                pod_sel(pod="b"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}, {"port": 443}]}],
            ),
            np("in-named", "x", pod_sel(pod="a"), ingress=[{"ports": [{"port": "serve-80-tcp"}]}]),
        ]
    )
    a = explain_pod(cluster, "x/a")
    assert a["egress"]["external"] == []
    assert len(a["ingress"]["external"]) == 1  # ingress: the name resolves on x/a itself
    assert len(explain_pod(cluster, "x/b")["egress"]["external"]) == 1


# --- a selector with an unknown field is an error, never "select everything" ---------------


@pytest.mark.parametrize(
    "objects",
    [
        [np("typo", "x", {"matchLabel": {"pod": "a"}}, policyTypes=ING)],
        [
            np(
                "peer-typo",
                "x",
                ingress=[{"from": [{"podSelector": {"matchlabels": {"pod": "b"}}}]}],
            )
        ],
        [
            anp(
                "old-shape",
                10,
                {"namespaces": {"namespaceSelector": ns_sel("x")}},
                ingress=[rule("Deny", from_ns("y"))],
            )
        ],
        [
            anp(
                "same-labels",
                10,
                ns_subject("x"),
                ingress=[rule("Deny", [{"namespaces": {"sameLabels": ["team"]}}])],
            )
        ],
    ],
    ids=["np-pod-selector", "np-peer", "anp-subject-old-shape", "anp-peer-same-labels"],
)
def test_selector_with_unknown_field_is_an_input_error(objects: list[dict[str, Any]]) -> None:
    """Strict field validation (kubectl's default) rejects unknown fields; podpath must not
    read ``{matchLabel: ...}`` (or an older admin-policy shape) as the empty selector, which
    would select every pod (https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation)."""
    with pytest.raises(InputError, match="unknown field"):
        build(model() + objects)
