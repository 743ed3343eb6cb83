"""Finished pods (phase Succeeded/Failed): their IP is released and may belong to a running
pod; they are not ready, and that is a fact of their phase, not an assumption.
https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase"""

from __future__ import annotations

from podpath.cluster import resolve
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text

TWO_PODS_ONE_IP = b"""
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: x}
spec: {nodeName: node-1, containers: [{name: c}]}
status: {phase: Succeeded, podIP: 10.244.0.9}
---
apiVersion: v1
kind: Pod
metadata: {name: live, namespace: x}
spec: {nodeName: node-1, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.0.9, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: pending, namespace: x}
spec: {containers: [{name: c}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Pod
metadata: {name: running-no-conditions, namespace: x}
spec: {nodeName: node-1, containers: [{name: c}]}
status: {phase: Running, podIP: 10.244.0.10}
"""


def _cluster():  # type: ignore[no-untyped-def]
    return resolve(normalize(parse_text(TWO_PODS_ONE_IP, "t.yaml")))


def test_ip_of_a_finished_pod_belongs_to_the_running_pod() -> None:
    assert _cluster().pod_by_ip["10.244.0.9"].key == "x/live"


def test_finished_and_pending_pods_are_not_ready_and_not_assumed() -> None:
    pods = _cluster().pod_by_key
    for key in ("x/done", "x/pending"):
        assert not pods[key].ready
        assert not pods[key].ready_assumed


def test_pending_pod_gets_no_address() -> None:
    assert _cluster().pod_by_key["x/pending"].ips == ()


def test_running_pod_without_conditions_is_assumed_ready() -> None:
    pod = _cluster().pod_by_key["x/running-no-conditions"]
    assert pod.ready and pod.ready_assumed
