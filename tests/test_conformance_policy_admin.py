"""Admin-tier conformance (policy.networking.k8s.io: AdminNetworkPolicy,
BaselineAdminNetworkPolicy, ClusterNetworkPolicy) truth tables and priority ties, from
kubernetes-sigs/network-policy-api (apis/v1alpha1, apis/v1alpha2).
"""

from __future__ import annotations

import pytest

from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import PodPeer
from policy_conformance_helpers import (
    ANP_TYPES,
    CNP_TYPES,
    EGR,
    ING,
    NPAPI,
    Case,
    all_in,
    anp,
    banp,
    build,
    check_tables,
    cnp,
    erule,
    from_ns,
    model,
    np,
    ns_sel,
    ns_subject,
    own_ip,
    pod_sel,
    rule,
    t,
)

ADMIN_CASES = [
    Case(
        "anp-lower-priority-number-is-evaluated-first",
        ANP_TYPES + " (Priority: lower values have higher precedence)",
        (
            anp("deny-y", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
            anp("allow-y", 20, ns_subject("x"), ingress=[rule("Allow", from_ns("y"))]),
            np("allow-all", "x", ingress=[{}]),
        ),
        (t(80, ("y", "x", False)),),
    ),
    Case(
        "anp-allow-first-then-deny",
        ANP_TYPES,
        (
            anp("allow-y", 5, ns_subject("x"), ingress=[rule("Allow", from_ns("y"))]),
            anp("deny-y", 10, ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (t(80, ("*", "x", False), ("y", "x", True)),),
    ),
    Case(
        "anp-rules-in-written-order",
        ANP_TYPES + " (relative precedence of rules within one ANP: the order written)",
        (
            anp(
                "ordered",
                10,
                ns_subject("x"),
                ingress=[
                    rule(
                        "Deny",
                        [
                            {
                                "pods": {
                                    "namespaceSelector": ns_sel("y"),
                                    "podSelector": pod_sel(pod="a"),
                                }
                            }
                        ],
                        "deny-ya",
                    ),
                    rule("Allow", from_ns("y"), "allow-y"),
                ],
            ),
            np("deny-all", "x", policyTypes=ING),
        ),
        (t(80, ("*", "x", False), ("y", "x", True), ("y/a", "x", False)),),
    ),
    Case(
        "anp-pass-skips-lower-admin-rules-to-network-policy",
        ANP_TYPES + " (Pass: skip any remaining ANP rules, then NetworkPolicy)",
        (
            anp("pass-y", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("y"))]),
            anp("allow-y", 20, ns_subject("x"), ingress=[rule("Allow", from_ns("y"))]),
            np("deny-all", "x", policyTypes=ING),
        ),
        (t(80, ("*", "x", False)),),
    ),
    Case(
        "anp-pass-without-network-policy-goes-to-baseline",
        ANP_TYPES + " (Pass: if no NetworkPolicy selects the pod, BaselineAdminNetworkPolicy)",
        (
            anp("pass-y", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("y"))]),
            banp(ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
        ),
        (t(80, ("y", "x", False)),),
    ),
    Case(
        "anp-pass-with-network-policy-ignores-baseline",
        ANP_TYPES,
        (
            anp("pass-y", 10, ns_subject("x"), ingress=[rule("Pass", from_ns("y"))]),
            np(
                "allow-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}],
            ),
            banp(ns_subject("x"), ingress=[rule("Deny", from_ns("y"))]),
        ),
        (t(80, ("*", "x/a", False), ("y", "x/a", True), ("y", "x/b", False), ("y", "x/c", False)),),
    ),
    Case(
        "baseline-only-where-no-network-policy-isolates",
        NPAPI + " BaselineAdminNetworkPolicy (after NetworkPolicy)",
        (
            np(
                "b-to-a",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
            ),
            banp(
                {"namespaces": {}},
                ingress=[
                    rule(
                        "Deny",
                        [
                            {
                                "pods": {
                                    "namespaceSelector": ns_sel("x"),
                                    "podSelector": pod_sel(pod="b"),
                                }
                            }
                        ],
                    )
                ],
            ),
        ),
        (
            t(
                80,
                all_in("x/a", False),
                ("x/b", "*", False),
                ("x/b", "x/a", True),
                *own_ip("x/b", True),  # x/b is not isolated; the BANP does not apply to itself
            ),
        ),
    ),
    Case(
        "baseline-allow-does-not-open-an-isolated-pod",
        NPAPI + " BaselineAdminNetworkPolicy",
        (
            np("deny-all", "x", pod_sel(pod="a"), policyTypes=ING),
            banp({"namespaces": {}}, ingress=[rule("Allow", [{"namespaces": {}}])]),
        ),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "anp-egress-allow-does-not-skip-destination-ingress",
        CNP_TYPES + " (Accept on egress: ingress rules at the destination still apply)",
        (
            anp("x-egress-all", 10, ns_subject("x"), egress=[erule("Allow", [{"namespaces": {}}])]),
            np("deny-all", "y", policyTypes=ING),
            np("deny-egress", "x", policyTypes=EGR),
        ),
        (t(80, ("*", "y", False), *own_ip("x", False)),),  # own IP: deny-egress decides
    ),
    Case(
        "anp-ingress-allow-does-not-skip-source-egress",
        ANP_TYPES,
        (
            anp(
                "x-ingress-all", 10, ns_subject("x"), ingress=[rule("Allow", [{"namespaces": {}}])]
            ),
            np("deny-egress", "y", policyTypes=EGR),
            np("deny-ingress", "x", policyTypes=ING),
        ),
        (  # own IP: deny-ingress decides
            t(80, ("y", "*", False), ("*", "x", True), ("y", "x", False), *own_ip("x", False)),
        ),
    ),
    Case(
        "anp-deny-ports-number-range-and-name",
        ANP_TYPES + " / shared_types.go AdminNetworkPolicyPort",
        (
            anp(
                "ports",
                10,
                ns_subject("x"),
                ingress=[
                    rule(
                        "Deny",
                        from_ns("y"),
                        "n",
                        ports=[{"portNumber": {"protocol": "TCP", "port": 80}}],
                    ),
                    rule(
                        "Deny",
                        from_ns("y"),
                        "r",
                        ports=[{"portRange": {"protocol": "UDP", "start": 80, "end": 81}}],
                    ),
                    rule("Deny", from_ns("z"), "name", ports=[{"namedPort": "serve-81-sctp"}]),
                ],
            ),
        ),
        (
            t(80, ("y", "x", False)),
            t(81),
            t(80, ("y", "x", False), protocol="UDP"),
            t(81, ("y", "x", False), protocol="UDP"),
            t(81, ("z", "x", False), protocol="SCTP"),
            t(80, protocol="SCTP"),
        ),
    ),
    Case(
        "anp-subject-pods-and-namespaces",
        ANP_TYPES + " (subject: namespaces, or pods = namespaceSelector AND podSelector)",
        (
            anp(
                "deny-to-xa",
                10,
                {"pods": {"namespaceSelector": ns_sel("x"), "podSelector": pod_sel(pod="a")}},
                ingress=[rule("Deny", [{"namespaces": {}}])],
            ),
        ),
        (t(80, all_in("x/a", False), *own_ip("x/a", True)),),  # own IP: no admin tier
    ),
    Case(
        "anp-networks-peer-matches-pod-ips",
        CNP_TYPES + " (Networks: cluster-internal traffic is checked against the rule as well)",
        (
            anp(
                "deny-to-y-cidr",
                10,
                ns_subject("x"),
                egress=[erule("Deny", [{"networks": ["10.2.0.0/16"]}])],
            ),
        ),
        (t(80, ("x", "y", False)),),
    ),
    Case(
        "cnp-admin-accept-deny-pass-and-baseline",
        CNP_TYPES + " (tiers Admin -> NetworkPolicy -> Baseline; Accept/Deny/Pass)",
        (
            cnp("admin-pass-z", "Admin", 5, ns_subject("x"), ingress=[rule("Pass", from_ns("z"))]),
            cnp(
                "admin-accept-y",
                "Admin",
                10,
                ns_subject("x"),
                ingress=[rule("Accept", from_ns("y")), rule("Deny", from_ns("z"))],
            ),
            np("deny-all", "x", pod_sel(pod="a"), policyTypes=ING),
            cnp(
                "baseline-deny-z",
                "Baseline",
                10,
                ns_subject("x"),
                ingress=[rule("Deny", from_ns("z"))],
            ),
        ),
        (t(80, ("*", "x/a", False), ("y", "x", True), ("z", "x", False)),),
    ),
    Case(
        "cnp-protocols-destination-port-and-range",
        CNP_TYPES + " (protocols: tcp/udp/sctp destinationPort number or range)",
        (
            cnp(
                "deny-ports",
                "Admin",
                10,
                ns_subject("x"),
                ingress=[
                    rule(
                        "Deny",
                        from_ns("y"),
                        "tcp80",
                        protocols=[{"tcp": {"destinationPort": {"number": 80}}}],
                    ),
                    rule(
                        "Deny",
                        from_ns("y"),
                        "udp",
                        protocols=[
                            {"udp": {"destinationPort": {"range": {"start": 80, "end": 81}}}}
                        ],
                    ),
                ],
            ),
        ),
        (t(80, ("y", "x", False)), t(81), t(81, ("y", "x", False), protocol="UDP")),
    ),
]


@pytest.mark.parametrize("case", ADMIN_CASES, ids=[c.name for c in ADMIN_CASES])
def test_admin_truth_table(case: Case) -> None:
    check_tables(case)


# --- admin priority ties: the spec leaves them to the implementation ---------------------

TIE = CNP_TYPES + " (same priority: the implementation can apply any); " + ANP_TYPES


@pytest.mark.parametrize(
    "actions,flagged",
    [
        (("Deny", "Allow"), True),
        (("Allow", "Deny"), True),
        (("Deny", "Deny"), False),
        (("Pass", "Deny"), True),
    ],
    ids=["deny-vs-allow", "allow-vs-deny", "same-action", "pass-vs-deny"],
)
def test_admin_priority_tie_is_named(actions: tuple[str, str], flagged: bool) -> None:
    """Two ANPs with the same priority matching one connection with different verdicts: the
    verdict names assumption ``admin-priority-tie`` ({TIE}); otherwise it does not."""
    first, second = actions
    cluster = build(
        model()
        + [
            anp("a-first", 10, ns_subject("x"), ingress=[rule(first, from_ns("y"))]),
            anp("b-second", 10, ns_subject("x"), ingress=[rule(second, from_ns("y"))]),
        ]
    )
    pods = cluster.pod_by_key
    v = evaluate(cluster, PodPeer(pods["y/a"]), PodPeer(pods["x/a"]), 80)
    assert ("admin-priority-tie" in v.assumptions) == flagged, v.ingress.reason
    other = evaluate(cluster, PodPeer(pods["z/a"]), PodPeer(pods["x/a"]), 80)
    assert "admin-priority-tie" not in other.assumptions
