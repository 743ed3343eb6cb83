"""The library's entry points: load a cluster from manifests or a live cluster.

    >>> from podpath.api import load_cluster
    >>> cluster = load_cluster(["examples/shop"])

Everything else (engines, analyses) takes the resolved :class:`~podpath.cluster.Cluster`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from podpath.cluster import Cluster, Settings, resolve
from podpath.model.inventory import Inventory
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc, load_paths


def load_raw(
    files: Sequence[str] = (),
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    stdin: IO[bytes] | None = None,
) -> list[RawDoc]:
    """Raw documents from manifest paths (``-`` = standard input) or a live cluster."""
    if kubeconfig is not None or (not files and context is not None):
        from podpath.sources.cluster import read_live  # heavy: the kubernetes client

        return read_live(kubeconfig=kubeconfig, context=context)
    return load_paths(files, stdin=stdin)


def load_inventory(docs: Sequence[RawDoc], *, node_count: int | None = None) -> Inventory:
    return normalize(docs, node_count=node_count)


def load_cluster(
    files: Sequence[str] = (),
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    settings: Settings | None = None,
    node_count: int | None = None,
    stdin: IO[bytes] | None = None,
) -> Cluster:
    """Load, normalize and resolve a cluster in one call."""
    docs = load_raw(files, kubeconfig=kubeconfig, context=context, stdin=stdin)
    return resolve(normalize(docs, node_count=node_count), settings)
