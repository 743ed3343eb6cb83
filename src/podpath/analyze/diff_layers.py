"""Adapters from the layer engines to the flat, comparable entries ``diff`` works on. Pure.

Each function asks the layer's engine (policy matrix, routing table, DNS zone) and turns its
answer into JSON-ready entries with a stable key. An engine that is not installed in this
build yields no entries for its layer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from podpath.cluster import Cluster


def _engine(module: str, attr: str) -> Callable[..., Any] | None:
    try:
        found: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None
    return found


def dns_records(cluster: Cluster) -> list[dict[str, str]]:
    """Every record of the cluster zone as ``{"name", "type", "data"}`` (from the DNS engine)."""
    zone_records = _engine("podpath.engine.dns", "zone_records")
    if zone_records is None:
        return []
    # the engine gives them sorted by (name, type, data) and de-duplicated
    return [{"name": r.name, "type": r.type, "data": r.data} for r in zone_records(cluster)]


def _backend_text(b: dict[str, Any]) -> str:
    if b.get("resource"):
        text = str(b["resource"])
    elif b.get("service"):
        text = f"{b['service']}:{b['port']}"
    else:
        text = f"status {b.get('status')}"
    if b.get("status") and b.get("service"):
        text += f" (status {b['status']})"
    return text + (f" weight {b['weight']}" if b.get("weight", 1) != 1 else "")


def route_entries(cluster: Cluster) -> list[dict[str, Any]]:
    """Every route of the routing engine's table as ``{"route", "entry_point", "host",
    "match", "object", "backend"}``; ``route`` (entry point, host, match, object) is the key
    and ``backend`` the weighted backends as text."""
    routing_table = _engine("podpath.analyze.routes", "routing_table")
    if routing_table is None:
        return []
    out = []
    for row in routing_table(cluster)["routes"]:
        key = f"{row['entry_point']} {row['host']}{row['match']} ({row['object']})"
        out.append(
            {
                "route": key,
                "entry_point": row["entry_point"],
                "host": row["host"],
                "match": row["match"],
                "object": row["object"],
                "backend": ", ".join(_backend_text(b) for b in row["backends"]) or "-",
            }
        )
    return out


def allowed_pairs(
    cluster: Cluster, group: Callable[[str], str]
) -> dict[tuple[str, str, str], set[str]]:
    """Every allowed (from, to, port), endpoints named by ``group``, with the policies that
    allow ONE allowed pod pair of it (from
    :func:`podpath.analyze.graph_edges.allowed_edges`; a pod to itself is not a connection
    the diff reports)."""
    from podpath.analyze.graph_edges import allowed_edges

    return {k: set(why) for k, why in allowed_edges(cluster, group).items()}


def connection_changes(
    old: Cluster,
    new: Cluster,
    group_old: Callable[[str], str],
    group_new: Callable[[str], str],
) -> dict[str, list[dict[str, Any]]]:
    """Allowed (from, to, port) added and removed; ``because`` is what allows an added
    connection in NEW, or allowed a removed one in OLD (the engine's policies, for one pod
    pair of the connection; only the connections that changed are explained)."""
    from podpath.analyze.graph_edges import lazy_edges

    a, why_old = lazy_edges(old, group_old)
    b, why_new = lazy_edges(new, group_new)

    def entry(k: tuple[str, str, str], why: tuple[str, ...]) -> dict[str, Any]:
        return {"from": k[0], "to": k[1], "port": k[2], "because": sorted(set(why))}

    return {
        "added": [entry(k, why_new(k)) for k in sorted(b - a)],
        "removed": [entry(k, why_old(k)) for k in sorted(a - b)],
    }


def pod_connection_changes(old: Cluster, new: Cluster) -> dict[str, list[dict[str, Any]]]:
    """:func:`connection_changes` with pods named by key, found at class level
    (:func:`podpath.analyze.diff_pairs.pod_changes`): only the pairs a change can reach are
    compared, and only the changed ones explained."""
    from podpath.analyze.diff_pairs import pod_changes

    added, removed, why_old, why_new = pod_changes(old, new)

    def entry(k: tuple[str, str, str], why: tuple[str, ...]) -> dict[str, Any]:
        return {"from": k[0], "to": k[1], "port": k[2], "because": sorted(set(why))}

    return {
        "added": [entry(k, why_new(k)) for k in sorted(added)],
        "removed": [entry(k, why_old(k)) for k in sorted(removed)],
    }
