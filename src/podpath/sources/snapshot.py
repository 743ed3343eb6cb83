"""Snapshots: what was read, as objects that ``-f`` reads back — sorted, without the API
server's bookkeeping, TLS private keys redacted. Pure functions (the YAML is written by
:mod:`podpath.commands.snapshot`)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from podpath.sources.manifests import RawDoc

REDACTED_KEY_TEXT = "podpath: private key redacted (only its presence is kept)"
REDACTED_KEY = base64.b64encode(REDACTED_KEY_TEXT.encode()).decode()


def redact_private_key(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret with its non-empty ``tls.key`` replaced by a marker: podpath never needs a
    private key, only to know that there is one (an empty or missing key stays as it is)."""
    if obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    for section, marker in (("data", REDACTED_KEY), ("stringData", REDACTED_KEY_TEXT)):
        values = out.get(section)
        if isinstance(values, dict) and values.get("tls.key"):
            out[section] = {**values, "tls.key": marker}
    return out


NOISE_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
)
NOISE_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def without_noise(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without what the API server adds for its own bookkeeping (managedFields,
    resourceVersion, uid, generation, creationTimestamp, selfLink, the last-applied annotation,
    a Node's image list) and with TLS private keys redacted. Everything podpath reads is kept."""
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if k not in NOISE_METADATA}
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            kept = {k: v for k, v in annotations.items() if k not in NOISE_ANNOTATIONS}
            if kept:
                meta["annotations"] = kept
            else:
                meta.pop("annotations")
        out["metadata"] = meta
    status = out.get("status")
    if out.get("kind") == "Node" and isinstance(status, dict):
        out["status"] = {k: v for k, v in status.items() if k != "images"}
    return redact_private_key(out)


def snapshot_sort_key(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    return (
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        str(obj.get("apiVersion", "")),
    )


def snapshot_objects(docs: Iterable[RawDoc]) -> list[dict[str, Any]]:
    """The objects of a snapshot: noise stripped, sorted by kind, namespace and name."""
    return sorted((without_noise(d.data) for d in docs), key=snapshot_sort_key)
