"""Data-plane benchmark with a provider profile: ``up``/``probe``/``down`` on
examples/providers/eks (median of 5 runs each), with the profile (podpath.yaml: eks) and
without (``--provider none``: the generic model).

Run as root on Linux: ``python bench/bench_dataplane_provider.py [--src DIR] [--generic-only]``;
``--src`` runs another tree's podpath (e.g. main's ``src``, which has no ``--provider`` on
``up``: then only the generic row). Results go to stdout (markdown). Use your own
``PODPATH_PREFIX``/``PODPATH_STATE_DIR``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "providers" / "eks"
RUNS = 5


def _run(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "podpath", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"podpath {' '.join(args)}: {done.stderr.strip()}")
    return time.perf_counter() - start, done.stdout


def _row(env: dict[str, str], label: str, extra: tuple[str, ...]) -> str:
    ups, probes, downs, checked, disagree = [], [], [], 0, 0
    for _ in range(RUNS):
        up_s, _ = _run(env, "up", "-f", str(EXAMPLE), *extra)
        probe_s, out = _run(env, "probe", "--format", "json")
        down_s, _ = _run(env, "down")
        result = json.loads(out)
        ups.append(up_s)
        probes.append(probe_s)
        downs.append(down_s)
        checked, disagree = result["checked"], max(disagree, len(result["disagreements"]))
    med = statistics.median
    return (
        f"| {label} | {med(ups):.2f} | {med(probes):.2f} | {med(downs):.2f} | {checked} | "
        f"{disagree} |"
    )


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench_dataplane_provider: needs root")
    env = dict(os.environ)
    if "--src" in sys.argv:
        env["PYTHONPATH"] = sys.argv[sys.argv.index("--src") + 1]
    print("| run | up (s) | probe (s) | down (s) | checks | disagreements (worst) |")
    print("|---|---|---|---|---|---|")
    if "--generic-only" in sys.argv:
        print(_row(env, "generic", ()))
        return
    print(_row(env, "--provider none", ("--provider", "none")))
    print(_row(env, "eks (podpath.yaml)", ()))


if __name__ == "__main__":
    main()
