"""Benchmark doctor and report against ``podpath services`` on the same input.

    python bench/bench_doctor.py DIR [DIR ...] [--runs N] [--before SRC]

For each input (a folder of manifests, e.g. written by bench/realistic.py ``--pods N
--out DIR``) it runs, as a user would (``python -m podpath ... -f DIR -A``, a fresh process
each time): ``services``, ``doctor``, ``report`` and ``report --html``, RUNS times each,
interleaved so that every command sees the same load on a shared machine, and prints the
median wall clock, the ratio to ``services`` and the peak RSS (``/usr/bin/time``'s
maximum resident set size). ``--before SRC`` also runs doctor and report from another
source tree (e.g. ``git archive`` of an older commit's ``src``) for a before/after row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def run(src: Path, args: list[str]) -> tuple[float, int]:
    """One run: (seconds, peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", out.name, sys.executable, "-m", "podpath"]
        env = {**os.environ, "PYTHONPATH": str(src)}
        subprocess.run(cmd + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds, kb = out.read().split()[-2:]
    return float(seconds), int(kb) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, default=None)
    opts = parser.parse_args()
    for path in opts.inputs:
        html = Path(tempfile.mkdtemp()) / "report.html"
        commands: list[tuple[str, Path, list[str]]] = [
            ("services", SRC, ["services"]),
            ("doctor", SRC, ["doctor"]),
            ("report", SRC, ["report"]),
            ("report --html", SRC, ["report", "--html", str(html)]),
        ]
        if opts.before is not None:
            commands += [
                ("doctor (before)", opts.before, ["doctor"]),
                ("report (before)", opts.before, ["report"]),
            ]
        times: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        rss: dict[str, int] = {name: 0 for name, _, _ in commands}
        for _ in range(opts.runs):
            for name, src, args in commands:
                seconds, mb = run(src, [*args, "-f", str(path), "-A"])
                times[name].append(seconds)
                rss[name] = max(rss[name], mb)
        base = statistics.median(times["services"])
        print(f"\n{path} (median of {opts.runs})")
        print("| command | seconds | x services | peak RSS MB |")
        print("|---|---|---|---|")
        for name, _, _ in commands:
            med = statistics.median(times[name])
            print(f"| {name} | {med:.2f} | {med / base:.1f} | {rss[name]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
