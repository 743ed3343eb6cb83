"""Snapshots: what was read, as objects that ``-f`` reads back — sorted, without the API
server's bookkeeping, only TLS Secrets and of them only the certificate (a key's presence
kept), of ConfigMaps only the key names and the CA bundle ``ca.crt``. Pure functions (the YAML
is written by :mod:`podpath.commands.snapshot`)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from podpath.sources.manifests import RawDoc

REDACTED_KEY_TEXT = "podpath: private key redacted (only its presence is kept)"
REDACTED_KEY = base64.b64encode(REDACTED_KEY_TEXT.encode()).decode()
TLS_SECRET_TYPE = "kubernetes.io/tls"


def _secret_value(obj: dict[str, Any], key: str) -> str | None:
    """``data[key]`` (base64), else ``stringData[key]`` (plain text) as base64, else None."""
    data, plain = obj.get("data"), obj.get("stringData")
    if isinstance(data, dict) and isinstance(data.get(key), str):
        return str(data[key])
    if isinstance(plain, dict) and isinstance(plain.get(key), str):
        return base64.b64encode(str(plain[key]).encode()).decode()
    return None


def kept_secret(obj: dict[str, Any]) -> dict[str, Any] | None:
    """What podpath keeps of a Secret: nothing unless it is of type ``kubernetes.io/tls``
    (checked here, whatever the API server's field selector did); of a TLS Secret only its
    name, namespace, type, ``data["tls.crt"]`` and, for a non-empty ``tls.key``, a marker
    that there is one. Every other key (a PEM key, cert-manager's ``keystore.p12``, ...),
    every label and annotation is dropped: podpath never needs them.
    (https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets)"""
    if obj.get("kind") != "Secret" or obj.get("type") != TLS_SECRET_TYPE:
        return None
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    out: dict[str, Any] = {
        "apiVersion": obj.get("apiVersion", "v1"),
        "kind": "Secret",
        "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta},
        "type": TLS_SECRET_TYPE,
    }
    data = {}
    crt = _secret_value(obj, "tls.crt")
    if crt is not None:
        data["tls.crt"] = crt
    key = _secret_value(obj, "tls.key")
    if key is not None:
        data["tls.key"] = REDACTED_KEY if key else ""
    if data:
        out["data"] = data
    return out


CA_BUNDLE_KEY = "ca.crt"


def kept_config_map(obj: dict[str, Any]) -> dict[str, Any]:
    """What podpath keeps of a ConfigMap: its name, namespace, key names (values blanked) and
    ``data["ca.crt"]`` -- a BackendTLSPolicy's CA bundle, the only value podpath reads
    (https://gateway-api.sigs.k8s.io/reference/spec/#backendtlspolicyvalidation)."""
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    keys: dict[str, str] = {}
    for field in ("data", "binaryData"):
        values = obj.get(field)
        if isinstance(values, dict):
            keys |= {str(k): "" for k in values}
    data = obj.get("data")
    if isinstance(data, dict) and isinstance(data.get(CA_BUNDLE_KEY), str):
        keys[CA_BUNDLE_KEY] = data[CA_BUNDLE_KEY]
    return {
        "apiVersion": obj.get("apiVersion", "v1"),
        "kind": "ConfigMap",
        "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta},
        "data": keys,
    }


MSG_SECRETS_DROPPED = (
    "dropped {n} Secret(s) not of type kubernetes.io/tls (the server ignored the field "
    "selector): podpath keeps only TLS certificates"
)


def tls_secrets_only(items: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The Secrets as :func:`kept_secret` keeps them, and how many were dropped."""
    listed = list(items)
    kept = [k for k in (kept_secret(i) for i in listed) if k is not None]
    return kept, len(listed) - len(kept)


NOISE_METADATA = (
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
)
NOISE_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def without_noise(obj: dict[str, Any]) -> dict[str, Any] | None:
    """An object without what the API server adds for its own bookkeeping (managedFields,
    resourceVersion, uid, generation, creationTimestamp, selfLink, the last-applied annotation,
    a Node's image list); a Secret as :func:`kept_secret` keeps it (None: not kept at all), a
    ConfigMap as :func:`kept_config_map` does.
    Everything podpath reads is kept."""
    if obj.get("kind") == "Secret":
        return kept_secret(obj)
    if obj.get("kind") == "ConfigMap":
        return kept_config_map(obj)
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
    return out


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
    """The objects of a snapshot: noise stripped, Secrets but TLS ones dropped, sorted by kind,
    namespace and name."""
    kept = (without_noise(d.data) for d in docs)
    return sorted((o for o in kept if o is not None), key=snapshot_sort_key)
