"""Doctor checklist steps 1 and 2: each check fires on a broken scenario and stays quiet on
the fixed one."""

from __future__ import annotations

import textwrap

import pytest

from doctor_helpers import codes, findings_of, pod, service
from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.findings import Finding, Severity, fails, rank
from podpath.cluster import resolve
from podpath.cluster.settings import Settings
from podpath.engine.near_miss import closest_labels, edit_distance
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text

LIVE_NOT_READY = """
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
status:
  phase: Running
  podIP: 10.244.0.5
  conditions: [{type: Ready, status: "False"}]
"""
LIVE_PENDING = """
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: other}}
spec: {containers: [{name: c, image: i}]}
status: {phase: Pending}
"""
LIVE_READY = LIVE_NOT_READY.replace('status: "False"', 'status: "True"')


def owned(text: str, rs: str) -> str:
    ref = f"metadata: {{ownerReferences: [{{kind: ReplicaSet, name: {rs}, controller: true}}], "
    return text.replace("metadata: {", ref)


STS = """
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: i}]}
"""

CASES = [
    # (id, broken scenario, fixed scenario, expected (code, object))
    ("pod-not-ready", LIVE_NOT_READY, LIVE_READY, ("pod-not-ready", "Pod/shop/web-1")),
    ("pod-not-running", LIVE_PENDING, LIVE_READY, ("pod-not-running", "Pod/shop/web-2")),
    (
        "selects-no-pods",
        pod("web-1") + service("web", selector="app: wbe"),
        pod("web-1") + service("web"),
        ("service-selects-no-pods", "Service/shop/web"),
    ),
    (
        "no-ready-pods",
        LIVE_NOT_READY + service("web"),
        LIVE_READY + service("web"),
        ("service-no-ready-pods", "Service/shop/web"),
    ),
    (
        "multiple-workloads",
        owned(pod("a"), "web-abc") + owned(pod("b"), "web-canary-xyz") + service("web"),
        owned(pod("a"), "web-abc") + service("web"),
        ("service-selects-multiple-workloads", "Service/shop/web"),
    ),
    (
        "target-port-not-declared",
        pod("web-1", ports="{containerPort: 8080}")
        + service("web", ports="{port: 80, targetPort: 8000}"),
        pod("web-1", ports="{containerPort: 8080}")
        + service("web", ports="{port: 80, targetPort: 8080}"),
        ("service-target-port-not-declared", "Service/shop/web"),
    ),
    (
        "named-port-missing",
        pod("web-1", ports="{containerPort: 8080, name: http}")
        + pod("web-2", ports="{containerPort: 8080, name: web}")
        + service("web", ports="{port: 80, targetPort: http}"),
        pod("web-1", ports="{containerPort: 8080, name: http}")
        + pod("web-2", ports="{containerPort: 8080, name: http}")
        + service("web", ports="{port: 80, targetPort: http}"),
        ("service-named-port-missing", "Service/shop/web"),
    ),
    (
        "nodeport-collision",
        pod("web-1")
        + service("a", ports="{port: 80, nodePort: 30080}", extra="\n  type: NodePort")
        + service("b", ports="{port: 80, nodePort: 30080}", extra="\n  type: NodePort"),
        pod("web-1")
        + service("a", ports="{port: 80, nodePort: 30080}", extra="\n  type: NodePort")
        + service("b", ports="{port: 80, nodePort: 30081}", extra="\n  type: NodePort"),
        ("nodeport-collision", "Service/shop/b"),
    ),
    (
        "nodeport-out-of-range",
        pod("web-1") + service("a", ports="{port: 80, nodePort: 8080}", extra="\n  type: NodePort"),
        pod("web-1")
        + service("a", ports="{port: 80, nodePort: 30080}", extra="\n  type: NodePort"),
        ("nodeport-out-of-range", "Service/shop/a"),
    ),
    (
        "loadbalancer-no-address",
        pod("web-1")
        + service("a", extra="\n  type: LoadBalancer")
        + "  loadBalancerIP: 172.18.255.201\n"
        + service("b", extra="\n  type: LoadBalancer"),
        pod("web-1") + service("a", extra="\n  type: LoadBalancer"),
        None,  # filled in the test below (pool exhaustion needs settings)
    ),
    (
        "externalname-ip",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: 10.0.0.1}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: db.example.com}\n",
        ("externalname-invalid", "Service/shop/db"),
    ),
    (
        "externalname-uppercase",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: DB_Host.example.com}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: db-host.example.com.}\n",
        ("externalname-invalid", "Service/shop/db"),
    ),
    (
        "externalname-in-cluster",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: db.data.svc.cluster.local}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: db.example.com}\n",
        ("externalname-in-cluster", "Service/shop/db"),
    ),
    (
        "statefulset-no-headless",
        STS + service("db", selector="app: db"),
        STS + service("db", selector="app: db", extra="\n  clusterIP: None"),
        ("statefulset-service-not-headless", "StatefulSet/shop/db"),
    ),
]


@pytest.mark.parametrize(
    "name,broken,fixed,expected", [c for c in CASES if c[3]], ids=[c[0] for c in CASES if c[3]]
)
def test_check_fires_and_stays_quiet(
    name: str, broken: str, fixed: str, expected: tuple[str, str]
) -> None:
    assert expected in codes(broken)
    assert not {c for c in codes(fixed) if c[0] == expected[0]}


def test_did_you_mean_hint() -> None:
    (finding,) = [
        f
        for f in findings_of(
            pod("cart-1", labels="app: cart") + service("cart", selector="app: kart")
        )
        if f.code == "service-selects-no-pods"
    ]
    assert "did you mean app=cart?" in finding.hint
    assert "spec.selector" in finding.hint
    assert finding.source is not None and finding.source.line > 1


def test_selector_matching_pods_in_another_namespace() -> None:
    found = findings_of(pod("web-1", ns="front") + service("web", ns="shop"))
    (finding,) = [f for f in found if f.code == "service-selects-no-pods"]
    assert "namespace front" in finding.hint


def test_named_port_missing_on_some_pods_is_a_warning() -> None:
    found = findings_of(
        pod("web-1", ports="{containerPort: 8080, name: http}")
        + pod("web-2", ports="{containerPort: 8080, name: web}")
        + service("web", ports="{port: 80, targetPort: http}")
    )
    (finding,) = [f for f in found if f.code == "service-named-port-missing"]
    assert finding.severity is Severity.WARNING and "shop/web-2" in finding.message


def test_pods_declaring_no_ports_are_not_flagged() -> None:
    assert not codes(pod("web-1") + service("web", ports="{port: 80, targetPort: 8000}"))


def test_loadbalancer_without_address() -> None:
    lb = service("a", extra="\n  type: LoadBalancer")
    assert ("loadbalancer-no-address", "Service/shop/a") not in codes(pod("w") + lb)
    live = lb.replace("metadata: {name: a", "metadata: {name: a")
    from dataclasses import replace

    from doctor_helpers import cluster_of
    from podpath.analyze.doctor import diagnose

    cluster = cluster_of(pod("w") + live)
    svc = cluster.service_by_key["shop/a"]
    pending = replace(
        cluster,
        services=tuple(
            replace(s, lb_origin="none", lb_ingress=()) if s is svc else s for s in cluster.services
        ),
    )
    assert ("loadbalancer-no-address", "Service/shop/a") in {
        (f.code, f.object) for f in diagnose(pending)
    }


def test_statefulset_service_missing() -> None:
    found = codes(STS)
    assert ("statefulset-service-not-headless", "StatefulSet/shop/db") in found


def test_ranking_and_fail_on() -> None:
    a = Finding("a", Severity.WARNING, "x", "m", "h", impact=5)
    b = Finding("b", Severity.ERROR, "x", "m", "h", impact=1)
    c = Finding("c", Severity.WARNING, "x", "m", "h", impact=50)
    assert [f.code for f in rank([a, b, c])] == ["b", "c", "a"]
    assert fails([a], "warning") and not fails([a], "error") and not fails([b], "never")
    assert fails([b], "error")


def test_edit_distance_and_suggestions() -> None:
    assert edit_distance("kart", "cart") == 1
    assert edit_distance("", "abc") == 3
    assert closest_labels({"app": "kart"}, [{"app": "cart"}, {"app": "web"}]) == {"app": "cart"}
    assert closest_labels({"app": "payments"}, [{"app": "web"}]) is None
    assert closest_labels(
        {"app": "cart", "tier": "bakend"}, [{"app": "cart", "tier": "backend"}]
    ) == {
        "app": "cart",
        "tier": "backend",
    }


def test_full_node_port_range() -> None:
    """Two NodePort Services and a range of one number: the second gets none (ErrFull)."""
    text = service("a", extra="\n  type: NodePort") + service("b", extra="\n  type: NodePort")
    docs = parse_text(textwrap.dedent(pod("web-1") + text).encode(), "scenario.yaml")
    cluster = resolve(normalize(docs), Settings(node_port_range=(30000, 30000)))
    found = [f for f in diagnose(cluster) if f.code == "nodeport-range-full"]
    assert [f.object for f in found] == ["Service/shop/b"]
    assert "range is full" in found[0].message and "allocateLoadBalancerNodePorts" in found[0].hint
