"""Gateway API policies and what they reference: BackendTLSPolicy
(gateway.networking.k8s.io/v1, standard channel since v1.4) and the ConfigMaps holding CA
certificates.

Reference: https://gateway-api.sigs.k8s.io/reference/api-types/policy/backendtlspolicy/ and
``BackendTLSPolicySpec`` / ``BackendTLSPolicyValidation`` in
https://gateway-api.sigs.k8s.io/reference/spec/. Defaults are applied by
:mod:`podpath.normalize.gateway`.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpath.model.core import NO_SOURCE, SourceRef
from podpath.model.objects import Namespaced
from podpath.model.routing import Certificate


@dataclass(frozen=True, slots=True)
class PolicyTargetRef:
    """A ``LocalPolicyTargetReferenceWithSectionName``: a Service (and port name) in the
    policy's namespace."""

    group: str
    kind: str
    name: str
    section_name: str | None = None


@dataclass(frozen=True, slots=True)
class LocalObjectRef:
    """A ``LocalObjectReference`` (``caCertificateRefs``): group, kind, name in the policy's
    namespace."""

    group: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.group + '/' if self.group else ''}{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class BackendTLSPolicy(Namespaced):
    KIND = "BackendTLSPolicy"

    namespace: str
    name: str
    targets: tuple[PolicyTargetRef, ...] = ()
    ca_certificate_refs: tuple[LocalObjectRef, ...] = ()
    well_known_ca: str | None = None  # "System" or an implementation-specific name
    hostname: str = ""
    subject_alt_names: tuple[str, ...] = ()  # "Hostname:NAME" / "URI:URI"
    creation_timestamp: str = ""
    source: SourceRef = NO_SOURCE


@dataclass(frozen=True, slots=True)
class ConfigMap(Namespaced):
    """A ConfigMap as far as CA bundles need it: the names of its keys and the parsed
    ``ca.crt`` (no other data is kept)."""

    KIND = "ConfigMap"

    namespace: str
    name: str
    keys: tuple[str, ...] = ()
    ca_certificate: Certificate | None = None
    source: SourceRef = NO_SOURCE
