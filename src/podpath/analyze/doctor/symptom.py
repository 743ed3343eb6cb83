"""Symptom mode: "this traffic fails" -- the trace plus every finding on its path, ranked.

The path is what :func:`podpath.analyze.trace.dispatch.trace` reports: the objects of every hop, the
pods reached and the policies named in their verdicts, plus the source pod and the workloads
of the pods. A finding is on the path when its object (or an object it relates to) is. The
most likely cause comes first: findings about objects that *decided* a drop (a denying
policy, a Service with no endpoints) before findings about objects merely on the path, then
by severity and impact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from podpath.analyze.doctor.context import workload_object
from podpath.analyze.doctor.findings import Finding
from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.values import TraceResult
from podpath.cluster import Cluster
from podpath.model.core import Pod


@dataclass(frozen=True)
class Symptom:
    """A traced connection and the findings on its path, most likely cause first."""

    result: TraceResult
    findings: tuple[Finding, ...]
    path: tuple[str, ...]


def _pod_objects(pod: Pod | None) -> list[str]:
    if pod is None:
        return []
    return [str(pod.ref), pod.key, workload_object(pod), f"Namespace/{pod.namespace}"]


_OBJECT = re.compile(r"\b[A-Z][A-Za-z]+/[a-z0-9.-]+(?:/[a-z0-9.-]+)?\b")


def named_objects(text: str) -> set[str]:
    """The ``Kind/ns/name`` objects a reason sentence names."""
    return set(_OBJECT.findall(text))


def path_objects(cluster: Cluster, result: TraceResult) -> tuple[set[str], set[str]]:
    """(objects on the path, objects that decided a drop)."""
    on_path: set[str] = set()
    deciding: set[str] = set()
    for hop in result.hops:
        on_path.update(hop.objects)
        for obj in hop.objects:
            if obj.startswith("Pod/"):
                pod = cluster.pod_by_key.get(obj[4:])
                on_path.update(_pod_objects(pod))
    for ep in result.endpoints:
        pod = cluster.pod_by_key.get(ep.pod) if ep.pod else None
        on_path.update(_pod_objects(pod))
        named = {o for r in ep.reasons for o in named_objects(r)}
        on_path.update(named)
        if ep.verdict != "allowed":
            deciding.update(named)
    if result.drop:
        deciding.update(o for hop in result.hops[-1:] for o in hop.objects)
    return on_path, deciding


def symptom(
    cluster: Cluster, findings: Sequence[Finding], src: str, dst: str, port: str | None
) -> Symptom:
    """Trace ``src -> dst`` and keep the findings on its path (module docstring)."""
    result = trace(cluster, src, dst, port)
    on_path, deciding = path_objects(cluster, result)
    if result.hops and result.hops[0].objects:
        on_path.update(result.hops[0].objects)

    def relevance(f: Finding) -> int:
        if f.object in deciding:
            return 0
        if f.object in on_path or deciding.intersection(f.related):
            return 1
        return 2 if on_path.intersection(f.related) else 3

    kept = [f for f in findings if relevance(f) < 3]
    kept.sort(key=lambda f: (relevance(f), *f.sort_key))
    return Symptom(result, tuple(kept), tuple(sorted(on_path)))
