"""What a change to the manifests does to the network, layer by layer. Pure: no I/O.

``diff_clusters(old, new)`` compares two resolved clusters and returns DESIGN.md's JSON:

- ``connections``: (from, to, port) pairs that the policy engine allows in NEW and not in OLD
  (``added``) or the reverse (``removed``); ``because`` names the policies whose rules allow
  the added pair in NEW (or allowed the removed pair in OLD), as the engine reports them.
- ``services``: Services added, removed, or changed (type, ports, node ports, external IPs,
  load-balancer addresses, ready endpoints); ``exposure`` lists what became reachable from
  outside the cluster (a Service that became NodePort or LoadBalancer, a new NodePort, a new
  load-balancer address or external IP).
- ``routes``: Ingress / Gateway API routes (host + path -> backend) added, removed or changed.
- ``dns``: DNS records added or removed.

Values the resolver *allocated* rather than read (pool load-balancer addresses, ClusterIPs)
can shift when an unrelated object is added; they are compared as "has one" / "has none"
so that the diff shows what the change itself does.

Each layer uses its engine (``podpath.analyze.matrix``, ``podpath.analyze.routes``,
``podpath.engine.dns``); nothing here re-derives what an engine decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from podpath.analyze.diff_layers import (
    connection_changes,
    dns_records,
    pod_connection_changes,
    route_entries,
)
from podpath.analyze.graph_edges import EngineUnavailable
from podpath.cluster import Cluster
from podpath.model.services import Service, ServiceType

BY_CHOICES = ("pod", "workload")
EXPOSED_TYPES = (ServiceType.NODE_PORT, ServiceType.LOAD_BALANCER)


def grouping(cluster: Cluster, by: str) -> Callable[[str], str]:
    """A function mapping a pod key to its pod (``by="pod"``) or workload (``NS/KIND/NAME``)."""
    if by == "pod":
        return lambda key: key
    pods = cluster.pod_by_key
    return lambda key: pods[key].workload_key if key in pods else key


# --- services -------------------------------------------------------------------------------


def _lb_addresses(svc: Service) -> list[str]:
    if svc.type is not ServiceType.LOAD_BALANCER:
        return []
    return sorted(svc.lb_ingress) + sorted(svc.lb_hostnames)


def service_facts(cluster: Cluster, by: str = "pod") -> dict[str, dict[str, Any]]:
    """Per Service key, the facts a diff compares (JSON-ready, deterministic)."""
    group = grouping(cluster, by)
    out: dict[str, dict[str, Any]] = {}
    for svc in cluster.services:
        ready: set[str] = set()
        for pe in cluster.endpoints.get(svc.key, ()):
            ready.update(group(e.pod) if e.pod else e.ip for e in pe.endpoints if e.ready)
        out[svc.key] = {
            "type": svc.type.value,
            "headless": svc.headless,
            "external_name": svc.external_name,
            "ports": sorted(
                f"{p.port}/{p.protocol.value}->{p.target_port}"
                + (f" node {p.node_port}" if svc.type in EXPOSED_TYPES and p.node_port else "")
                for p in svc.ports
            ),
            "node_ports": sorted(
                f"{p.node_port}/{p.protocol.value}"
                for p in svc.ports
                if svc.type in EXPOSED_TYPES and p.node_port
            ),
            "external_ips": sorted(svc.external_ips),
            "load_balancer": _lb_addresses(svc),
            "load_balancer_allocated": svc.lb_origin == "pool",
            "external_traffic_policy": svc.external_traffic_policy,
            "endpoints": sorted(ready),
        }
    return out


def _is_exposed(facts: Mapping[str, Any]) -> bool:
    return facts["type"] in ("NodePort", "LoadBalancer") or bool(facts["external_ips"])


def exposure_of(facts: Mapping[str, Any]) -> list[str]:
    """How a Service is reachable from outside the cluster (type, node ports, LB, external IPs).

    NodePort and LoadBalancer Services open a port on every node; a LoadBalancer also gets
    the provider's address; ``spec.externalIPs`` are routed to the Service by every node.
    https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types
    """
    out = []
    if facts["type"] in ("NodePort", "LoadBalancer"):
        out.append(f"type {facts['type']}")
    out += [f"NodePort {p}" for p in facts["node_ports"]]
    out += [f"LB address {a}" for a in facts["load_balancer"]]
    out += [f"external IP {a}" for a in facts["external_ips"]]
    return out


def exposure_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What NEW exposes that OLD did not: became NodePort/LoadBalancer, new node ports, a new
    load-balancer address (an allocated pool address counts only when OLD had none), new
    external IPs."""
    out = []
    if new["type"] != old["type"] and new["type"] in ("NodePort", "LoadBalancer"):
        out.append(f"became {new['type']}")
    out += [f"new NodePort {p}" for p in new["node_ports"] if p not in old["node_ports"]]
    if new["load_balancer_allocated"]:
        if not old["load_balancer"]:
            out += [f"new LB address {a}" for a in new["load_balancer"]]
    else:
        out += [
            f"new LB address {a}" for a in new["load_balancer"] if a not in old["load_balancer"]
        ]
    out += [f"new external IP {a}" for a in new["external_ips"] if a not in old["external_ips"]]
    return out


_COMPARED = (
    "type",
    "headless",
    "external_name",
    "ports",
    "external_ips",
    "load_balancer",
    "external_traffic_policy",
    "endpoints",
)


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key in _COMPARED:
        a, b = old[key], new[key]
        if (
            key == "load_balancer"
            and old["load_balancer_allocated"]
            and new["load_balancer_allocated"]
        ):
            continue  # both from the address pool: the address itself is an allocation artefact
        if key == "ports" and old["type"] != new["type"]:
            # allocated node ports appear with the type; compare the Service ports only
            a = sorted(p.split(" node ")[0] for p in a)
            b = sorted(p.split(" node ")[0] for p in b)
        if a == b:
            continue
        if isinstance(a, list):
            out.append(
                {
                    "field": key,
                    "added": [x for x in b if x not in a],
                    "removed": [x for x in a if x not in b],
                }
            )
        else:
            out.append({"field": key, "old": a, "new": b})
    return out


def diff_services(old: Cluster, new: Cluster, by: str = "pod") -> dict[str, list[dict[str, Any]]]:
    """Services added, removed and changed, each with its exposure (see module docstring)."""
    a, b = service_facts(old, by), service_facts(new, by)
    added = [
        {"service": k, "type": b[k]["type"], "exposure": exposure_of(b[k])}
        for k in sorted(b.keys() - a.keys())
    ]
    removed = [
        {"service": k, "type": a[k]["type"], "exposure": exposure_of(a[k])}
        for k in sorted(a.keys() - b.keys())
    ]
    changed = []
    for k in sorted(a.keys() & b.keys()):
        changes = _field_changes(a[k], b[k])
        if changes:
            changed.append(
                {"service": k, "changes": changes, "exposure": exposure_changes(a[k], b[k])}
            )
    return {"added": added, "removed": removed, "changed": changed}


# --- routes and dns: set differences over the engines' entries -------------------------------


def _keyed_diff(
    old: Iterable[dict[str, Any]],
    new: Iterable[dict[str, Any]],
    key: Callable[[dict[str, Any]], str],
) -> dict[str, list[dict[str, Any]]]:
    a = {key(e): e for e in old}
    b = {key(e): e for e in new}
    changed = [
        {**{k: v for k, v in b[k2].items()}, "old": a[k2]}
        for k2 in sorted(a.keys() & b.keys())
        if a[k2] != b[k2]
    ]
    return {
        "added": [b[k] for k in sorted(b.keys() - a.keys())],
        "removed": [a[k] for k in sorted(a.keys() - b.keys())],
        "changed": changed,
    }


def diff_routes(old: Cluster, new: Cluster) -> dict[str, list[dict[str, Any]]]:
    """Routes keyed by (kind, object, host, path, match): a new key is added, a different
    backend for the same key is changed."""
    return _keyed_diff(route_entries(old), route_entries(new), key=lambda e: e["route"])


def allocated_addresses(cluster: Cluster) -> dict[str, str]:
    """Addresses the resolver allocated (not read from the input), each with a stable token
    naming its owner: ClusterIPs from the service CIDR, pod IPs from node pod CIDRs, pool
    load-balancer addresses. Their textual forms in DNS names (``10-244-0-2`` in pod A
    records, ``2.0.244.10.in-addr.arpa`` in PTR names) are mapped as well."""
    declared = {s.key: s.cluster_ips for s in cluster.inventory.services}
    owners: dict[str, str] = {}
    for svc in cluster.services:
        if not declared.get(svc.key):
            owners.update({ip: f"{{clusterIP {svc.key}}}" for ip in svc.cluster_ips})
        if svc.lb_origin == "pool":
            owners.update({ip: f"{{LB {svc.key}}}" for ip in svc.lb_ingress})
    for pod in cluster.pods:
        if pod.ip_origin == "ipam":
            owners.update({ip: f"{{IP {pod.key}}}" for ip in pod.ips})
    out: dict[str, str] = {}
    for ip, token in owners.items():
        out[ip] = token
        out[ip.replace(".", "-").replace(":", "-")] = token
        out[ipaddress.ip_address(ip).reverse_pointer] = token
    return out


def _canonical(text: str, tokens: Mapping[str, str]) -> str:
    """``text`` with every allocated address (a whole dot/dash-separated run) replaced; in a
    text of several words (SRV data), word by word."""
    if " " in text:
        return " ".join(_canonical_word(p, tokens) for p in text.split(" "))
    return _canonical_word(text, tokens)


def _canonical_word(text: str, tokens: Mapping[str, str]) -> str:
    hit = tokens.get(text)
    if hit is not None:
        return hit
    if text.endswith("."):
        hit = tokens.get(text.rstrip("."))
        if hit is not None:
            return hit + "."
    head, sep, rest = text.partition(".")
    if sep:  # 10-244-0-2.web.shop.svc.cluster.local.
        hit = tokens.get(head)
        if hit is not None:
            return hit + sep + rest
    return text


def diff_dns(old: Cluster, new: Cluster) -> dict[str, list[dict[str, Any]]]:
    """DNS records present in one zone and not the other. Records are compared with allocated
    addresses replaced by their owner, so that a ClusterIP or pod IP the resolver hands out
    differently (because an unrelated object was added) is not reported as a change."""

    def keyed(cluster: Cluster) -> dict[tuple[str, str, str], dict[str, str]]:
        tokens = allocated_addresses(cluster)
        return {
            (_canonical(r["name"], tokens), r["type"], _canonical(r["data"], tokens)): r
            for r in dns_records(cluster)
        }

    a, b = keyed(old), keyed(new)

    def order(r: dict[str, str]) -> tuple[str, str, str]:
        return (r["name"], r["type"], r["data"])

    return {
        "added": sorted((b[k] for k in b.keys() - a.keys()), key=order),
        "removed": sorted((a[k] for k in a.keys() - b.keys()), key=order),
    }


# --- the whole diff -------------------------------------------------------------------------


def diff_clusters(
    old: Cluster, new: Cluster, *, by: str = "pod", notes: list[str] | None = None
) -> dict[str, Any]:
    """Every layer's changes from OLD to NEW, as DESIGN.md's ``podpath diff`` JSON. A layer
    whose engine is unavailable stays empty and is named in ``notes``."""
    if by not in BY_CHOICES:
        raise ValueError(f"by must be one of {BY_CHOICES}")
    try:
        if by == "pod":
            connections = pod_connection_changes(old, new)
        else:
            connections = connection_changes(old, new, grouping(old, by), grouping(new, by))
    except EngineUnavailable as exc:
        connections = {"added": [], "removed": []}
        if notes is not None:
            notes.append(f"connections not compared: {exc}")
    return {
        "connections": connections,
        "services": diff_services(old, new, by),
        "routes": diff_routes(old, new),
        "dns": diff_dns(old, new),
    }


def added_exposure(diff: Mapping[str, Any]) -> list[str]:
    """What the diff newly exposes outside the cluster (for ``--fail-on added-exposure``):
    new or newly exposed Services, new routes, new connections from outside the cluster."""
    out = []
    for s in diff["services"]["added"]:
        out += [f"Service {s['service']}: {e}" for e in s["exposure"]]
    for s in diff["services"]["changed"]:
        out += [f"Service {s['service']}: {e}" for e in s["exposure"]]
    for r in diff["routes"]["added"]:
        out.append(f"route {r['route']}")
    for c in diff["connections"]["added"]:
        if _is_outside(c["from"]):
            out.append(f"connection {c['from']} -> {c['to']} {c['port']}")
    return out


def _is_outside(peer: str) -> bool:
    """``internet`` or an IP block: a source outside the cluster."""
    if peer == "internet":
        return True
    try:
        ipaddress.ip_network(peer, strict=False)
    except ValueError:
        return False
    return True


def has_changes(diff: Mapping[str, Any]) -> bool:
    return any(v for layer in diff.values() for v in layer.values())


def summary(diff: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Counts per layer and kind of change (for headers and PR comments)."""
    return {layer: {k: len(v) for k, v in parts.items()} for layer, parts in diff.items()}
