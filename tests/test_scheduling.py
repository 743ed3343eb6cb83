"""Scheduling eligibility: nodeSelector, taints and tolerations, with the Kubernetes
documentation's own cases (concepts/scheduling-eviction/taint-and-toleration)."""

from __future__ import annotations

import pytest

from podpath.cluster import resolve
from podpath.engine.scheduling import pod_fits_node, toleration_tolerates
from podpath.model.core import Labels, Node, Pod, Taint, Toleration
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text

KEY1 = Taint("key1", "NoSchedule", "value1")


@pytest.mark.parametrize(
    ("toleration", "tolerates"),
    [
        # the docs: both of these tolerate `kubectl taint nodes node1 key1=value1:NoSchedule`
        (Toleration("key1", "Equal", "value1", "NoSchedule"), True),
        (Toleration("key1", "Exists", "", "NoSchedule"), True),
        # an empty key with Exists matches every taint; an empty effect every effect
        (Toleration("", "Exists", "", ""), True),
        (Toleration("key1", "Equal", "value1", ""), True),
        (Toleration("key1", "Equal", "value2", "NoSchedule"), False),
        (Toleration("key1", "Equal", "value1", "NoExecute"), False),
        (Toleration("key2", "Exists", "", ""), False),
    ],
)
def test_toleration_tolerates(toleration: Toleration, tolerates: bool) -> None:
    assert toleration_tolerates(toleration, KEY1) is tolerates


def test_prefer_no_schedule_does_not_block() -> None:
    node = Node("n", ("10.0.0.1",), taints=(Taint("k", "PreferNoSchedule"),))
    assert pod_fits_node(Pod("ns", "p"), node)


def test_node_selector_must_be_a_subset_of_node_labels() -> None:
    node = Node("n", ("10.0.0.1",), labels=Labels({"disktype": "ssd", "zone": "a"}))
    assert pod_fits_node(Pod("ns", "p", node_selector=Labels({"disktype": "ssd"})), node)
    assert not pod_fits_node(Pod("ns", "p", node_selector=Labels({"disktype": "hdd"})), node)


CLUSTER = b"""
apiVersion: v1
kind: NodeList
items:
- metadata: {name: cp, labels: {node-role.kubernetes.io/control-plane: ""}}
  spec:
    podCIDR: 10.244.0.0/24
    taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
  status: {addresses: [{type: InternalIP, address: 192.0.2.10}]}
- metadata: {name: w1}
  spec: {podCIDR: 10.244.1.0/24}
  status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers: [{name: a}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: everywhere, namespace: kube-system}
spec:
  template:
    metadata: {labels: {app: everywhere}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: a}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: x}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: w}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gpu, namespace: x}
spec:
  template:
    metadata: {labels: {app: gpu}}
    spec:
      nodeSelector: {accelerator: gpu}
      containers: [{name: g}]
"""


def _cluster():  # type: ignore[no-untyped-def]
    return resolve(normalize(parse_text(CLUSTER, "t.yaml")))


def test_daemonset_skips_tainted_control_plane_unless_tolerated() -> None:
    pods = _cluster().pods
    assert sorted(p.node_name or "" for p in pods if p.labels.get("app") == "agent") == ["w1"]
    assert sorted(p.node_name or "" for p in pods if p.labels.get("app") == "everywhere") == [
        "cp",
        "w1",
    ]


def test_deployment_pods_avoid_the_tainted_node() -> None:
    assert {p.node_name for p in _cluster().pods if p.labels.get("app") == "web"} == {"w1"}


def test_unschedulable_pod_is_pending_without_ip_and_noted() -> None:
    cluster = _cluster()
    gpu = next(p for p in cluster.pods if p.labels.get("app") == "gpu")
    assert gpu.phase == "Pending" and not gpu.ips and not gpu.ready
    assert any(n.code == "pod-unschedulable" and n.object == str(gpu.ref) for n in cluster.notes)


def test_nodes_carry_the_kubelet_labels() -> None:
    node = _cluster().node_by_name["w1"]
    assert node.labels["kubernetes.io/hostname"] == "w1"
    assert node.labels["kubernetes.io/os"] == "linux"
