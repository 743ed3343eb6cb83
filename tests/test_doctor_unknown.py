"""doctor's ``unknown`` verdict and the canary pattern.

- A selector that matches no pod of the input, in a namespace where a custom resource that
  podpath skips likely creates the pods (an operator's Prometheus or Alertmanager), cannot be
  decided: verdict ``unknown``, severity info, the skipped objects named, no hint to change the
  selector (issue 13; kube-prometheus got 2 errors and 10 warnings that were all false).
- One Service over workloads that differ by a version or track label is the canary pattern of
  the Kubernetes docs ("Managing Workloads", Canary deployments:
  https://kubernetes.io/docs/concepts/workloads/management/#canary-deployments): info.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of

from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.context import canary_keys
from podpath.analyze.doctor.findings import PROBLEM, UNKNOWN, Finding

PROMETHEUS = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "Prometheus",
    "metadata": {"name": "k8s", "namespace": "monitoring", "labels": {"app": "prometheus"}},
    "spec": {"replicas": 2},
}
SERVICE_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "ServiceMonitor",
    "metadata": {"name": "sm", "namespace": "monitoring", "labels": {"app": "prometheus"}},
}
CONFIGMAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "c", "namespace": "monitoring"},
}


def service(selector: dict[str, str], ns: str = "monitoring") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "prometheus-k8s", "namespace": ns},
        "spec": {"selector": selector, "ports": [{"port": 9090}]},
    }


def policy(pod_selector: dict[str, str], peer: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "grafana", "namespace": "monitoring"},
        "spec": {
            "podSelector": {"matchLabels": pod_selector},
            "ingress": [{"from": [{"podSelector": {"matchLabels": peer}}]}],
        },
    }


def deployment(name: str, labels: dict[str, str], ns: str = "monitoring") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c"}]}},
        },
    }


def findings(*objs: dict[str, Any], code: str) -> list[Finding]:
    return [f for f in diagnose(cluster_of(*objs)) if f.code == code]


CASES = [
    # (case, other objects, verdict, severity, named)
    ("a Prometheus whose labels match", [PROMETHEUS], UNKNOWN, "info", "Prometheus/monitoring/k8s"),
    (
        "a custom resource in the namespace",
        [{**PROMETHEUS, "metadata": {"name": "x", "namespace": "monitoring"}}],
        UNKNOWN,
        "info",
        "Prometheus/monitoring/x",
    ),
    ("only a ServiceMonitor (creates no pods)", [SERVICE_MONITOR], PROBLEM, "error", None),
    ("only a ConfigMap (a built-in kind)", [CONFIGMAP], PROBLEM, "error", None),
    (
        "a Prometheus in another namespace",
        [{**PROMETHEUS, "metadata": {"name": "k8s", "namespace": "other"}}],
        PROBLEM,
        "error",
        None,
    ),
    ("nothing skipped", [], PROBLEM, "error", None),
]


@pytest.mark.parametrize(
    ("case", "others", "verdict", "severity", "named"), CASES, ids=[c[0] for c in CASES]
)
def test_a_service_over_pods_an_operator_creates_is_unknown(
    case: str, others: list[dict[str, Any]], verdict: str, severity: str, named: str | None
) -> None:
    (found,) = findings(service({"app": "prometheus"}), *others, code="service-selects-no-pods")
    assert (found.verdict, found.severity.value) == (verdict, severity)
    if named is not None:
        assert named in found.message and found.message.startswith("unknown: ")
        assert "spec.selector" not in found.hint and "nothing to change" in found.hint
        assert named in found.related


def test_the_creators_whose_labels_match_are_named_first() -> None:
    other = {
        **PROMETHEUS,
        "kind": "Alertmanager",
        "metadata": {"name": "main", "namespace": "monitoring", "labels": {"app": "alertmanager"}},
    }
    (found,) = findings(
        service({"app": "prometheus"}), PROMETHEUS, other, code="service-selects-no-pods"
    )
    assert "Prometheus/monitoring/k8s" in found.message
    assert "Alertmanager" not in found.message


def test_policies_over_operator_pods_are_unknown() -> None:
    objs = [policy({"app": "prometheus"}, {"app": "prometheus"}), PROMETHEUS]
    selects = findings(
        *objs, deployment("grafana", {"app": "grafana"}), code="policy-selects-no-pods"
    )
    peers = findings(
        *objs, deployment("grafana", {"app": "grafana"}), code="policy-peer-matches-no-pods"
    )
    assert [(f.verdict, f.severity.value) for f in selects + peers] == [
        (UNKNOWN, "info"),
        (UNKNOWN, "info"),
    ]


def test_a_selector_typo_next_to_its_pods_is_still_a_problem() -> None:
    """A custom resource whose labels do not match is a candidate only when nothing else
    explains the miss -- here a near miss among the input's pods does (a typo)."""
    (found,) = findings(
        service({"app": "grafna"}),
        deployment("grafana", {"app": "grafana"}),
        PROMETHEUS,
        code="service-selects-no-pods",
    )
    assert (found.verdict, found.severity.value) == (PROBLEM, "error")
    assert "did you mean app=grafana" in found.hint


CANARY = [
    # (labels of each workload, the version keys found)
    ([{"app": "reviews", "version": "v1"}, {"app": "reviews", "version": "v2"}], ("version",)),
    (
        [
            {"app": "guestbook", "tier": "frontend", "track": "stable"},
            {"app": "guestbook", "tier": "frontend", "track": "canary"},
        ],
        ("track",),
    ),
    (
        [
            {"app": "web", "pod-template-hash": "a", "version": "1"},
            {"app": "web", "pod-template-hash": "b", "version": "2"},
        ],
        ("version",),
    ),
    ([{"app": "web", "tier": "frontend"}, {"app": "web", "tier": "backend"}], ()),
    (
        [{"app": "web", "version": "1", "tier": "a"}, {"app": "web", "version": "2", "tier": "b"}],
        (),
    ),
    ([{"app": "web"}, {"app": "web"}], ()),
]


@pytest.mark.parametrize(("labels", "keys"), CANARY)
def test_canary_keys(labels: list[dict[str, str]], keys: tuple[str, ...]) -> None:
    assert canary_keys(labels) == keys


def test_the_canary_pattern_is_info_other_mixes_a_warning() -> None:
    """The docs' own example: guestbook frontend stable and canary behind one Service."""
    stable = deployment(
        "frontend", {"app": "guestbook", "tier": "frontend", "track": "stable"}, "web"
    )
    canary = deployment(
        "frontend-canary", {"app": "guestbook", "tier": "frontend", "track": "canary"}, "web"
    )
    svc = {
        **service({"app": "guestbook", "tier": "frontend"}, "web"),
        "metadata": {"name": "frontend", "namespace": "web"},
    }
    (found,) = findings(svc, stable, canary, code="service-selects-multiple-workloads")
    assert found.severity.value == "info" and "canary" in found.message
    other = deployment("backend", {"app": "guestbook", "tier": "frontend", "role": "db"}, "web")
    (mixed,) = findings(svc, stable, other, code="service-selects-multiple-workloads")
    assert mixed.severity.value == "warning"
