"""Data-plane benchmark: time to bring up 100 and 300 pods, and the probe rate.

Run as root on Linux: ``python bench/bench_dataplane.py``; results go to stdout (markdown).
``PODPATH_PREFIX``/``PODPATH_STATE_DIR`` keep it apart from another environment on the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from podpath.dataplane.generate import random_cluster


def _run(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "podpath.cli", *args], capture_output=True, text=True, check=False
    )
    return time.perf_counter() - start, done.stdout


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench_dataplane: needs root")
    cols = ("pods", "policies", "up (s)", "checks", "probe (s)", "connections/s", "retried")
    print("| " + " | ".join(cols) + " | disagreements |")
    print("|---|---|---|---|---|---|---|---|")
    for pods, policies in ((100, 20), (300, 40)):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cluster.yaml"
            docs = random_cluster(7, pods=pods, services=pods // 10, policies=policies)
            path.write_text(yaml.safe_dump_all(docs))
            try:
                up_s, _ = _run("up", "-f", str(path), "--nodes", str(max(3, pods // 100)))
                probe_s, out = _run(
                    "probe", "--format", "json", "--timeout", "0.5", "--concurrency", "1024"
                )
                result = json.loads(out)
            finally:
                _run("down")
        rate = result["checked"] / probe_s
        print(
            f"| {pods} | {policies} | {up_s:.1f} | {result['checked']} | {probe_s:.1f} | "
            f"{rate:.0f} | {result.get('retried', 0)} | {len(result['disagreements'])} |"
        )


if __name__ == "__main__":
    main()
