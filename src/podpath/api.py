"""The library's entry points: load a cluster from manifests or a live cluster.

    >>> from podpath.api import load_cluster
    >>> cluster = load_cluster(["examples/shop"])

Everything else (engines, analyses) takes the resolved :class:`~podpath.cluster.Cluster`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import IO

from podpath.cluster import Cluster, resolve
from podpath.cluster.settings import Settings
from podpath.model.core import Note
from podpath.model.inventory import Inventory
from podpath.normalize import is_modelled, normalize, with_default_namespace
from podpath.sources.manifests import RawDoc, load_paths


def load_raw(
    files: Sequence[str] | str = (),
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    stdin: IO[bytes] | None = None,
    on_progress: Callable[[str], None] | None = None,
    notes: list[Note] | None = None,
    live: bool = False,
    timeout: float | None = None,
) -> list[RawDoc]:
    """Raw documents from manifest paths (``-`` = standard input) or a live cluster: the
    ``kubeconfig`` file, else (``live``, or a ``context`` without files) kubectl's default
    configuration (``KUBECONFIG`` merged, or ``~/.kube/config``; see
    :mod:`podpath.sources.kubeconfig`).

    A live read reports progress to ``on_progress``, appends its notes (kinds not
    installed or not permitted) to ``notes`` and ends within ``timeout`` seconds. One path
    may be given as a string (never read as its characters: ``"/x"`` is not ``"/"`` and
    ``"x"``, and ``"/"`` would walk the whole file system)."""
    if isinstance(files, str):
        files = (files,)
    if kubeconfig is not None or (not files and (live or context is not None)):
        from podpath.sources.cluster import read_live  # heavy: the kubernetes client

        return read_live(
            kubeconfig=kubeconfig,
            context=context,
            on_progress=on_progress,
            notes=notes,
            timeout=timeout,
        )
    return load_paths(files, stdin=stdin, modelled=is_modelled)


def load_inventory(
    docs: Sequence[RawDoc], *, node_count: int | None = None, max_pods: int | None = None
) -> Inventory:
    return normalize(docs, node_count=node_count, max_pods=max_pods)


def load_cluster(
    files: Sequence[str] | str = (),
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    timeout: float | None = None,
    settings: Settings | None = None,
    node_count: int | None = None,
    max_pods: int | None = None,
    stdin: IO[bytes] | None = None,
    on_progress: Callable[[str], None] | None = None,
    live: bool = False,
    namespace: str | None = None,
) -> Cluster:
    """Load, normalize and resolve a cluster in one call (arguments as :func:`load_raw`).
    ``namespace``: the namespace of manifests' namespaced objects that name none (else
    ``default``), as ``kubectl apply -f FILE -n NAMESPACE`` sets it."""
    notes: list[Note] = []
    docs = load_raw(
        files,
        kubeconfig=kubeconfig,
        context=context,
        stdin=stdin,
        on_progress=on_progress,
        notes=notes,
        live=live,
        timeout=timeout,
    )
    if not docs and files and kubeconfig is None and context is None:
        notes.append(Note("warning", "no-objects", f"no Kubernetes objects in {', '.join(files)}"))
    if namespace:
        docs = list(with_default_namespace(docs, namespace))
    if on_progress is not None:
        on_progress(f"{len(docs)} objects read; building the model")
    inventory = normalize(docs, node_count=node_count, max_pods=max_pods)
    if on_progress is not None:
        on_progress(f"{len(docs)} objects read, {len(inventory.pods)} pods; resolving")
    cluster = resolve(inventory, settings)
    return replace(cluster, notes=(*notes, *cluster.notes)) if notes else cluster
