"""Write ``podpath report --html FILE.html``: the terminal report's analysis, drawn as a page.

The command computes :func:`podpath.analyze.report.overview` once (with the doctor's
``podpath.yaml`` baseline, as in the terminal) and hands the same dict to both renderers; this
module adds only the graph. If the graph fails, its section is left out and a note says why
(the page degrades, it does not break).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from podpath.analyze.graph import Graph, build_graph, graph_around
from podpath.cluster import Cluster
from podpath.engine.matrix import Matrix
from podpath.render.findings import finding_data
from podpath.render.html_report import ReportData, render_report_html


@dataclass(frozen=True)
class Shared:
    """What the overview already computed of the whole cluster and the graph reuses: the
    reachability matrix (the doctor context's) and the routing table (before scoping)."""

    matrix: Matrix | None = None
    routes: dict[str, Any] | None = None


def _graph(
    cluster: Cluster, notes: list[str], pods: frozenset[str] | None, shared: Shared
) -> Graph | None:
    try:
        graph = build_graph(cluster, by="workload", matrix=shared.matrix, routes=shared.routes)
        if pods is not None:  # -n/-l: the scope's nodes, their edges and their peers
            graph = graph_around(graph, pods)
    except Exception as exc:  # a failing analysis must not take the page down
        notes.append(f"graph: could not be computed ({type(exc).__name__}: {exc})")
        return None
    notes.extend(f"graph: {n}" for n in graph.notes)
    return graph


def report_data(
    cluster: Cluster,
    overview: dict[str, Any],
    services: dict[str, Any],
    pods: frozenset[str] | None = None,
    shared: Shared | None = None,
) -> ReportData:
    """The page's data: ``overview`` as the terminal gets it (findings as JSON-ready dicts,
    with their file:line), the services listing and the graph (around ``pods``, if given;
    over what the overview already computed, ``shared``)."""
    notes: list[str] = []
    page = {**overview, "findings": [finding_data(f) for f in overview["findings"]]}
    return ReportData(
        title="podpath report",
        overview=page,
        services=services["services"],
        graph=_graph(cluster, notes, pods, shared or Shared()),
        notes=notes,
    )


def write_report_html(
    cluster: Cluster,
    overview: dict[str, Any],
    services: dict[str, Any],
    path: str,
    *,
    pods: frozenset[str] | None = None,
    shared: Shared | None = None,
) -> None:
    """Write the one-page HTML report to ``path`` (its graph around ``pods``, if given;
    over ``shared``, what the overview computed, so that it is computed once)."""
    text = render_report_html(report_data(cluster, overview, services, pods, shared))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
