"""Checklist step 1: pod readiness.

A pod that is not Running, or Running but not Ready, is left out of (or marked not ready in)
every Service's EndpointSlices: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-conditions
and https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions.
Manifests carry no status, so these checks fire on a live cluster or a snapshot.
Label near misses are reported where the selector is (Service, NetworkPolicy checks).
"""

from __future__ import annotations

from collections.abc import Iterator

from podpath.analyze.doctor.context import DoctorContext
from podpath.analyze.doctor.findings import Finding, Severity, check, make, rule
from podpath.engine.services import service_selects_pod
from podpath.model.core import Pod

STEP = "1-pods"
POD_NOT_RUNNING = rule(
    "pod-not-running",
    Severity.WARNING,
    STEP,
    "A pod is not in phase Running (Pending, Failed, Unknown).",
)
POD_NOT_READY = rule(
    "pod-not-ready",
    Severity.WARNING,
    STEP,
    "A running pod is not Ready: Services do not route to it.",
)
POD_IMPACT = 10  # a pod that serves nothing


def _services_of(ctx: DoctorContext, pod: Pod) -> list[str]:
    return [str(s.ref) for s in ctx.cluster.services if service_selects_pod(s, pod)]


@check(STEP, POD_NOT_RUNNING, POD_NOT_READY)
def pod_readiness(ctx: DoctorContext) -> Iterator[Finding]:
    """Pods not Running (Succeeded pods have finished and are fine) or Running and not Ready."""
    for pod in ctx.cluster.pods:
        if pod.phase == "Succeeded" or pod.ready_assumed and pod.phase == "Running":
            continue
        services = _services_of(ctx, pod)
        behind = f"; it backs {', '.join(services)}" if services else ""
        if pod.phase != "Running":
            yield make(
                POD_NOT_RUNNING,
                str(pod.ref),
                f"pod is {pod.phase}{behind}",
                "see `kubectl describe pod` events: scheduling (spec.nodeSelector, resources), "
                "image pull (spec.containers[].image) or a crashing container",
                source=pod.source,
                impact=POD_IMPACT * max(1, len(services)),
                severity=Severity.ERROR if services else None,
                related=services,
            )
        elif not pod.ready:
            yield make(
                POD_NOT_READY,
                str(pod.ref),
                f"pod is Running but not Ready{behind}; Services do not send it traffic",
                "check spec.containers[].readinessProbe (port and path) against what the "
                "container serves, and the container's logs",
                source=pod.source,
                impact=POD_IMPACT * max(1, len(services)),
                related=services,
            )
