"""``podpath explain NS/POD``: the policies that apply to a pod, per direction, in plain words.

For each direction: whether the pod is isolated and by which NetworkPolicies; the admin-tier
policies whose subject selects it; every rule that selects traffic, described; and the
computed answer from the matrix: which workloads may reach the pod (ingress) or which it may
reach (egress), on which ports, plus what addresses outside the cluster may do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from podpath.cluster import Cluster
from podpath.engine.admin_policy import admin_policies, subject_selects
from podpath.engine.matrix import port_label, reachability
from podpath.engine.policy_rules import is_policy_subject, selecting_policies
from podpath.engine.policy_verdict import (
    A_HOST_NETWORK,
    ASSUMPTION_DOCS,
    DEFAULT_ASSUMPTIONS,
    Assumptions,
)
from podpath.errors import InputError
from podpath.model.admin_policy import AdminPeer, AdminPort, AdminRule
from podpath.model.core import LabelSelector, Pod
from podpath.model.policy import Direction, NetworkPolicy, PolicyPeer, PolicyPort, PolicyRule


def _selector(sel: LabelSelector, what: str) -> str:
    return f"all {what}" if sel.is_empty else f"{what} {sel}"


def describe_peer(policy: NetworkPolicy, peer: PolicyPeer) -> str:
    """A NetworkPolicyPeer in words (nil vs empty selectors as the API defines them)."""
    if peer.ip_block is not None:
        ex = f" except {', '.join(peer.ip_block.except_)}" if peer.ip_block.except_ else ""
        return f"addresses in {peer.ip_block.cidr}{ex}"
    if peer.namespace_selector is None:
        where = f"in namespace {policy.namespace}"
    elif peer.namespace_selector.is_empty:
        where = "in all namespaces"
    else:
        where = f"in namespaces {peer.namespace_selector}"
    pods = _selector(peer.pod_selector, "pods") if peer.pod_selector is not None else "all pods"
    return f"{pods} {where}"


def describe_port(port: PolicyPort) -> str:
    if port.port is None:
        return f"all {port.protocol} ports"
    if port.end_port is not None:
        return f"{port.port}-{port.end_port}/{port.protocol}"
    return f"{port.port}/{port.protocol}"


def describe_rule(policy: NetworkPolicy, rule: PolicyRule, direction: Direction) -> str:
    who = "; ".join(describe_peer(policy, p) for p in rule.peers) if rule.peers else "anyone"
    ports = ", ".join(describe_port(p) for p in rule.ports) if rule.ports else "all ports"
    word = "from" if direction is Direction.INGRESS else "to"
    return f"{word} {who} on {ports}"


def _admin_peer(peer: AdminPeer) -> str:
    if peer.networks:
        return f"networks {', '.join(peer.networks)}"
    if peer.node_selector is not None:
        return _selector(peer.node_selector, "nodes")
    if peer.domain_names:
        return f"domain names {', '.join(peer.domain_names)} (not evaluated statically)"
    ns = _selector(peer.namespace_selector or LabelSelector(), "namespaces")
    if peer.pod_selector is None:
        return f"pods of {ns}"
    return f"{_selector(peer.pod_selector, 'pods')} of {ns}"


def _admin_port(port: AdminPort) -> str:
    if port.name is not None:
        return f"port named {port.name}"
    if port.start == port.end:
        return f"{port.start}/{port.protocol}"
    return f"{port.start}-{port.end}/{port.protocol}"


def describe_admin_rule(rule: AdminRule, direction: Direction) -> str:
    word = "from" if direction is Direction.INGRESS else "to"
    ports = ", ".join(_admin_port(p) for p in rule.ports) if rule.ports else "all ports"
    peers = "; ".join(_admin_peer(p) for p in rule.peers)
    return f"{rule.action} {word} {peers} on {ports}"


def reaches_outside(rule: PolicyRule, direction: Direction) -> bool:
    """Whether a rule can match an address outside the cluster: its peers must allow one
    (``from``/``to`` empty, or an ``ipBlock``), and on egress some port must be numeric or
    absent: a named port resolves on the destination pod's container ports, which an outside
    address does not have (NetworkPolicyPort,
    https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/)."""
    if rule.peers and not any(peer.ip_block is not None for peer in rule.peers):
        return False
    if direction is Direction.EGRESS and rule.ports:
        return any(not isinstance(p.port, str) for p in rule.ports)
    return True


def _reach(cluster: Cluster, pod: Pod, assumptions: Assumptions) -> dict[Direction, list[Any]]:
    """Workloads that may reach the pod / that it may reach, on the ports the receiving pod
    declares (a port nothing listens on is not a connection anyone makes): one row and one
    column of the matrix engine per port."""
    matrix = reachability(cluster, assumptions=assumptions)
    pods = matrix.pods
    me = next(i for i, p in enumerate(pods) if p.key == pod.key)
    names = sorted({p.workload_key for p in pods})
    index = {n: g for g, n in enumerate(names)}
    group = np.array([index[p.workload_key] for p in pods], dtype=np.int64)
    host = np.array([p.host_network for p in pods], dtype=bool)
    mine = {(p.container_port, p.protocol) for p in pod.ports}
    out: dict[Direction, list[Any]] = {}
    for direction in (Direction.INGRESS, Direction.EGRESS):
        hits = np.zeros((len(matrix.ports), len(pods)), dtype=bool)
        for k, port in enumerate(matrix.ports):
            if direction is Direction.INGRESS:
                if port in mine:
                    hits[k] = matrix.column(me, port)
            else:
                declares = [port in {(c.container_port, c.protocol) for c in p.ports} for p in pods]
                hits[k] = matrix.row(me, port) & np.asarray(declares, dtype=bool)
        reached = hits.any(axis=0)
        counts = np.bincount(group[reached], minlength=len(names))
        via = np.bincount(group[reached & host], minlength=len(names)) > 0
        by_port = [set(np.unique(group[hits[k]]).tolist()) for k in range(len(matrix.ports))]
        entries = []
        for g in np.flatnonzero(counts).tolist():
            entry: dict[str, Any] = {"workload": names[g], "pods": int(counts[g])}
            entry["ports"] = [port_label(p) for k, p in enumerate(matrix.ports) if g in by_port[k]]
            if via[g] or pod.host_network:
                entry["via"] = "host network: node traffic (see assumptions)"
            entries.append(entry)
        out[direction] = entries
    return out


def _direction(
    cluster: Cluster, pod: Pod, direction: Direction, reach: list[Any], assumptions: Assumptions
) -> dict[str, Any]:
    policies = selecting_policies(cluster, pod, direction, assumptions)
    rules = [
        {"policy": str(p.ref), "rule": i, "text": describe_rule(p, r, direction)}
        for p in policies
        for i, r in enumerate(p.rules(direction))
    ]
    admin = [
        {
            "policy": str(a.ref),
            "tier": a.tier,
            "priority": a.priority,
            "rules": [describe_admin_rule(r, direction) for r in a.rules(direction)],
        }
        for tier in ("Admin", "Baseline")
        for a in admin_policies(cluster, tier)
        if subject_selects(cluster, a, pod) and a.rules(direction)
    ]
    external: list[str]
    if not policies:
        external = ["any address (not isolated; admin tiers may still apply)"]
    else:
        external = [
            f"{r['text']} ({r['policy']} rule {r['rule']})"
            for p in policies
            for i, rule in enumerate(p.rules(direction))
            for r in [{"text": describe_rule(p, rule, direction), "policy": str(p.ref), "rule": i}]
            if reaches_outside(rule, direction)
        ]
    return {
        "isolated": bool(policies),
        "policies": [str(p.ref) for p in policies],
        "rules": rules,
        "admin": admin,
        "workloads": reach,
        "external": external,
    }


def explain_pod(
    cluster: Cluster, key: str, assumptions: Assumptions = DEFAULT_ASSUMPTIONS
) -> dict[str, Any]:
    """The explanation of pod ``NS/NAME`` (see the module docstring)."""
    pod = cluster.find_pod(key)
    if pod is None:
        raise InputError(
            f"no such pod {key!r} (NAMESPACE/NAME, or NAMESPACE/WORKLOAD for its first pod)",
            field="POD",
        )
    reach = _reach(cluster, pod, assumptions)
    notes = []
    if not is_policy_subject(pod, assumptions):
        notes.append(ASSUMPTION_DOCS[A_HOST_NETWORK])
    return {
        "pod": pod.key,
        "workload": pod.workload_key,
        "ips": list(pod.ips),
        "ingress": _direction(
            cluster, pod, Direction.INGRESS, reach[Direction.INGRESS], assumptions
        ),
        "egress": _direction(cluster, pod, Direction.EGRESS, reach[Direction.EGRESS], assumptions),
        "notes": notes,
    }


def explain_text(data: dict[str, Any]) -> str:
    """Plain words, one section per direction."""
    lines = [f"{data['pod']} ({data['workload']}, {', '.join(data['ips']) or 'no IP'})"]
    lines += [f"note: {n}" for n in data["notes"]]
    for direction, verb in (("ingress", "may be reached by"), ("egress", "may reach")):
        d = data[direction]
        lines.append("")
        if d["isolated"]:
            lines.append(f"{direction}: isolated by {', '.join(d['policies'])}")
        else:
            lines.append(f"{direction}: not isolated by any NetworkPolicy")
        for r in d["rules"]:
            lines.append(f"  allows {r['text']}  [{r['policy']} {direction} rule {r['rule']}]")
        for a in d["admin"]:
            lines.append(f"  {a['tier']} tier {a['policy']} (priority {a['priority']}):")
            lines += [f"    {i}: {text}" for i, text in enumerate(a["rules"])]
        lines.append(f"  {verb} (computed):")
        if not d["workloads"]:
            lines.append("    no pod")
        for w in d["workloads"]:
            via = f" [{w['via']}]" if w.get("via") else ""
            lines.append(
                f"    {w['workload']} ({w['pods']} pod(s)) on {', '.join(w['ports'])}{via}"
            )
        lines.append("  outside the cluster:")
        lines += [f"    {e}" for e in d["external"]] or ["    no address"]
    return "\n".join(lines) + "\n"
