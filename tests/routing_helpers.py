"""Builders for routing tests: objects as dicts -> a resolved Cluster; certificates."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from podpath.cluster import Cluster, resolve
from podpath.model.core import SourceRef
from podpath.normalize import normalize
from podpath.sources.manifests import RawDoc

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def cluster_of(*objs: dict[str, Any]) -> Cluster:
    docs = [RawDoc(o, SourceRef("test.yaml", i)) for i, o in enumerate(objs)]
    return resolve(normalize(docs))


def pod(
    ns: str, name: str, labels: dict[str, str], port: int = 8080, port_name: str = "http"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": ns, "name": name, "labels": labels},
        "spec": {
            "containers": [{"name": "c", "ports": [{"containerPort": port, "name": port_name}]}]
        },
    }


def service(
    ns: str,
    name: str,
    selector: dict[str, str],
    port: int = 80,
    target: int | str = 8080,
    port_name: str = "http",
    type_: str = "ClusterIP",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": ns, "name": name},
        "spec": {
            "type": type_,
            "selector": selector,
            "ports": [{"name": port_name, "port": port, "targetPort": target}],
        },
    }


def app(ns: str, name: str) -> list[dict[str, Any]]:
    """A pod NAME-1 and a Service NAME (port 80 -> 8080) in ``ns``."""
    return [pod(ns, f"{name}-1", {"app": name}), service(ns, name, {"app": name})]


def svc_backend(name: str, port: int | str = 80) -> dict[str, Any]:
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": name, "port": {key: port}}}


def ingress(
    ns: str,
    name: str,
    rules: list[dict[str, Any]],
    *,
    cls: str | None = "nginx",
    tls: list[dict[str, Any]] | None = None,
    default: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    created: str | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": rules}
    if cls:
        spec["ingressClassName"] = cls
    if tls:
        spec["tls"] = tls
    if default:
        spec["defaultBackend"] = default
    meta: dict[str, Any] = {"namespace": ns, "name": name, "annotations": annotations or {}}
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def rule(host: str | None, *paths: tuple[str, str, str]) -> dict[str, Any]:
    """(path, pathType, service) triples; the Service port is 80."""
    out: dict[str, Any] = {
        "http": {
            "paths": [{"path": p, "pathType": t, "backend": svc_backend(s)} for p, t, s in paths]
        }
    }
    if host:
        out["host"] = host
    return out


GENERIC = "example.com/ingress-controller"  # a controller with the Ingress API's semantics only


def ingress_class(
    name: str, controller: str = "k8s.io/ingress-nginx", default: bool = False
) -> dict[str, Any]:
    ann = {"ingressclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name, "annotations": ann},
        "spec": {"controller": controller},
    }


def make_cert(
    names: list[str], not_after: dt.datetime, cn: str | None = None
) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) and key (PEM) with DNS SANs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, cn or (names[0] if names else "x"))]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - dt.timedelta(days=365))
        .not_valid_after(not_after)
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def tls_secret(ns: str, name: str, names: list[str], not_after: dt.datetime) -> dict[str, Any]:
    crt, key = make_cert(names, not_after)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"namespace": ns, "name": name},
        "data": {
            "tls.crt": base64.b64encode(crt).decode(),
            "tls.key": base64.b64encode(key).decode(),
        },
    }
