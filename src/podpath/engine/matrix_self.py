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

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from podpath.engine.matrix_classes import BoolArray, IntArray

Packed = npt.NDArray[np.uint8]

K = TypeVar("K")

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


def own_ports(
    fixes: Sequence[tuple[IntArray, BoolArray]],
    ports: Sequence[K],
    self_allowed: Callable[[K], BoolArray],
) -> dict[int, tuple[K, ...]]:
    """Per pod corrected on some port (``fixes[k]`` is :func:`self_fix` of ``ports[k]``): the
    ports it reaches its own IP on."""
    touched = [f[0] for f in fixes if len(f[0])]
    if not touched:
        return {}
    pods = np.unique(np.concatenate(touched))
    grid = np.stack([self_allowed(p)[pods] for p in ports])  # ports x pods
    return {
        int(i): tuple(p for k, p in enumerate(ports) if grid[k, n])
        for n, i in enumerate(pods.tolist())
    }


def fold_self(
    out: IntArray,
    sides: tuple[IntArray, IntArray],
    both: BoolArray,
    counted: BoolArray,
    own: BoolArray | None,
) -> None:
    """Group folding: each pod in both sides (``both``), counted in ``out[src_of, dst_of]``
    as ``counted`` (its class diagonal, with its override pair), counted as ``own`` (its
    own-IP verdict) instead, or not at all (``own`` None: a pod's pair with itself left out)."""
    src_of, dst_of = sides
    target = np.zeros_like(counted) if own is None else own
    delta = target.astype(np.int64) - counted.astype(np.int64)
    pick = both & (delta != 0)
    np.add.at(out, (src_of[pick], dst_of[pick]), delta[pick])
