"""One finding per workload: replicas that share a problem are said once, with their count.

A check that looks at pods (``pod-not-ready``, ``pod-not-running``, ...) finds the same
problem in each replica of a workload: 500 pods of one Deployment would give 500 identical
findings and hints. :func:`group_by_workload` folds the findings on pods of one workload
that say the same thing (same code, severity, hint, and message once each pod's name is
read as its workload's) into one finding on the workload: the pod count and the first pod
names lead the message, the impacts add up, and ``related`` keeps every pod (so that
symptom mode still matches a traced pod). A workload with one such pod keeps the pod's
finding as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from podpath.analyze.doctor.context import workload_object
from podpath.analyze.doctor.findings import Finding
from podpath.cluster import Cluster

NAMED = 3  # pods named in a grouped finding's message


def group_by_workload(findings: Iterable[Finding], cluster: Cluster) -> list[Finding]:
    """The findings with those on several pods of one workload folded into one (above)."""
    owners = {str(p.ref): (p, workload_object(p)) for p in cluster.pods if p.owner is not None}
    groups: dict[tuple[str, str, str, str, str], list[Finding]] = {}
    out: list[Finding | tuple[str, str, str, str, str]] = []
    for f in findings:
        owner = owners.get(f.object)
        if owner is None:
            out.append(f)
            continue
        pod, workload = owner
        key = (f.code, f.severity.value, workload, f.message.replace(pod.key, workload), f.hint)
        if key not in groups:
            groups[key] = []
            out.append(key)
        groups[key].append(f)
    result: list[Finding] = []
    for item in out:
        if isinstance(item, Finding):
            result.append(item)
        else:
            result.append(_folded(groups[item], item[2], item[3]))
    return result


def _folded(findings: Sequence[Finding], workload: str, message: str) -> Finding:
    """One finding for the pods of ``workload`` (the finding itself when there is one)."""
    if len(findings) == 1:
        return findings[0]
    pods = sorted(f.object.split("/", 1)[1] for f in findings)
    named = ", ".join(pods[:NAMED]) + (", ..." if len(pods) > NAMED else "")
    related = sorted({r for f in findings for r in (f.object, *f.related)})
    return replace(
        findings[0],
        object=workload,
        message=f"{len(pods)} pods ({named}): {message}",
        impact=sum(f.impact for f in findings),
        related=tuple(related),
    )
