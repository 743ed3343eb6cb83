"""Timings of the commands that query the reachability engine (issue 11, item 2).

Usage: python bench/bench_engine.py SRC_DIR CLUSTER.yaml NEW.yaml EXPECT.yaml NODES [RUNS]

Runs each command RUNS times (default 3) with ``PYTHONPATH=SRC_DIR`` under
``/usr/bin/time -v``, prints the median wall time, the ratio to ``podpath services`` and the
largest peak RSS as a Markdown table row per command. Output goes to /dev/null (timings
include writing it to a pipe). A command still running after 900 s is stopped and shown as
``>900``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time

#: ``--by workload`` without writing its dense JSON (the folding itself).
FOLD = (
    "import sys, podpath.api as a, podpath.analyze.matrix as m;"
    "c = a.load_cluster([sys.argv[1]], node_count=int(sys.argv[3]));"
    "m.workload_json(m.compute_matrix(c))"
)


def run(src: str, args: list[str]) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": src}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [
                "/usr/bin/time",
                "-v",
                sys.executable,
                *(() if args[0] == "-c" else ("-m", "podpath")),
                *args,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        return float("inf"), 0
    wall = time.perf_counter() - start
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return wall, int(rss.group(1)) // 1024 if rss else 0


def main() -> None:
    src, cluster, new, expect, nodes = sys.argv[1:6]
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    only = sys.argv[7].split(",") if len(sys.argv) > 7 else None
    f = ["-f", cluster, "--nodes", nodes]
    commands = {
        "services": ["services", *f],
        "matrix csv": ["matrix", *f, "-o", "csv"],
        "matrix --by workload": ["matrix", *f, "--by", "workload", "-o", "json"],
        "workload folding (no output)": ["-c", FOLD, *f[1:]],
        "explain": ["explain", "shop-1/frontend", *f],
        "check": ["check", expect, *f],
        "diff": ["diff", cluster, new, "--nodes", nodes, "-o", "json"],
        "diff --by workload": ["diff", cluster, new, "--nodes", nodes, "--by", "workload"],
        "graph": ["graph", *f, "-o", "json"],
    }
    base = None
    print("| command | median s | x services | peak RSS MB |")
    print("|---|---|---|---|")
    for name, args in commands.items():
        if only and name not in only and name != "services":
            continue
        results = [run(src, args) for _ in range(runs)]
        wall = statistics.median(r[0] for r in results)
        rss = max(r[1] for r in results)
        if name == "services":
            base = wall
        ratio = f"{wall / base:.1f}" if base and wall != float("inf") else "-"
        shown = ">900" if wall == float("inf") else f"{wall:.1f}"
        print(f"| {name} | {shown} | {ratio} | {rss} |", flush=True)


if __name__ == "__main__":
    main()
