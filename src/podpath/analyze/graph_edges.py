"""Connectivity facts for the graph and the diff, asked of the engines. Pure: no I/O.

The policy engine decides who may connect to whom (with reasons); the routing engine decides
which Ingress / Gateway routes lead to which pods. This module only reshapes their answers
into blocks the graph and the diff fold.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from podpath.cluster import Cluster


@dataclass(frozen=True, slots=True)
class EdgeFacts:
    """Every source in ``sources`` may open a connection to every target in ``targets`` on
    ``port`` (``"80/TCP"``), allowed by ``reasons``. Sources and targets are pod keys,
    ``internet`` or a CIDR."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    port: str
    reasons: tuple[str, ...] = ()


def engine(module: str, attr: str) -> Callable[..., Any] | None:
    """A function of another layer's engine, or None when this build does not have it."""
    try:
        found: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None
    return found


def allowed_connections(cluster: Cluster) -> list[EdgeFacts]:
    """Allowed connections on the ports the destinations declare, from the policy matrix."""
    return []


def route_entry_points(cluster: Cluster) -> dict[str, list[str]]:
    """Per pod key, the Ingress / Gateway routes (``Ingress NS/NAME host/path``) leading to it."""
    return {}
