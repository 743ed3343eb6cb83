"""``--fix``: the smallest NetworkPolicy that allows exactly a denied connection.

For each denied (source pod or address, destination pod, port) of a trace, the denying side
(:attr:`podpath.engine.policy.Verdict.denied_by`) gets one new NetworkPolicy, additive as
all NetworkPolicies are (allowed traffic is the union of the rules of the selecting policies):

- ingress denied at the destination: a policy in the destination's namespace selecting the
  destination workload's pods, with one ingress rule from the source workload's pods (its
  namespace by ``kubernetes.io/metadata.name``), or from the source address as a /32 (/128),
  on that one port and protocol;
- egress denied at the source: the mirror image in the source's namespace.

Pods are selected by their labels minus the per-pod ones the controllers add
(``pod-template-hash``, ``controller-revision-hash``, ``statefulset.kubernetes.io/pod-name``
...), so the rule covers the workload's replicas and nothing else. The patched cluster is
re-evaluated with the policy engine; a fix is returned only with that verification. Denials
decided by an AdminNetworkPolicy tier cannot be overridden by a NetworkPolicy and are
reported instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import Any

from podpath.cluster import Cluster
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import Peer, PodPeer, Tier, Verdict
from podpath.model.core import Pod, SourceRef
from podpath.model.policy import Direction
from podpath.normalize.policy import normalize_network_policy

PER_POD_LABELS = (
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-generation",
    "batch.kubernetes.io/controller-uid",
    "controller-uid",
    "batch.kubernetes.io/job-name",
    "job-name",
)
NS_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class Fix:
    """A proposed policy (as a manifest dict), the connection it allows, and the check."""

    manifest: dict[str, Any]
    connection: str
    verified: bool
    note: str = ""


def workload_labels(pod: Pod) -> dict[str, str]:
    return {k: v for k, v in sorted(pod.labels.items()) if k not in PER_POD_LABELS}


def _host_cidr(ip: str) -> str:
    return f"{ip}/{32 if ipaddress.ip_address(ip).version == 4 else 128}"


def _peer_raw(peer: Peer) -> dict[str, Any]:
    if isinstance(peer, PodPeer):
        return {
            "namespaceSelector": {"matchLabels": {NS_LABEL: peer.pod.namespace}},
            "podSelector": {"matchLabels": workload_labels(peer.pod)},
        }
    return {"ipBlock": {"cidr": _host_cidr(peer.ip)}}


def _short(pod: Pod) -> str:
    return pod.owner.name if pod.owner else pod.name


def _name(pod: Pod, other: Peer, direction: Direction, port: int) -> str:
    word = "from" if direction is Direction.INGRESS else "to"
    if isinstance(other, PodPeer):
        peer = _short(other.pod)
        if other.pod.namespace != pod.namespace:
            peer = f"{other.pod.namespace}-{peer}"
    else:
        peer = other.ip.replace(".", "-").replace(":", "-")
    return f"allow-{_short(pod)}-{word}-{peer}-{port}"[:63].rstrip("-")


def propose(cluster: Cluster, verdict: Verdict) -> Fix | None:
    """The one policy that allows ``verdict``'s connection, verified; None if it is allowed."""
    side = verdict.denied_by
    if side is None:
        return None
    conn = f"{verdict.src} -> {verdict.dst} {verdict.port}/{verdict.protocol}"
    if side.tier in (Tier.ADMIN, Tier.BASELINE):
        note = f"denied by {side.decided_by}: an admin-tier rule a NetworkPolicy cannot override"
        return Fix({}, conn, False, note)
    direction = side.direction
    if direction is Direction.INGRESS:
        own, other = verdict.dst, verdict.src
    else:
        own, other = verdict.src, verdict.dst
    if not isinstance(own, PodPeer):
        return None
    pod = own.pod
    key = "ingress" if direction is Direction.INGRESS else "egress"
    peers_key = "from" if direction is Direction.INGRESS else "to"
    name = _name(pod, other, direction, verdict.port)
    rule = {
        peers_key: [_peer_raw(other)],
        "ports": [{"protocol": verdict.protocol.value, "port": verdict.port}],
    }
    manifest: dict[str, Any] = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": pod.namespace},
        "spec": {
            "podSelector": {"matchLabels": workload_labels(pod)},
            "policyTypes": [direction.value],
            key: [rule],
        },
    }
    patched = with_policy(cluster, manifest)
    after = evaluate(patched, verdict.src, verdict.dst, verdict.port, verdict.protocol)
    fixed_side = after.egress if direction is Direction.EGRESS else after.ingress
    note = "" if fixed_side.allowed else f"still denied: {fixed_side.reason}"
    return Fix(manifest, conn, fixed_side.allowed, note)


def propose_all(cluster: Cluster, verdicts: list[Verdict]) -> list[Fix]:
    """Fixes for several denied connections (both sides may need one), deduplicated."""
    out: list[Fix] = []
    seen: set[str] = set()
    current = cluster
    for v in verdicts:
        for _ in range(2):  # egress first, then ingress, each verified on the patched cluster
            v = evaluate(current, v.src, v.dst, v.port, v.protocol)
            fix = propose(current, v)
            if fix is None:
                break
            key = repr(fix.manifest) if fix.manifest else fix.connection
            if key not in seen:
                seen.add(key)
                out.append(fix)
            if not fix.manifest:
                break
            current = with_policy(current, fix.manifest)
    return out


def with_policy(cluster: Cluster, manifest: dict[str, Any]) -> Cluster:
    """The cluster with one more NetworkPolicy, read from its manifest by the loader's own
    normalizer (so the printed YAML is exactly what was verified)."""
    policy = normalize_network_policy(manifest, SourceRef("<fix>"))
    return replace(cluster, network_policies=cluster.network_policies + (policy,))
