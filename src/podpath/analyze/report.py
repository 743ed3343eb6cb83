"""The one-page overview behind ``podpath report``: every layer summarised from its engine.

Sections (plain, JSON-ready data; the terminal and HTML renderers decide the layout):

- ``summary``: counts of namespaces, nodes, pods, Services, policies, routes and findings;
- ``namespaces``: per namespace its pods and Services, and how many of its pods are isolated
  for ingress/egress (:func:`podpath.engine.policy.is_isolated`);
- ``reachability``: per (source namespace, destination namespace) the pod pairs allowed on
  at least one port the destination declares, from the fast matrix's class relations
  (:mod:`podpath.analyze.report_reachability`);
- ``dns``: records per type in the cluster zone (:func:`podpath.engine.dns.zone_records`);
- ``routes``: the routing table (:func:`podpath.analyze.routes.routing_table`);
- ``findings``: the doctor's ranked findings (:func:`podpath.analyze.doctor.diagnose`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.context import EPOCH, BaselineConfig, DoctorContext
from podpath.analyze.provider_routes import load_balancer_rows
from podpath.analyze.report_reachability import namespace_reachability
from podpath.analyze.routes import routing_table
from podpath.cluster import Cluster
from podpath.engine.dns import zone_records
from podpath.engine.policy_rules import policy_selects_pod
from podpath.engine.providers.base import Choice
from podpath.model.core import Pod
from podpath.model.policy import Direction, NetworkPolicy


def namespace_rows(cluster: Cluster) -> list[dict[str, Any]]:
    """Pods, Services and isolation counts per namespace (isolated: some policy of its
    namespace selects the pod and lists the direction, :func:`is_isolated`; each namespace's
    policies looked up once)."""
    pods_of: dict[str, list[Pod]] = {}
    for p in cluster.pods:
        pods_of.setdefault(p.namespace, []).append(p)
    policies_of: dict[str, list[NetworkPolicy]] = {}
    for pol in cluster.network_policies:
        policies_of.setdefault(pol.namespace, []).append(pol)
    services = Counter(s.namespace for s in cluster.services)
    rows = []
    for ns in cluster.namespaces:
        pods = pods_of.get(ns.name, [])
        subjects = [p for p in pods if not p.host_network]
        local = policies_of.get(ns.name, [])
        rows.append(
            {
                "namespace": ns.name,
                "pods": len(pods),
                "services": services[ns.name],
                "network_policies": len(local),
                "ingress_isolated": _isolated(subjects, local, Direction.INGRESS),
                "egress_isolated": _isolated(subjects, local, Direction.EGRESS),
            }
        )
    return rows


def _isolated(pods: list[Pod], policies: list[NetworkPolicy], direction: Direction) -> int:
    chosen = [pol for pol in policies if direction in pol.policy_types]
    return sum(1 for p in pods if any(policy_selects_pod(x, p) for x in chosen))


def overview(
    cluster: Cluster,
    *,
    baseline: BaselineConfig | None = None,
    now: datetime | None = None,
    provider: Choice | None = None,
    context: DoctorContext | None = None,
) -> dict[str, Any]:
    """The report's data (module docstring); with a ``provider`` profile, also
    ``load_balancers``: each entry path's load balancer as the provider builds it. A caller
    that queries the same matrix afterwards (``report --html``'s graph) passes its
    ``context`` instead of the three."""
    ctx = context or DoctorContext(cluster, baseline or BaselineConfig(), now or EPOCH, provider)
    provider = ctx.provider
    findings = diagnose(cluster, context=ctx)
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
        "reachability": namespace_reachability(cluster, ctx.matrix),
        "dns": dict(sorted(records.items())),
        "routes": routes,
        **({"load_balancers": load_balancer_rows(cluster, provider)} if provider else {}),
        "findings": findings,
    }
