"""Upstream e2e NetworkPolicy truth tables, part 1: ingress isolation, pod and namespace
selectors, named ports (kubernetes/kubernetes test/e2e/network/netpol/network_policy.go).

Every case runs against both the per-pair evaluator and the fast matrix, on every pod pair
(:func:`policy_conformance_helpers.check_tables`); part 2 is test_conformance_policy_e2e_egress.py.
"""

from __future__ import annotations

import pytest

from policy_conformance_helpers import (
    BOTH,
    E2E,
    EGR,
    ING,
    Case,
    all_in,
    check_tables,
    np,
    ns_sel,
    pod_sel,
    t,
)

E2E_CASES = [
    Case(
        "default-deny-ingress",
        E2E,
        (np("deny-ingress", "x", policyTypes=ING),),
        (t(80, ("*", "x", False)),),
    ),
    Case(
        "default-deny-all",
        E2E,
        (np("deny-all", "x", policyTypes=BOTH),),
        (t(80, ("*", "x", False), ("x", "*", False)),),
    ),
    Case(
        "allow-from-pods-in-server-namespace-by-pod-selector",
        E2E,
        (
            np(
                "x-a-allows-x-b",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": pod_sel(pod="b")}]}],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "x/a", True)),),
    ),
    Case(
        "allow-ingress-for-a-target-over-deny-all",
        E2E,
        (
            np("deny-all", "x", policyTypes=ING),
            np(
                "allow-all-to-a",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"podSelector": {}, "namespaceSelector": {}}]}],
            ),
        ),
        (t(80, all_in("x/a", True), all_in("x/b", False), all_in("x/c", False)),),
    ),
    Case(
        "allow-from-all-namespaces-with-empty-namespace-selector",
        E2E,
        (
            np(
                "allow-from-another-ns",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": {"matchLabels": {}}}]}],
            ),
        ),
        (t(80),),
    ),
    Case(
        "allow-only-from-a-different-namespace",
        E2E,
        (
            np(
                "allow-client-a-via-ns-selector",
                "x",
                pod_sel(pod="a"),
                ingress=[{"from": [{"namespaceSelector": ns_sel("y")}]}],
            ),
        ),
        (t(80, ("x", "x/a", False), ("z", "x/a", False)),),
    ),
    Case(
        "pod-selector-match-expressions",
        E2E,
        (
            np(
                "x-a-allows-x-b",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "pod", "operator": "In", "values": ["b"]}
                                    ]
                                }
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "x/a", True)),),
    ),
    Case(
        "namespace-selector-match-expressions",
        E2E,
        (
            np(
                "allow-ns-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "In",
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
        (t(80, ("x", "x/a", False), ("z", "x/a", False)),),
    ),
    Case(
        "pod-selector-or-namespace-selector-two-peers",
        E2E,
        (
            np(
                "allow-ns-not-x-or-pod-b",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["x"],
                                        }
                                    ]
                                }
                            },
                            {"podSelector": pod_sel(pod="b")},
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x/a", "x/a", False), ("x/c", "x/a", False)),),
    ),
    Case(
        "pod-selector-and-namespace-selector-one-peer",
        E2E,
        (
            np(
                "allow-ns-not-x-and-pod-b",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["x"],
                                        }
                                    ]
                                },
                                "podSelector": pod_sel(pod="b"),
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("y/b", "x/a", True), ("z/b", "x/a", True)),),
    ),
    Case(
        "multiple-pod-and-namespace-selectors",
        E2E,
        (
            np(
                "allow-ns-y-z-pod-b-c",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {
                                            "key": "kubernetes.io/metadata.name",
                                            "operator": "NotIn",
                                            "values": ["x"],
                                        }
                                    ]
                                },
                                "podSelector": {
                                    "matchExpressions": [
                                        {"key": "pod", "operator": "In", "values": ["b", "c"]}
                                    ]
                                },
                            }
                        ]
                    }
                ],
            ),
        ),
        (t(80, ("x", "x/a", False), ("y/a", "x/a", False), ("z/a", "x/a", False)),),
    ),
    Case(
        "any-of-several-pod-selectors",
        E2E,
        (
            np(
                "allow-ns-x-pod-b-c",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {"from": [{"podSelector": pod_sel(pod="b")}, {"podSelector": pod_sel(pod="c")}]}
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("x/b", "x/a", True), ("x/c", "x/a", True)),),
    ),
    Case(
        "pod-in-a-different-namespace-by-pod-and-namespace-selector",
        E2E,
        (
            np(
                "allow-ns-y-pod-a",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {"from": [{"namespaceSelector": ns_sel("y"), "podSelector": pod_sel(pod="a")}]}
                ],
            ),
        ),
        (t(80, all_in("x/a", False), ("y/a", "x/a", True)),),
    ),
    Case(
        "ports-one-port-from-one-namespace",
        E2E,
        (
            np(
                "allow-81-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": 81, "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            t(81, ("x", "x/a", False), ("y", "x/a", True), ("z", "x/a", False)),
            t(80, all_in("x/a", False)),
        ),
    ),
    Case(
        "stacked-policies-with-overlapping-selectors-add-up",
        E2E,
        (
            np(
                "allow-81-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": 81, "protocol": "TCP"}],
                    }
                ],
            ),
            np(
                "allow-80-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": 80, "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            t(81, ("x", "x/a", False), ("z", "x/a", False)),
            t(80, ("x", "x/a", False), ("z", "x/a", False)),
        ),
    ),
    Case(
        "allow-all-with-empty-ingress-rule",
        E2E,
        (np("allow-all", "x", ingress=[{}]),),
        (t(80), t(81)),
    ),
    Case(
        "ingress-on-one-named-port",
        E2E,
        (np("allow-81-by-name", "x", ingress=[{"ports": [{"port": "serve-81-tcp"}]}]),),
        (t(81), t(80, ("*", "x", False))),
    ),
    Case(
        "ingress-from-namespace-on-one-named-port",
        E2E,
        (
            np(
                "allow-80-by-name-from-y",
                "x",
                pod_sel(pod="a"),
                ingress=[
                    {
                        "from": [{"namespaceSelector": ns_sel("y")}],
                        "ports": [{"port": "serve-80-tcp", "protocol": "TCP"}],
                    }
                ],
            ),
        ),
        (
            t(80, ("x", "x/a", False), ("z", "x/a", False)),
            t(81, all_in("x/a", False)),
        ),
    ),
    Case(
        "egress-on-one-named-port-resolves-on-the-destination",
        E2E,
        (
            np(
                "allow-egress-80-by-name",
                "x",
                policyTypes=EGR,
                egress=[{"ports": [{"port": "serve-80-tcp"}]}],
            ),
        ),
        (t(80), t(81, ("x", "*", False))),
    ),
]


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.name for c in E2E_CASES])
def test_e2e_truth_table(case: Case) -> None:
    check_tables(case)
