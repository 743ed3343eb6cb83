"""Raw BackendTLSPolicy (gateway.networking.k8s.io/v1) and ConfigMap objects -> model.

Defaults (https://gateway-api.sigs.k8s.io/reference/spec/#backendtlspolicyspec): targetRef and
caCertificateRef group ``""``; a SubjectAltName is kept as ``Hostname:NAME`` or ``URI:URI``.
Of a ConfigMap only the key names and the parsed ``ca.crt`` (the key BackendTLSPolicy reads:
"a Kubernetes ConfigMap, with the CA certificate in a key named ``ca.crt``") are kept.
"""

from __future__ import annotations

from typing import Any

from podpath.model.core import SourceRef
from podpath.model.gateway_policy import (
    BackendTLSPolicy,
    ConfigMap,
    LocalObjectRef,
    PolicyTargetRef,
)
from podpath.model.routing import parse_certificate
from podpath.normalize.fields import Fields, object_fields

CA_KEY = "ca.crt"


def _ns(ns: str) -> str:
    return ns or "default"


def _subject_alt_name(f: Fields) -> str:
    kind = f.str("type") or "Hostname"
    return f"{kind}:{f.str('uri') if kind == 'URI' else f.str('hostname')}"


def normalize_backend_tls_policy(raw: dict[str, Any], source: SourceRef) -> BackendTLSPolicy:
    top, meta, ns, name = object_fields(raw, source)
    spec = top.map("spec")
    validation = spec.map("validation")
    return BackendTLSPolicy(
        namespace=_ns(ns),
        name=name,
        targets=tuple(
            PolicyTargetRef(
                group=t.str("group") or "",
                kind=t.req_str("kind"),
                name=t.req_str("name"),
                section_name=t.str("sectionName") or None,
            )
            for t in spec.maps("targetRefs")
        ),
        ca_certificate_refs=tuple(
            LocalObjectRef(c.str("group") or "", c.req_str("kind"), c.req_str("name"))
            for c in validation.maps("caCertificateRefs")
        ),
        well_known_ca=validation.str("wellKnownCACertificates") or None,
        hostname=(validation.str("hostname") or "").lower(),
        subject_alt_names=tuple(_subject_alt_name(s) for s in validation.maps("subjectAltNames")),
        creation_timestamp=meta.str("creationTimestamp") or "",
        source=source,
    )


def normalize_config_map(raw: dict[str, Any], source: SourceRef) -> ConfigMap:
    """Key names and the ``ca.crt`` certificate (BackendTLSPolicy: "a Kubernetes ConfigMap,
    with the CA certificate in a key named ``ca.crt``")."""
    top, _, ns, name = object_fields(raw, source)
    data = top.map("data")
    keys = sorted({*data.raw, *top.map("binaryData").raw})
    pem = data.str(CA_KEY)
    return ConfigMap(
        namespace=_ns(ns),
        name=name,
        keys=tuple(str(k) for k in keys),
        ca_certificate=parse_certificate(pem.encode()) if pem else None,
        source=source,
    )


POLICY_NORMALIZERS = {
    "BackendTLSPolicy": normalize_backend_tls_policy,
    "ConfigMap": normalize_config_map,
}
