"""BackendTLSPolicy (gateway.networking.k8s.io/v1): the TLS connection from the gateway to a
backend Service, its status, and what happens to traffic when it is invalid.

https://gateway-api.sigs.k8s.io/reference/api-types/policy/backendtlspolicy/ and
``BackendTLSPolicySpec`` / ``BackendTLSPolicyValidation`` in
https://gateway-api.sigs.k8s.io/reference/spec/; cases: the conformance tests
BackendTLSPolicy, BackendTLSPolicyInvalidCACertificateRef, BackendTLSPolicyInvalidKind,
BackendTLSPolicyConflictResolution (conformance/tests/backendtlspolicy*.go).

- Targets: Services in the policy's namespace (``targetRefs`` group ``""`` kind Service;
  ``sectionName`` a Service port name). Other kinds are implementation-specific: Accepted
  False (Invalid); a Service that does not exist: Accepted False (TargetNotFound).
- Conflicts: of the policies targeting one Service and sectionName, the oldest
  (creationTimestamp), then ``{namespace}/{name}`` first, applies; the others are Accepted
  False (Conflicted). A policy naming the port (sectionName) applies to that port before a
  policy for the whole Service, and the two do not conflict.
- CA: ``caCertificateRefs`` (a ConfigMap with the key ``ca.crt``; Core) or
  ``wellKnownCACertificates: System`` (implementation-specific; podpath assumes it is
  supported). A ref to another kind: ResolvedRefs False (InvalidKind); to a missing ConfigMap,
  one without ``ca.crt`` or whose ``ca.crt`` is no PEM certificate: ResolvedRefs False
  (InvalidCACertificateRef); when every ref is invalid also Accepted False
  (NoValidCACertificate). An unrecognised ``wellKnownCACertificates``, or neither field, is
  Accepted False (Invalid). When the input holds no ConfigMap at all, CA refs are not checked.
- Traffic: "Connections using an invalid CACertificateRef MUST fail, and the client MUST
  receive an HTTP 5xx error response" -- podpath answers 500 for that backend's share (the
  conformance tests accept 500, 502 or 503). A policy Accepted False for another reason
  (Invalid) is treated the same (assumption: the gateway cannot set up the TLS connection).
  Otherwise the gateway connects with TLS, SNI ``hostname``, and checks the backend's
  certificate against ``hostname`` (or ``subjectAltNames``); the backend's certificate is not
  in the input, so that check is not modelled.
- Where it applies (``targetRefs`` support levels): backends of HTTPRoute, GRPCRoute and of
  TLSRoute on a TLS listener in Terminate mode (not passthrough, not TCPRoute/UDPRoute).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from podpath.engine.backends import STATUS_INVALID
from podpath.model.gateway import BackendTLS
from podpath.model.gateway_policy import BackendTLSPolicy, ConfigMap, LocalObjectRef
from podpath.model.gateway_status import BackendTLSPolicyStatus
from podpath.model.routing import WeightedBackend

if TYPE_CHECKING:
    from podpath.cluster import Cluster

CA_KEY = "ca.crt"
WELL_KNOWN_SYSTEM = "System"
BACKEND_TLS_KINDS = ("HTTPRoute", "GRPCRoute")  # and TLSRoute on a Terminate listener


def _policies(cluster: Cluster) -> tuple[BackendTLSPolicy, ...]:
    return tuple(cluster.of_kind("BackendTLSPolicy"))


def ca_certificate_ref_problem(
    cluster: Cluster, policy: BackendTLSPolicy, ref: LocalObjectRef
) -> tuple[str, str] | None:
    """The ResolvedRefs reason and message of an invalid caCertificateRef, or None
    (module docstring; ``BackendTLSPolicyValidation.caCertificateRefs``)."""
    if ref.group != "" or ref.kind != "ConfigMap":
        return "InvalidKind", f"caCertificateRef {ref} is not a ConfigMap"
    maps: tuple[ConfigMap, ...] = cluster.of_kind("ConfigMap")
    if not maps:
        return None  # the input holds no ConfigMaps: not checked
    key = f"{policy.namespace}/{ref.name}"
    cm = next((m for m in maps if m.key == key), None)
    if cm is None:
        return "InvalidCACertificateRef", f"ConfigMap {key} not found"
    if CA_KEY not in cm.keys:
        return "InvalidCACertificateRef", f"ConfigMap {key} has no key {CA_KEY}"
    cert = cm.ca_certificate
    if cert is None or cert.error:
        return "InvalidCACertificateRef", f"ConfigMap {key} key {CA_KEY} is not a PEM certificate"
    return None


def _target_key(policy: BackendTLSPolicy, name: str, section: str | None) -> str:
    return f"Service/{policy.namespace}/{name}" + (f":{section}" if section else "")


def _winner(cluster: Cluster, namespace: str, name: str, section: str | None) -> str | None:
    """The policy (``NS/NAME``) that applies to a Service (and port name): oldest first, then
    ``{namespace}/{name}`` (conformance BackendTLSPolicyConflictResolution)."""
    ranked = sorted(
        (p.creation_timestamp, p.key)
        for p in _policies(cluster)
        if p.namespace == namespace
        and any(
            t.group == "" and t.kind == "Service" and t.name == name and t.section_name == section
            for t in p.targets
        )
    )
    return ranked[0][1] if ranked else None


def _accepted(
    cluster: Cluster, policy: BackendTLSPolicy, ca_problems: list[tuple[str, str]]
) -> tuple[str, str]:
    """The Accepted reason (``Accepted`` when true) and its message."""
    for t in policy.targets:
        if t.group != "" or t.kind != "Service":
            return "Invalid", f"targetRef kind {t.kind} is not supported (Service only)"
        if f"{policy.namespace}/{t.name}" not in cluster.service_by_key:
            return "TargetNotFound", f"Service {policy.namespace}/{t.name} not found"
    if policy.ca_certificate_refs and len(ca_problems) == len(policy.ca_certificate_refs):
        return "NoValidCACertificate", "no caCertificateRef is valid"
    if not policy.ca_certificate_refs:
        if policy.well_known_ca is None:
            return "Invalid", "neither caCertificateRefs nor wellKnownCACertificates is set"
        if policy.well_known_ca != WELL_KNOWN_SYSTEM:
            return "Invalid", f"wellKnownCACertificates {policy.well_known_ca} is not recognised"
    lost = [
        t
        for t in policy.targets
        if _winner(cluster, policy.namespace, t.name, t.section_name) != policy.key
    ]
    if policy.targets and len(lost) == len(policy.targets):
        t = lost[0]
        return "Conflicted", (
            f"{_winner(cluster, policy.namespace, t.name, t.section_name)} takes precedence for "
            f"{_target_key(policy, t.name, t.section_name)} (older, or first by namespace/name)"
        )
    return "Accepted", ""


def backend_tls_policy_status(cluster: Cluster, policy: BackendTLSPolicy) -> BackendTLSPolicyStatus:
    """Accepted and ResolvedRefs of one policy, as a controller computes them."""
    problems = [
        p
        for ref in policy.ca_certificate_refs
        if (p := ca_certificate_ref_problem(cluster, policy, ref)) is not None
    ]
    accepted, why = _accepted(cluster, policy, problems)
    return BackendTLSPolicyStatus(
        policy=policy.key,
        accepted=accepted == "Accepted",
        accepted_reason=accepted,
        resolved_refs=not problems,
        resolved_reason=problems[0][0] if problems else "ResolvedRefs",
        targets=tuple(_target_key(policy, t.name, t.section_name) for t in policy.targets),
        messages=tuple([why] if why else []) + tuple(m for _, m in problems),
        checked=not policy.ca_certificate_refs or bool(cluster.of_kind("ConfigMap")),
    )


def backend_tls_policy_statuses(cluster: Cluster) -> tuple[BackendTLSPolicyStatus, ...]:
    return tuple(
        backend_tls_policy_status(cluster, p)
        for p in sorted(_policies(cluster), key=lambda p: p.key)
    )


def backend_tls_for(cluster: Cluster, service: str, port: int) -> BackendTLS | None:
    """The BackendTLSPolicy that applies to a Service port (module docstring), as the gateway
    uses it; None when no policy targets it (plain TCP to the backend)."""
    svc = cluster.service_by_key.get(service)
    if svc is None:
        return None
    sp = svc.port_numbered(port)
    namespace, name = service.split("/", 1)
    key = (sp and sp.name and _winner(cluster, namespace, name, sp.name)) or _winner(
        cluster, namespace, name, None
    )
    policy = next((p for p in _policies(cluster) if p.key == key), None)
    if policy is None:
        return None
    st = backend_tls_policy_status(cluster, policy)
    ca = tuple(
        f"{r.kind}/{policy.namespace}/{r.name}" if r.group == "" else f"{r}"
        for r in policy.ca_certificate_refs
    ) or ((policy.well_known_ca,) if policy.well_known_ca else ())
    problems = () if st.accepted else (f"Accepted False ({st.accepted_reason})", *st.messages)
    if not st.checked:
        problems = (*problems, "ConfigMaps are not in the input: the CA is not checked")
    return BackendTLS(
        policy=policy.key,
        hostname=policy.hostname,
        ca=ca,
        subject_alt_names=policy.subject_alt_names,
        valid=st.accepted,
        checked=st.checked,
        problems=problems,
    )


def with_backend_tls(
    cluster: Cluster, backend: WeightedBackend
) -> tuple[WeightedBackend, BackendTLS | None]:
    """A serving backend under its BackendTLSPolicy: unchanged when the policy is valid (or
    there is none); a 500 for its share when the policy is not usable (module docstring)."""
    if backend.status is not None or backend.service is None or backend.port is None:
        return backend, None
    tls = backend_tls_for(cluster, backend.service, backend.port)
    if tls is None or tls.valid:
        return backend, tls
    return (
        replace(
            backend,
            status=STATUS_INVALID,
            endpoints=(),
            reason=f"BackendTLSPolicy {tls.policy} is not usable ({'; '.join(tls.problems)}): "
            "the gateway's TLS connection to the backend fails, the client gets a 5xx",
        ),
        tls,
    )
