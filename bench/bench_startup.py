"""Benchmark start-up: how long ``podpath --version``, ``--help`` and a small command take,
whole process, as a shell (or a pre-commit hook, or shell completion) runs them.

    python bench/bench_startup.py [RUNS] [--write]

Each command is started RUNS times (default 20) after two warm-up runs, as
``python -m podpath ARGS`` (what the ``podpath`` script runs); wall clock around the child,
CPU time (user + system) from the kernel's accounting of the reaped child (``os.wait4``). The
interpreter alone (``python -c pass``, with this environment's site packages) is measured the
same way, as the floor. Medians are reported, with the minimum and maximum as the spread.
``--write`` rewrites bench/RESULTS_startup.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 20
WARMUP = 2
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass (the interpreter alone)", ["-c", "pass"]),
    ("podpath --version", ["-m", "podpath", "--version"]),
    ("podpath --help", ["-m", "podpath", "--help"]),
    ("podpath services -f examples/shop", ["-m", "podpath", "services", "-f", "examples/shop"]),
    ("podpath pods --help", ["-m", "podpath", "pods", "--help"]),
]
TARGETS = {
    "podpath --version": 0.15,
    "podpath --help": 0.15,
    "podpath services -f examples/shop": 0.4,
}


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``python ARGS``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"python {' '.join(args)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(args: list[str], runs: int) -> dict[str, float]:
    for _ in range(WARMUP):
        run_once(args)
    walls, cpus = zip(*(run_once(args) for _ in range(runs)), strict=True)
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(cpus),
    }


def imports_numpy(args: list[str]) -> bool:
    """Whether running ``python ARGS`` imports numpy (from ``-X importtime``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return any(line.split("|")[-1].strip() == "numpy" for line in out.stderr.splitlines())


def report(results: dict[str, dict[str, float]], runs: int, numpy: dict[str, bool]) -> str:
    load = os.getloadavg()[0]
    lines = [
        "# Start-up benchmark",
        "",
        f"`python bench/bench_startup.py {runs} --write` — each command started {runs} times",
        f"after {WARMUP} warm-up runs, whole process (`python -m podpath ...`, as the `podpath`",
        f"script runs it). Python {platform.python_version()} on {platform.machine()},",
        f"{os.cpu_count()} cores, load average {load:.1f} when measured (the machine is shared:",
        "wall-clock figures move with the load; CPU time is the steadier figure).",
        "",
        "| command | median wall | min .. max | median CPU | target | numpy imported |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        target = TARGETS.get(name)
        lines.append(
            f"| `{name}` | {r['median']:.3f} s | {r['min']:.3f} .. {r['max']:.3f} s "
            f"| {r['cpu']:.3f} s | {f'< {target} s' if target else '-'} "
            f"| {'yes' if numpy.get(name) else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    runs = int(next((a for a in argv if a.isdigit()), RUNS))
    results = {name: measure(args, runs) for name, args in COMMANDS}
    numpy = {name: imports_numpy(args) for name, args in COMMANDS}
    text = report(results, runs, numpy)
    sys.stdout.write(text)
    if "--write" in argv:
        (ROOT / "bench" / "RESULTS_startup.md").write_text(text + NOTES)


NOTES = """
## What makes it fast

- `import podpath` loads nothing heavy: the public API (`load_cluster`, `Cluster`, ...) is
  imported on first use (a module `__getattr__`, PEP 562). tests/test_cli_help.py checks in a
  subprocess that neither `import podpath` nor `podpath --help` imports numpy or the parser.
- The commands are imported only when run: `podpath --help` lists them from static
  one-sentence summaries (`podpath.commands.help.SUMMARIES`) instead of importing each
  command to read its docstring, which imported numpy, YAML and the model.
- Small manifests (under 1 MiB) skip numpy in the loader (`sources/yaml_safety.py`'s nesting
  bound, computed in pure Python with the same result; `json_stream`'s and `yaml_values`'
  numpy imports moved into the functions that need them), and tables are drawn without
  importing rich's console.
- TLS Secrets keep their `tls.crt` PEM and parse it with `cryptography` when a TLS check first
  asks (`Secret.certificate`, cached per chain), not at load time: `services`, `pods`, `trace`
  and the other commands that never look at a certificate no longer import `cryptography`
  (about 0.04 s of CPU, a fifth of `services -f examples/shop`).
- `podpath --version` is answered before click is imported (`podpath/__main__.py`), from
  `podpath.__version__` (also the package's version, `[tool.setuptools.dynamic]`), without
  `importlib.metadata`.

The floor is the interpreter itself: in this environment `python -c pass` already runs the
site packages' `.pth` hooks (coverage, a CA bundle), which a user's installation need not.
"""


if __name__ == "__main__":
    main(sys.argv[1:])
