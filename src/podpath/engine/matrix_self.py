"""A pod to its own IP in the fast matrix: the pods whose verdict to themselves is not their
class relation's diagonal.

A Pod connecting to its own Pod IP is not subject to ClusterNetworkPolicy, while a pod of its
class connecting to another pod of the class is (https://network-policy-api.sigs.k8s.io/
api-overview/, "The ClusterNetworkPolicy Resource"; :data:`podpath.engine.policy.SELF_CNP_DOC`).
So with admin tiers the diagonal of a class (``packed[port][c][c]``, a pod to a pod of its
class) and a pod to itself can differ; :func:`podpath.engine.matrix_build.class_relation`
gives the latter per class (``self_classes``) and :func:`self_fix` lists the pods it corrects,
both ways (allowed and denied), per port. Pods with an override pair to themselves (the
``self-traffic`` assumption: allowed on every port) need no correction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from podpath.engine.matrix_classes import BoolArray, IntArray

Packed = npt.NDArray[np.uint8]

EMPTY: tuple[IntArray, BoolArray] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))


def class_diagonal(packed: Packed, c: int) -> BoolArray:
    """``packed[a][a]`` for every class ``a``."""
    idx = np.arange(c, dtype=np.int64)
    return np.asarray((packed[idx, idx >> 3] >> (7 - (idx & 7)).astype(np.uint8)) & 1, dtype=bool)


def self_fix(
    packed: Packed,
    self_classes: BoolArray | None,
    members: list[list[int]],
    self_override: BoolArray,
) -> tuple[IntArray, BoolArray]:
    """(pods, verdicts): each pod (ascending) whose verdict to its own IP on this port is not
    its class's diagonal, and that verdict; ``self_override[i]``: pod ``i`` has an override
    pair to itself (already allowed)."""
    if self_classes is None:
        return EMPTY
    differ = np.flatnonzero(self_classes != class_diagonal(packed, len(members)))
    if not len(differ):
        return EMPTY
    pods = np.concatenate([np.asarray(members[a], dtype=np.int64) for a in differ.tolist()])
    values = np.concatenate(
        [np.full(len(members[a]), self_classes[a], dtype=bool) for a in differ.tolist()]
    )
    keep = ~self_override[pods]
    order = np.argsort(pods[keep], kind="stable")
    return pods[keep][order], values[keep][order]


def lookup(fix: tuple[IntArray, BoolArray], i: int) -> bool | None:
    """Pod ``i``'s corrected verdict to itself, or None when its class diagonal holds."""
    pods, values = fix
    k = int(np.searchsorted(pods, i))
    if k < len(pods) and pods[k] == i:
        return bool(values[k])
    return None
