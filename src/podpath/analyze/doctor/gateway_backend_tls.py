"""Checklist step 4 (Gateway API to backend): BackendTLSPolicies that do not work, as
:func:`podpath.engine.gateway_backend_tls.backend_tls_policy_status` computes them
(https://gateway-api.sigs.k8s.io/reference/api-types/policy/backendtlspolicy/):

- ``backend-tls-policy-invalid``: Accepted False (NoValidCACertificate: every
  caCertificateRef is invalid -- "Connections using an invalid CACertificateRef MUST fail, and
  the client MUST receive an HTTP 5xx"; Invalid; TargetNotFound), or ResolvedRefs False
  (InvalidCACertificateRef, InvalidKind) for some of its refs;
- ``backend-tls-policy-conflicted``: another policy targets the same Service (and port) and
  takes precedence: this one has no effect;
- ``backend-tls-not-checked``: the input holds no ConfigMaps, so the CA refs are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.gateway_backend_tls import backend_tls_policy_statuses
from podpath.model.gateway_policy import BackendTLSPolicy

STEP = "4-ingress"
OUTAGE = 100

INVALID = rule(
    "backend-tls-policy-invalid",
    Severity.ERROR,
    STEP,
    "A BackendTLSPolicy is not accepted or its CA refs do not resolve: requests get a 5xx.",
)
CONFLICTED = rule(
    "backend-tls-policy-conflicted",
    Severity.WARNING,
    STEP,
    "A BackendTLSPolicy targets a Service another, older policy targets: it has no effect.",
)
NOT_CHECKED = rule(
    "backend-tls-not-checked",
    Severity.INFO,
    STEP,
    "A BackendTLSPolicy's CA ConfigMaps are not in the input: its CA is not checked.",
)

_HINTS = {
    "NoValidCACertificate": "point spec.validation.caCertificateRefs at a ConfigMap in the "
    "policy's namespace whose key ca.crt holds the PEM CA certificate",
    "Invalid": "set spec.validation.caCertificateRefs or wellKnownCACertificates: System "
    "(one of them), and target Services",
    "TargetNotFound": "fix spec.targetRefs to name a Service in the policy's namespace",
    "InvalidCACertificateRef": "fix the caCertificateRefs that do not resolve (a ConfigMap "
    "with key ca.crt)",
    "InvalidKind": 'caCertificateRefs must reference ConfigMaps (group "", kind ConfigMap)',
}


@check(STEP, INVALID, CONFLICTED, NOT_CHECKED)
def backend_tls_policies(ctx: DoctorContext) -> Iterator[Finding]:
    sources = {p.key: p.source for p in ctx.cluster.of_kind("BackendTLSPolicy")}
    for st in backend_tls_policy_statuses(ctx.cluster):
        obj = f"{BackendTLSPolicy.KIND}/{st.policy}"
        targets = [t.split(":")[0] for t in st.targets]
        why = "; ".join(st.messages)
        if st.accepted_reason == "Conflicted":
            yield make(
                CONFLICTED,
                obj,
                f"Accepted False (Conflicted): {why}",
                "delete this policy or merge it into the one that applies; give it a "
                "sectionName (a Service port name) to target one port",
                source=sources.get(st.policy),
                related=targets,
            )
        elif not st.accepted or not st.resolved_refs:
            reason = st.accepted_reason if not st.accepted else st.resolved_reason
            yield make(
                INVALID,
                obj,
                f"Accepted {st.accepted} ({st.accepted_reason}), ResolvedRefs {st.resolved_refs} "
                f"({st.resolved_reason}): {why}"
                + ("; requests to the targeted backends get a 5xx" if not st.accepted else ""),
                _HINTS.get(reason, "fix spec.validation"),
                source=sources.get(st.policy),
                impact=OUTAGE if not st.accepted else 0,
                related=targets,
            )
        if not st.checked:
            yield make(
                NOT_CHECKED,
                obj,
                "the input holds no ConfigMaps: the caCertificateRefs are not checked",
                "add the CA ConfigMaps to the input (kubectl get configmap NAME -o yaml)",
                source=sources.get(st.policy),
            )
