"""The one-page overview behind ``podpath report``: every layer summarised from its engine.

Sections (plain, JSON-ready data; the terminal and HTML renderers decide the layout):

- ``summary``: counts of namespaces, nodes, pods, Services, policies, routes and findings;
- ``namespaces``: per namespace its pods and Services, and how many of its pods are isolated
  for ingress/egress (:func:`podpath.engine.policy.is_isolated`);
- ``reachability``: per (source namespace, destination namespace) the pod pairs allowed on
  at least one port the destination declares, from the fast matrix
  (:func:`podpath.engine.matrix.reachability`);
- ``dns``: records per type in the cluster zone (:func:`podpath.engine.dns.zone_records`);
- ``routes``: the routing table (:func:`podpath.analyze.routes.routing_table`);
- ``findings``: the doctor's ranked findings (:func:`podpath.analyze.doctor.diagnose`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import numpy as np

from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.context import BaselineConfig
from podpath.analyze.provider_routes import load_balancer_rows
from podpath.analyze.routes import routing_table
from podpath.cluster import Cluster
from podpath.engine.dns import zone_records
from podpath.engine.matrix import reachability
from podpath.engine.policy_rules import is_isolated
from podpath.engine.providers.base import Choice
from podpath.model.policy import Direction

MAX_REACHABILITY_PODS = 5000  # the pod-level summary; `podpath matrix` handles more


def namespace_rows(cluster: Cluster) -> list[dict[str, Any]]:
    """Pods, Services and isolation counts per namespace."""
    rows = []
    for ns in cluster.namespaces:
        pods = [p for p in cluster.pods if p.namespace == ns.name]
        subjects = [p for p in pods if not p.host_network]
        rows.append(
            {
                "namespace": ns.name,
                "pods": len(pods),
                "services": sum(1 for s in cluster.services if s.namespace == ns.name),
                "network_policies": sum(
                    1 for p in cluster.network_policies if p.namespace == ns.name
                ),
                "ingress_isolated": sum(
                    1 for p in subjects if is_isolated(cluster, p, Direction.INGRESS)
                ),
                "egress_isolated": sum(
                    1 for p in subjects if is_isolated(cluster, p, Direction.EGRESS)
                ),
            }
        )
    return rows


def namespace_reachability(cluster: Cluster) -> list[dict[str, Any]]:
    """Allowed pod pairs between namespaces on ports the destination declares."""
    pods = cluster.pods
    if not pods or len(pods) > MAX_REACHABILITY_PODS:
        return []
    matrix = reachability(cluster)
    n = len(matrix.pods)
    allowed = np.zeros((n, n), dtype=bool)
    for port in matrix.ports:
        declares = np.array(
            [any((p.container_port, p.protocol) == port for p in pod.ports) for pod in matrix.pods]
        )
        allowed |= matrix.allowed(port) & declares[None, :]
    np.fill_diagonal(allowed, False)
    names = [p.namespace for p in matrix.pods]
    index: dict[str, list[int]] = {}
    for i, ns in enumerate(names):
        index.setdefault(ns, []).append(i)
    rows = []
    for src, si in sorted(index.items()):
        for dst, di in sorted(index.items()):
            block = allowed[np.ix_(si, di)]
            total = len(si) * len(di) - (len(si) if src == dst else 0)
            count = int(block.sum())
            if count:
                rows.append({"from": src, "to": dst, "allowed_pairs": count, "pairs": total})
    return rows


def overview(
    cluster: Cluster,
    *,
    baseline: BaselineConfig | None = None,
    now: datetime | None = None,
    provider: Choice | None = None,
) -> dict[str, Any]:
    """The report's data (module docstring); with a ``provider`` profile, also
    ``load_balancers``: each entry path's load balancer as the provider builds it."""
    findings = diagnose(cluster, baseline=baseline, now=now, provider=provider)
    routes = routing_table(cluster)
    records = Counter(r.type for r in zone_records(cluster))
    severities = Counter(f.severity.value for f in findings)
    return {
        "summary": {
            "namespaces": len(cluster.namespaces),
            "nodes": len(cluster.nodes),
            "pods": len(cluster.pods),
            "services": len(cluster.services),
            "network_policies": len(cluster.network_policies),
            "routes": len(routes["routes"]),
            "findings": dict(sorted(severities.items())),
        },
        "namespaces": namespace_rows(cluster),
        "reachability": namespace_reachability(cluster),
        "dns": dict(sorted(records.items())),
        "routes": routes,
        **({"load_balancers": load_balancer_rows(cluster, provider)} if provider else {}),
        "findings": findings,
    }
