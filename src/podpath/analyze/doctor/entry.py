"""Checklist step 4: backend pods whose ingress policies do not admit the ingress controller
or the gateway's pods.

An ingress controller or gateway proxy opens its own connection to the backend pod (to the
endpoint's target port), so the backend's NetworkPolicies must allow the controller's pods.
Entry points and their pods come from :func:`podpath.engine.entrypoints.entry_points`, the
backends from the Ingress and Gateway engines, the verdicts from
:func:`podpath.engine.policy.evaluate` (one controller pod allowed is enough).
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext, workload_object
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.entrypoints import entry_points
from podpath.engine.gateway_attach import attachments, resolve_backend_ref
from podpath.engine.ingress import ingress_backend, ingresses_by_class
from podpath.model.core import Pod, Protocol
from podpath.model.routing import WeightedBackend

STEP = "4-ingress"
DENIES_ENTRY = rule(
    "backend-denies-entry-point",
    Severity.ERROR,
    STEP,
    "Backend pods whose ingress policies do not admit the ingress controller or gateway pods.",
)


def _backends(ctx: DoctorContext, kind: str, name: str) -> Iterator[tuple[str, WeightedBackend]]:
    """(routing object, backend) pairs served through one entry point."""
    if kind == "IngressClass":
        by_class, _ = ingresses_by_class(ctx.cluster)
        for ing in by_class.get(name, ()):
            paths = [p.backend for r in ing.rules for p in r.paths]
            for b in ([ing.default_backend] if ing.default_backend else []) + paths:
                yield str(ing.ref), ingress_backend(ctx.cluster, ing, b)
        return
    for att in attachments(ctx.cluster):
        if att.gateway.key != name:
            continue
        for r in att.route.rules:
            for ref in r.backend_refs:
                yield str(att.route.ref), resolve_backend_ref(ctx.cluster, att.route, ref)[0]


def _targets(ctx: DoctorContext, wb: WeightedBackend) -> Iterator[tuple[Pod, int, Protocol]]:
    if wb.status is not None or wb.service is None or wb.port is None:
        return
    for pe in ctx.cluster.endpoints.get(wb.service, ()):
        if pe.service_port.port != wb.port:
            continue
        for e in pe.endpoints:
            pod = ctx.cluster.pod_by_key.get(e.pod) if e.pod else None
            if pod is not None and e.ready:
                yield pod, e.port, pe.service_port.protocol


@check(STEP, DENIES_ENTRY)
def entry_point_admitted(ctx: DoctorContext) -> Iterator[Finding]:
    seen: set[tuple[str, str, int]] = set()
    for ep in entry_points(ctx.cluster):
        pods = [ctx.cluster.pod_by_key[k] for k in ep.pods if k in ctx.cluster.pod_by_key]
        if not pods:
            continue
        for via, wb in _backends(ctx, ep.kind, ep.name):
            for pod, port, proto in _targets(ctx, wb):
                key = (ep.label, workload_object(pod), port)
                if key in seen:
                    continue
                seen.add(key)
                if any(ctx.allowed(c, pod, port, proto) for c in pods):
                    continue
                verdicts = [ctx.verdict(pods[0], pod, port, proto)]
                ctl = pods[0]
                labels = ", ".join(
                    f"{k}={v}" for k, v in sorted(pod.labels.items()) if k != "pod-template-hash"
                )
                yield make(
                    DENIES_ENTRY,
                    workload_object(pod),
                    f"{ep.label} ({ctl.namespace} pods) cannot reach {pod.key}:{port} behind "
                    f"{via} (Service {wb.service}): {'; '.join(verdicts[0].reasons)}",
                    f"allow it in spec.ingress[] of a policy selecting {pod.namespace} pods "
                    f"{labels}: "
                    f"from namespaceSelector kubernetes.io/metadata.name: {ctl.namespace} "
                    f"on port {port}",
                    source=pod.source,
                    impact=100,
                    related=[
                        via,
                        f"Service/{wb.service}",
                        *(str(r) for r in verdicts[0].egress.isolating_policies),
                        *(str(r) for r in verdicts[0].ingress.isolating_policies),
                    ],
                )
