"""Gather every analysis for ``podpath report -o FILE.html`` and write the page.

Each analysis runs if its engine is present; one that is missing or fails leaves its section
out and adds a note (the page degrades, it does not break).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from podpath.analyze.graph import build_graph, reachability_heatmap
from podpath.analyze.inventory import services_listing
from podpath.cluster import Cluster
from podpath.render.html_report import HEATMAP_MAX, ReportData, render_report_html


def _try(notes: list[str], what: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except ImportError:
        notes.append(f"{what}: not available in this build")
    except Exception as exc:  # a failing analysis must not take the page down
        notes.append(f"{what}: could not be computed ({type(exc).__name__}: {exc})")
    return None


def _routes(cluster: Cluster) -> list[dict[str, Any]]:
    module = importlib.import_module("podpath.analyze.routes")
    table = module.routing_table(cluster)
    rows = table.get("routes", table) if isinstance(table, dict) else table
    return [r if isinstance(r, dict) else dict(r.as_dict()) for r in rows]


def _findings(cluster: Cluster) -> list[dict[str, Any]]:
    from podpath.analyze.doctor import diagnose
    from podpath.render.findings import finding_data

    return [finding_data(f) for f in diagnose(cluster)]


def _heatmap(cluster: Cluster) -> dict[str, Any]:
    workloads = {p.workload_key for p in cluster.pods}
    by = "workload" if len(workloads) <= HEATMAP_MAX else "namespace"
    return reachability_heatmap(cluster, by=by)


def report_data(cluster: Cluster) -> ReportData:
    notes: list[str] = []
    counts = {
        "namespaces": len(cluster.namespaces),
        "nodes": len(cluster.nodes),
        "pods": len(cluster.pods),
        "services": len(cluster.services),
        "network policies": len(cluster.network_policies),
    }
    return ReportData(
        title="podpath report",
        counts=counts,
        services=services_listing(cluster)["services"],
        routes=_try(notes, "routing table", lambda: _routes(cluster)),
        heatmap=_try(notes, "reachability", lambda: _heatmap(cluster)),
        findings=_try(notes, "doctor", lambda: _findings(cluster)),
        graph=_try(notes, "graph", lambda: build_graph(cluster, by="workload")),
        notes=notes,
    )


def write_report_html(cluster: Cluster, path: str) -> None:
    """Write the one-page HTML report to ``path``."""
    text = render_report_html(report_data(cluster))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
