"""The ``dns`` answer and the zone listing as plain, JSON-ready data (no I/O).

``dns_answer`` resolves a name as a resolver in a given pod (``NS/POD``), or, without one, as a
``ClusterFirst`` pod in namespace ``default``; ``dns_listing`` lists every record of the zone
(``report`` and ``diff`` reuse it).
"""

from __future__ import annotations

from typing import Any

from podpath.cluster import Cluster
from podpath.engine.dns import RECORD_TYPES, Record, build_zone, is_ip, zone_records
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import PodPeer
from podpath.engine.resolver import (
    dns_pods,
    namespace_resolv_conf,
    pod_resolv_conf,
    resolve,
    uses_cluster_dns,
)
from podpath.errors import InputError
from podpath.model.core import Pod, Protocol

DEFAULT_NAMESPACE = "default"
MSG_NO_POD = "no pod {key!r} (pods are named NAMESPACE/NAME)"
MSG_BAD_TYPE = "unknown record type {qtype!r} (one of {types})"


def _record(rec: Record) -> dict[str, Any]:
    return {"name": rec.name, "type": rec.type, "data": rec.data, "objects": list(rec.objects)}


def default_type(name: str) -> str:
    """``PTR`` when the name is an IP address, else ``A``."""
    return "PTR" if is_ip(name.strip()) else "A"


def dns_answer(
    cluster: Cluster, name: str, qtype: str | None = None, source: str | None = None
) -> dict[str, Any]:
    """The JSON of ``podpath dns`` (DESIGN.md) plus ``from``, ``upstream``, ``upstream_name``,
    ``resolv_conf`` and ``notes``."""
    qtype = (qtype or default_type(name)).upper()
    if qtype not in RECORD_TYPES:
        raise InputError(
            MSG_BAD_TYPE.format(qtype=qtype, types=", ".join(RECORD_TYPES)), field="--type"
        )
    if source:
        pod = cluster.find_pod(source)
        if pod is None:
            raise InputError(MSG_NO_POD.format(key=source), field="--from")
        conf = pod_resolv_conf(pod, cluster)
        origin = pod.key
        notes = list(conf.notes)
        blocked = dns_blocked_reason(cluster, pod)
        if blocked:
            notes.append(blocked)
    else:
        conf = namespace_resolv_conf(DEFAULT_NAMESPACE, cluster)
        origin = None
        notes = [f"no --from: resolved as from a ClusterFirst pod in namespace {DEFAULT_NAMESPACE}"]
    res = resolve(build_zone(cluster), conf, cluster.dns_ip, name, qtype)
    if res.upstream:
        notes.append(
            f"{res.upstream_name} is outside the cluster zone: "
            "forwarded upstream (answer not modelled)"
        )
    return {
        "query": name,
        "type": qtype,
        "rcode": res.rcode,
        "tried": list(res.tried),
        "answers": [_record(r) for r in res.answers],
        "from": origin,
        "upstream": res.upstream,
        "upstream_name": res.upstream_name,
        "resolv_conf": conf.as_dict(),
        "notes": notes,
    }


def dns_blocked_reason(cluster: Cluster, pod: Pod) -> str | None:
    """Why the pod's queries never reach the cluster DNS, if its egress policies deny UDP 53
    to every DNS pod (the policy engine's verdict, as the doctor's DNS check computes it)."""
    if not uses_cluster_dns(pod):
        return None
    targets, _ = dns_pods(cluster)
    if pod.key in {t.key for t in targets}:
        return None
    verdicts = [evaluate(cluster, PodPeer(pod), PodPeer(t), 53, Protocol.UDP) for t in targets]
    if any(v.allowed for v in verdicts) or not verdicts:
        return None
    why = "; ".join(verdicts[0].reasons)
    return (
        f"this pod cannot reach the cluster DNS: UDP 53 to {targets[0].key}: {why}; its "
        "queries time out (the answers shown are what the DNS server holds)"
    )


def dns_listing(cluster: Cluster) -> dict[str, Any]:
    """Every record of the cluster zone and its reverse zones, with the rule behind it."""
    return {
        "zone": cluster.settings.cluster_domain + ".",
        "records": [dict(_record(r), rule=r.rule) for r in zone_records(cluster)],
    }
