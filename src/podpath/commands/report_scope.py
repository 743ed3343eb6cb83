"""What ``podpath report -n NS`` and ``-l SELECTOR`` keep of the overview.

As ``kubectl get -n``/``-l`` do, the scope filters what is shown, never what is evaluated: the
doctor, the matrix and the routes are computed on the whole cluster (a policy in another
namespace still decides a verdict), then each section keeps its rows about the scope:

- namespaces: those of ``-n`` (with ``-l``: those with a selected pod);
- Services, routes, load balancers: in those namespaces (``NS/NAME`` of the object); with
  ``-l``, Services with a selected endpoint and routes with a backend endpoint selected;
- reachability: the rows from or to a kept namespace;
- findings: as ``podpath doctor -n/-l`` keeps them (:func:`findings_in_scope`);
- summary: the counts of what is kept (nodes are cluster-wide and stay whole).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from podpath.cluster import Cluster
from podpath.commands.doctor import findings_in_scope
from podpath.commands.scope import Scope


def selected_pods(cluster: Cluster, scope: Scope) -> frozenset[str]:
    """The pod keys in scope (namespace of ``-n``, labels of ``-l``)."""
    return frozenset(p.key for p in cluster.pods if scope.keeps(p.namespace, p.labels))


def _service_pods(svc: dict[str, Any]) -> set[str]:
    return {*svc["ready_endpoints"], *svc["not_ready_endpoints"]}


def _route_pods(route: dict[str, Any]) -> set[str]:
    return {e for b in route["backends"] for e in b.get("endpoints") or ()}


def overview_in_scope(
    cluster: Cluster, data: dict[str, Any], services: dict[str, Any], scope: Scope
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(overview, services listing)`` restricted to ``scope`` (module docstring)."""
    if scope.is_everything:
        return data, services
    pods = selected_pods(cluster, scope)
    with_pods = {k.split("/", 1)[0] for k in pods}
    label = scope.selector is not None
    namespaces = [
        r
        for r in data["namespaces"]
        if scope.has_namespace(r["namespace"]) and (not label or r["namespace"] in with_pods)
    ]
    kept_ns = {r["namespace"] for r in namespaces}
    svcs = [
        s
        for s in services["services"]
        if scope.keeps_name(s["service"]) and (not label or _service_pods(s) & pods)
    ]
    routes = data["routes"]
    kept_routes = [
        r
        for r in routes["routes"]
        if scope.keeps_name(r["object"]) and (not label or _route_pods(r) & pods)
    ]
    route_objects = {r["object"] for r in kept_routes}
    statuses = [s for s in routes.get("route_status", []) if s["route"] in route_objects]
    reach = [r for r in data["reachability"] if r["from"] in kept_ns or r["to"] in kept_ns]
    findings = findings_in_scope(data["findings"], scope, cluster)
    services_kept = {s["service"] for s in svcs}
    out = {
        **data,
        "summary": {
            **data["summary"],
            "namespaces": len(namespaces),
            "pods": len(pods),
            "services": len(svcs),
            "network_policies": sum(r["network_policies"] for r in namespaces),
            "routes": len(kept_routes),
            "findings": dict(sorted(Counter(f.severity.value for f in findings).items())),
        },
        "namespaces": namespaces,
        "reachability": reach,
        "routes": {**routes, "routes": kept_routes, "route_status": statuses},
        "findings": findings,
    }
    if data.get("load_balancers") is not None:
        out["load_balancers"] = [r for r in data["load_balancers"] if r["service"] in services_kept]
    return out, {**services, "services": svcs}
