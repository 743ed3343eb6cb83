"""Which nodes a pod may run on: nodeSelector, taints and tolerations.

https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector
https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/

- ``nodeSelector``: every pair must be among the node's labels;
- a taint with effect ``NoSchedule`` or ``NoExecute`` keeps pods off the node unless one of
  the pod's tolerations tolerates it (``PreferNoSchedule`` is only a preference);
- a toleration tolerates a taint when the effects match (an empty effect matches every
  effect) and either the operator is ``Exists`` and the keys match (an empty key with
  ``Exists`` matches every taint) or the operator is ``Equal`` and key and value match;
- the DaemonSet controller adds tolerations for the node conditions' taints
  (https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/#taints-and-tolerations).

Node affinity and pod (anti-)affinity are not modelled: podpath spreads pods round-robin
over the eligible nodes.
"""

from __future__ import annotations

from podpath.model.core import Node, Pod, Taint, Toleration

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")

DAEMONSET_TOLERATIONS = (
    Toleration("node.kubernetes.io/not-ready", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/unreachable", "Exists", "", "NoExecute"),
    Toleration("node.kubernetes.io/disk-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/pid-pressure", "Exists", "", "NoSchedule"),
    Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule"),
)
HOST_NETWORK_DAEMONSET_TOLERATION = Toleration(
    "node.kubernetes.io/network-unavailable", "Exists", "", "NoSchedule"
)


def toleration_tolerates(toleration: Toleration, taint: Taint) -> bool:
    """Whether one toleration tolerates one taint (module docstring)."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.operator == "Exists":
        return not toleration.key or toleration.key == taint.key
    return toleration.key == taint.key and toleration.value == taint.value


def node_selector_matches(pod: Pod, node: Node) -> bool:
    return all(node.labels.get(k) == v for k, v in pod.node_selector.items())


def pod_fits_node(pod: Pod, node: Node, extra: tuple[Toleration, ...] = ()) -> bool:
    """nodeSelector matches and every blocking taint is tolerated."""
    if not node_selector_matches(pod, node):
        return False
    tolerations = pod.tolerations + extra
    return all(
        any(toleration_tolerates(t, taint) for t in tolerations)
        for taint in node.taints
        if taint.effect in BLOCKING_EFFECTS
    )


def daemonset_tolerations(pod: Pod) -> tuple[Toleration, ...]:
    """The tolerations the DaemonSet controller adds to its pods."""
    if pod.host_network:
        return (*DAEMONSET_TOLERATIONS, HOST_NETWORK_DAEMONSET_TOLERATION)
    return DAEMONSET_TOLERATIONS
