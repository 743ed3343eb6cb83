"""Benchmark the HTML pages: how big they are and how fast they load in headless Chromium.

    python bench/bench_html.py INPUT [--runs N] [--graph-only] [--write]

INPUT is manifests (a file or a folder), or a pod count: then the cluster is generated with
bench/realistic.py (the realistic shape) when it is there, else bench/generate.py. For each
page (``graph --format html`` and ``report`` as HTML) it times the analysis and the
rendering, writes the page, and opens it RUNS times (median) in one warm headless Chromium
(tests/browser.py, over the DevTools pipe): the wall clock from navigation to
``body[data-ready]`` (everything drawn, the graph laid out) and the page's own figure
(``data-ready-ms``, from navigation start), and the main thread's work to get there
(Chromium's ``TaskDuration``, CPU time: the steady figure on a shared machine). The first,
cold open is reported too.
``--graph-only`` skips the report (its doctor dominates at scale until the engine is fast).
``--write`` adds the rows to bench/RESULTS_html.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from browser import Browser  # noqa: E402  (the tests' Chromium harness)
from podpath.analyze.graph import build_graph  # noqa: E402
from podpath.analyze.inventory import services_listing  # noqa: E402
from podpath.analyze.report import overview  # noqa: E402
from podpath.api import load_cluster  # noqa: E402
from podpath.commands.report_html import report_data  # noqa: E402
from podpath.render.html import render_graph_html  # noqa: E402
from podpath.render.html_report import render_report_html  # noqa: E402

RESULTS = HERE / "RESULTS_html.md"


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = step()
    return time.perf_counter() - start, value


def generated(pods: int, out: Path) -> Path:
    """A generated cluster of about ``pods`` pods: the realistic shape when available."""
    realistic = HERE / "realistic.py"
    if realistic.is_file():
        subprocess.run([sys.executable, str(realistic), str(pods), str(out)], check=True)
        return out / "old.yaml"
    path = out / "cluster.yaml"
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(pods), str(pods // 4), str(path)],
        check=True,
    )
    return path


def page_rows(cluster: Any, source: Path, tmp: Path, graph_only: bool) -> list[dict[str, Any]]:
    """Build each page; its analysis and rendering times and its size."""
    rows = []
    t_graph, graph = timed(lambda: build_graph(cluster, by="workload"))
    t_render, text = timed(lambda: render_graph_html(graph))
    path = tmp / "graph.html"
    path.write_text(text, encoding="utf-8")
    rows.append(
        {
            "page": "graph --format html",
            "analysis": t_graph,
            "render": t_render,
            "bytes": len(text.encode()),
            "path": path,
            "what": f"{len(graph.nodes)} nodes, {len(graph.edges)} edges",
        }
    )
    if graph_only:
        return rows
    from podpath.commands.doctor import find_config, read_config

    config = read_config(find_config(None, (str(source),)), ())  # podpath.yaml, as report
    t_over, data = timed(lambda: overview(cluster, baseline=config, now=datetime.now(UTC)))
    t_services, services = timed(lambda: services_listing(cluster))
    t_page, page = timed(lambda: report_data(cluster, data, services))
    t_render, text = timed(lambda: render_report_html(page))
    path = tmp / "report.html"
    path.write_text(text, encoding="utf-8")
    rows.append(
        {
            "page": "report (HTML)",
            "analysis": t_over + t_services + t_page,
            "render": t_render,
            "bytes": len(text.encode()),
            "path": path,
            "what": f"{len(data['findings'])} findings, {len(services['services'])} services",
        }
    )
    return rows


def browser_times(rows: list[dict[str, Any]], runs: int) -> None:
    """Open each page: the cold first open, then the median of ``runs`` warm ones."""
    with Browser(timeout=300) as browser:
        for row in rows:
            first = browser.open(row["path"])
            walls, readies, tasks = [], [], []
            for _ in range(runs):
                walls.append(browser.open(row["path"]))
                readies.append(float(browser.evaluate("document.body.dataset.readyMs")))
                tasks.append(browser.metrics()["TaskDuration"])
            errors = browser.evaluate("document.getElementById('podpath-errors').textContent")
            if errors:
                raise SystemExit(f"{row['page']}: the page reports errors: {errors[:500]}")
            row.update(
                cold=first,
                wall=statistics.median(walls),
                ready=statistics.median(readies),
                task=statistics.median(tasks),
            )


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        "| page | content | analysis | render | size | first open | open (median) | "
        "page's own `data-ready-ms` | main-thread work |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['page']} | {r['what']} | {r['analysis']:.1f} s | {r['render']:.2f} s "
            f"| {r['bytes'] / 1e6:.1f} MB | {r['cold']:.2f} s | {r['wall']:.2f} s "
            f"| {r['ready'] / 1000:.2f} s | {r['task']:.2f} s |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    write, graph_only = "--write" in argv, "--graph-only" in argv
    at = argv.index("--runs") if "--runs" in argv else -1
    runs = int(argv[at + 1]) if at >= 0 else 5
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and (at < 0 or i != at + 1)]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="podpath-bench-html-") as tmp_name:
        tmp = Path(tmp_name)
        source = Path(args[0]) if not args[0].isdigit() else generated(int(args[0]), tmp)
        t_load, cluster = timed(lambda: load_cluster([str(source)]))
        rows = page_rows(cluster, source, tmp, graph_only)
        browser_times(rows, runs)
    load = os.getloadavg()[0]
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True)
    summary = (
        f"`python bench/bench_html.py {' '.join(argv)}`: {len(cluster.pods)} pods, "
        f"{len(cluster.namespaces)} namespaces, {len(cluster.services)} Services "
        f"(loaded in {t_load:.1f} s); Python {platform.python_version()}, "
        f"{version.stdout.strip()}"
        f", window 1400x900; load average {load:.1f} on {os.cpu_count()} cores during the run."
    )
    print(summary)
    print(table(rows))
    if write:
        old = RESULTS.read_text() if RESULTS.is_file() else "# HTML pages benchmark\n"
        RESULTS.write_text(old.rstrip("\n") + "\n\n" + summary + "\n\n" + table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
