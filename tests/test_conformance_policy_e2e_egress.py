"""Upstream e2e NetworkPolicy truth tables, part 2: deny policies, egress, precedence of
allow-all, ipBlock and except, protocols, port ranges
(kubernetes/kubernetes test/e2e/network/netpol/network_policy.go).

Every case runs against both the per-pair evaluator and the fast matrix, on every pod pair.
"""

from __future__ import annotations

import pytest

from policy_conformance_helpers import (
    E2E,
    EGR,
    ING,
    Case,
    all_in,
    all_out,
    check_tables,
    np,
    ns_sel,
    pod_ip,
    pod_sel,
    t,
)

E2E_CASES = [
    Case(
        "policy-with-no-ingress-rules-denies-all",
        E2E + " (should enforce updated policy: ingress: [])",
        (np("deny-all", "x", ingress=[]),),
        (t(81, ("*", "x", False)),),
    ),
    Case(
        "deny-ingress-from-other-namespaces-with-empty-pod-selector-peer",
        E2E,
        (np("deny-empty-policy", "x", ingress=[{"from": [{"podSelector": {}}]}]),),
        (t(80, ("y", "x", False), ("z", "x", False)),),
    ),
    Case(
        "deny-egress-by-pod-selector",
        E2E,
        (np("deny-egress-pod-a", "x", pod_sel(pod="a"), policyTypes=EGR),),
        (t(80, all_out("x/a", False)),),
    ),
    Case(
        "deny-egress-from-a-namespace",
        E2E,
        (np("deny-egress-ns-x", "x", policyTypes=EGR),),
        (t(80, ("x", "*", False)),),
    ),
    Case(
        "ingress-and-egress-together",
        E2E,
        (
            np(
                "allow-from-b-egress-80",
                "x",
                pod_sel(pod="a"),
                policyTypes=["Egress", "Ingress"],
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
                egress=[{"ports": [{"port": 80}]}],
            ),
        ),
        (
            t(80, all_in("x/a", False), ("x/b", "x/a", True)),
            t(81, all_in("x/a", False), all_out("x/a", False), ("x/b", "x/a", True)),
        ),
    ),
    Case(
        "client-egress-denies-even-if-server-ingress-allows",
        E2E,
        (
            np(
                "allow-to-y-a",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {"to": [{"namespaceSelector": ns_sel("y"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
            np(
                "allow-from-xa-on-ya",
                "y",
                pod_sel(pod="a"),
                ingress=[
                    {"from": [{"namespaceSelector": ns_sel("x"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
            np(
                "allow-from-xa-on-yb",
                "y",
                pod_sel(pod="b"),
                ingress=[
                    {"from": [{"namespaceSelector": ns_sel("x"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
        ),
        (
            t(
                80,
                ("x/a", "*", False),
                ("*", "y/a", False),
                ("x/a", "y/a", True),
                ("*", "y/b", False),
            ),
        ),
    ),
    Case(
        "egress-to-a-server-in-another-namespace",
        E2E,
        (
            np(
                "allow-to-y-a",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {"to": [{"namespaceSelector": ns_sel("y"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
        ),
        (t(80, all_out("x/a", False), ("x/a", "y/a", True)),),
    ),
    Case(
        "any-port-on-one-protocol",
        E2E,
        (
            np(
                "allow-ingress-by-proto",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"protocol": "TCP"}]}],
            ),
        ),
        (t(80), t(80, all_in("x/a", False), protocol="UDP")),
    ),
    Case(
        "ingress-allow-all-policy-takes-precedence",
        E2E,
        (
            np("allow-ingress-port-80", "x", ingress=[{"ports": [{"port": 80}]}]),
            np("allow-ingress", "x", ingress=[{}]),
        ),
        (t(81),),
    ),
    Case(
        "egress-allow-all-policy-takes-precedence",
        E2E,
        (
            np("allow-egress-port-80", "x", policyTypes=EGR, egress=[{"ports": [{"port": 80}]}]),
            np("allow-egress", "x", policyTypes=EGR, egress=[{}]),
        ),
        (t(81),),
    ),
    Case(
        "egress-only-port-80-blocks-81",
        E2E,
        (np("allow-egress-port-80", "x", policyTypes=EGR, egress=[{"ports": [{"port": 80}]}]),),
        (t(81, ("x", "*", False)), t(80)),
    ),
    Case(
        "egress-to-a-server-in-cidr-block",
        E2E + " (ipBlock matches the pod IP, /32)",
        (
            np(
                "allow-to-yb-ip",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"to": [{"ipBlock": {"cidr": pod_ip("y", "b") + "/32"}}]}],
            ),
        ),
        (t(80, all_out("x/a", False), ("x/a", "y/b", True)),),
    ),
    Case(
        "except-clause-in-cidr-block",
        E2E,
        (
            np(
                "allow-cidr-except-xb",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "ipBlock": {
                                    "cidr": pod_ip("x", "a") + "/4",
                                    "except": [pod_ip("x", "b") + "/32"],
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x/a", "x/b", False)),),
    ),
    Case(
        "ip-in-except-is-allowed-by-another-block",
        E2E + " (an IP overlapping both cidr and except is allowed by a second policy)",
        (
            np(
                "allow-cidr-except-xb",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "ipBlock": {
                                    "cidr": pod_ip("x", "a") + "/4",
                                    "except": [pod_ip("x", "b") + "/32"],
                                }
                            }
                        ]
                    }
                ],
            ),
            np(
                "allow-xb",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"to": [{"ipBlock": {"cidr": pod_ip("x", "b") + "/32"}}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "ingress-and-egress-controlled-independently",
        E2E,
        (
            np("allow-egress-for-target", "x", pod_sel(pod="a"), policyTypes=EGR, egress=[{}]),
            np("deny-ingress-for-target", "x", pod_sel(pod="a"), policyTypes=ING),
        ),
        (t(80, all_in("x/a", False)),),
    ),
    Case(
        "sctp-is-not-tcp",
        E2E + " (should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP')",
        (
            np("deny-ingress", "x", policyTypes=ING),
            np(
                "allow-only-sctp-81",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 81, "protocol": "SCTP"}]}],
            ),
        ),
        (
            t(81, ("*", "x", False)),
            t(81, ("*", "x/b", False), ("*", "x/c", False), protocol="SCTP"),
        ),
    ),
    Case(
        "policy-allowing-sctp-isolates-for-tcp",
        E2E,
        (
            np(
                "allow-only-sctp-80",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 80, "protocol": "SCTP"}]}],
            ),
        ),
        (t(81, all_in("x/a", False)), t(80, all_in("x/a", True), protocol="SCTP")),
    ),
    Case(
        "udp-only-does-not-allow-tcp",
        E2E,
        (
            np(
                "allow-only-udp-81",
                "x",
                pod_sel(pod="a"),
                ingress=[{"ports": [{"port": 81, "protocol": "UDP"}]}],
            ),
        ),
        (t(81, all_in("x/a", False)), t(81, protocol="UDP")),
    ),
    Case(
        "namespace-selector-default-name-label",
        E2E,
        (
            np(
                "allow-from-y-by-name-label",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}],
            ),
        ),
        (t(80, ("x", "x/a", False), ("z", "x/a", False)),),
    ),
    Case(
        "egress-namespace-not-in-by-name-label",
        E2E,
        (
            np(
                "allow-egress-not-y",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["y"],
                                        }
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x/a", "y", False)),),
    ),
    Case(
        "end-port-range",
        E2E + " (network_legacy / SCTP+endPort: egress to a port range, inclusive)",
        (
            np(
                "allow-egress-80-81",
                "x",
                pod_sel(pod="a"),
                policyTypes=EGR,
                egress=[{"ports": [{"port": 80, "endPort": 81}]}],
            ),
        ),
        (t(80), t(81), t(80, all_out("x/a", False), protocol="UDP")),
    ),
]


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.name for c in E2E_CASES])
def test_e2e_truth_table(case: Case) -> None:
    check_tables(case)
