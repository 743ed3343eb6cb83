"""Every command on the realistic shape (bench/realistic.py), as a new user runs them.

    python bench/bench_realistic.py [--sizes 1000,10000] [--repeats 3] [--write]

Each figure is a fresh ``python -m podpath ...`` process (its output to a file), timed wall
clock, with its peak RSS from ``os.wait4``; the median of ``--repeats`` runs (1 at 100k
pods). Every time is also given as a ratio to ``podpath services`` measured in the same run,
``load`` (load_cluster in a fresh process) as a ratio to a libyaml parse
(``yaml.load_all(..., CSafeLoader)``) of the same files in a fresh process. ``--write``
rewrites bench/RESULTS.md: this table first, the earlier content kept below it.
``--synthetic`` adds the old shape (bench/generate.py 10000 pods / 2000 policies) as a row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
MARKER = "<!-- earlier results below; bench_realistic.py keeps them -->"
BIG = 100_000
BIG_ONLY = ("matrix csv", "matrix json", "doctor", "report", "diff")  # what 100k runs
ONE_OFF = ("trace", "route", "dns NAME", "explain")

PARSE = (
    "import sys, pathlib, yaml\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
    "    list(yaml.load_all(p.read_bytes(), Loader=yaml.CSafeLoader))\n"
)
LOAD = "import sys\nfrom podpath.api import load_cluster\nload_cluster([sys.argv[1]])\n"

EXPECTATIONS = """expectations:
  - name: web reaches its api
    from: team-0000/role=web
    to: team-0000/role=api
    ports: [8080]
    expect: allowed
  - name: api reaches the database
    from: team-0000/role=api
    to: team-0000/app=postgres
    ports: [5432]
    expect: allowed
  - name: web does not reach the database
    from: team-0000/role=web
    to: team-0000/app=postgres
    ports: [5432]
    expect: denied
  - name: prometheus scrapes
    from: monitoring/app=prometheus
    to: team-0001/role=api
    ports: [9090]
    expect: allowed
"""


MEM_LIMIT = [6 << 30]  # bytes of address space a command may take (--mem-limit-gb)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT[0], MEM_LIMIT[0]))


def run(argv: list[str], out: Path, timeout: float) -> tuple[float, float, int, int]:
    """(seconds, peak RSS MB, output bytes, exit code) of one fresh process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="200")
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.DEVNULL, env=env, preexec_fn=_limit
        )
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                return float("inf"), 0.0, 0, -9
            time.sleep(0.01)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, out.stat().st_size, proc.returncode


def commands(d: Path, changed: Path, tmp: Path, pod: str) -> list[tuple[str, list[str]]]:
    py = sys.executable
    pp = [py, "-m", "podpath"]
    f = ["-f", str(d)]
    exp = tmp / "expect.yaml"
    exp.write_text(EXPECTATIONS, encoding="utf-8")
    rows = [
        ("libyaml parse", [py, "-c", PARSE, str(d)]),
        ("load", [py, "-c", LOAD, str(d)]),
        ("services", [*pp, "services", *f]),
        ("pods", [*pp, "pods", *f]),
        ("dns --list", [*pp, "dns", "--list", *f]),
        ("dns NAME", [*pp, "dns", "api-01.team-0000", *f]),
    ]
    for fmt in ("table", "wide", "json", "yaml", "csv", "md", "html"):
        rows.append((f"matrix {fmt}", [*pp, "matrix", "-o", fmt, *f]))
    rows += [
        ("matrix --by workload", [*pp, "matrix", "--by", "workload", *f]),
        ("explain", [*pp, "explain", pod, *f]),
        ("check", [*pp, "check", str(exp), *f]),
        ("trace", [*pp, "trace", "--from", pod, "--to", "svc:team-0000/api-01", *f]),
        ("route", [*pp, "route", "http://team-0000.example.com/", *f]),
        ("routes", [*pp, "routes", *f]),
        ("doctor", [*pp, "doctor", *f]),
        ("report", [*pp, "report", *f]),
        ("report -o html", [*pp, "report", "--html", str(tmp / "report.html"), *f]),
        ("graph", [*pp, "graph", *f]),
        ("diff", [*pp, "diff", str(d), str(changed)]),
    ]
    return rows


def first_pod(d: Path) -> str:
    """A web pod of team-0000 (the source of explain and trace)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    argv = [sys.executable, "-m", "podpath", "pods", "-n", "team-0000", "-o", "json", "-f", str(d)]
    out = json.loads(subprocess.run(argv, capture_output=True, env=env, check=True).stdout)
    names = sorted(p["pod"] for p in out["pods"])
    return next((n for n in names if "/web-" in n), names[0])


def bench_size(pods: int, repeats: int, timeout: float, only: set[str] | None) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import realistic

    with tempfile.TemporaryDirectory(prefix="outputs-bench-") as t:
        tmp = Path(t)
        d, changed = tmp / "c", tmp / "changed"
        realistic.write(realistic.cluster(pods), d)
        realistic.write(realistic.cluster(pods, changed=True), changed)
        pod = first_pod(d)
        rows: dict[str, dict[str, Any]] = {}
        for name, argv in commands(d, changed, tmp, pod):
            keep = name in ("libyaml parse", "load", "services")
            if only is not None and name not in only and not keep:
                continue
            if pods >= BIG and name not in BIG_ONLY and not keep:
                continue
            runs = [run(argv, tmp / "out", timeout) for _ in range(repeats)]
            secs = statistics.median(r[0] for r in runs)
            rows[name] = {
                "s": secs,
                "mb": max(r[1] for r in runs),
                "bytes": runs[-1][2],
                "rc": runs[-1][3],
            }
            print(
                f"{pods} {name}: {secs:.2f} s {rows[name]['mb']:.0f} MB rc={runs[-1][3]}",
                file=sys.stderr,
            )
        counts = {"pod": pod}
    return {"pods": pods, "rows": rows, **counts}


def target(pods: int, name: str, row: dict[str, Any], rows: dict[str, Any]) -> str:
    svc = rows["services"]["s"]
    if name == "libyaml parse":
        return ""
    if name == "load":
        ratio = row["s"] / rows["libyaml parse"]["s"]
        return f"<= 3x libyaml: {'met' if ratio <= 3 else 'not met'}"
    if pods >= BIG:
        ok = row["s"] <= 120 and row["mb"] <= 8192
        return f"<= 120 s, 8 GB: {'met' if ok else 'not met'}"
    limit = 1.5 if name in ONE_OFF else 4.0
    ok = row["s"] / svc <= limit and row["mb"] <= 1024
    return f"<= {limit:g}x, 1 GB: {'met' if ok else 'not met'}"


def table(result: dict[str, Any]) -> str:
    pods, rows = result["pods"], result["rows"]
    svc = rows["services"]["s"]
    lines = [
        f"### {pods:,} pods",
        "",
        "| command | s | x services | peak MB | output | exit | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        ratio = row["s"] / svc
        if name == "load":
            extra = f"{ratio:.2f} ({row['s'] / rows['libyaml parse']['s']:.2f}x libyaml)"
        else:
            extra = f"{ratio:.2f}"
        out = f"{row['bytes'] / 1e6:.1f} MB" if row["bytes"] >= 1e5 else f"{row['bytes']} B"
        rc = "timeout" if row["rc"] == -9 else str(row["rc"])
        lines.append(
            f"| `{name}` | {row['s']:.2f} | {extra} | {row['mb']:.0f} | {out} | {rc} "
            f"| {target(pods, name, row, rows)} |"
        )
    return "\n".join(lines)


def synthetic(repeats: int, timeout: float) -> str:
    """The old shape (bench/generate.py 10000 2000) as one row: services and matrix csv."""
    with tempfile.TemporaryDirectory(prefix="outputs-synth-") as t:
        path = Path(t) / "c.yaml"
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "10000", "2000", str(path)], check=True
        )
        pp = [sys.executable, "-m", "podpath"]
        svc = statistics.median(
            run([*pp, "services", "-f", str(path)], Path(t) / "o", timeout)[0]
            for _ in range(repeats)
        )
        got = [
            run([*pp, "matrix", "-o", "csv", "-f", str(path)], Path(t) / "o", timeout)
            for _ in range(repeats)
        ]
    m = statistics.median(g[0] for g in got)
    mb = max(g[1] for g in got)
    return (
        "| old synthetic shape (bench/generate.py 10000 2000) | `services` "
        f"{svc:.2f} s | `matrix -o csv` {m:.2f} s ({m / svc:.2f}x services), {mb:.0f} MB |"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--only", default="", help="comma-separated command names")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--mem-limit-gb", type=float, default=6.0)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--from-json", type=Path, help="render figures a --json run wrote")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    MEM_LIMIT[0] = int(args.mem_limit_gb * (1 << 30))
    if args.from_json:  # render figures measured before
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        if isinstance(saved, list):  # figures only
            saved = {"results": saved, "synthetic": ""}
        results, synth = saved["results"], saved["synthetic"]
    else:
        results = []
        for size in (int(s) for s in args.sizes.split(",")):
            repeats = 1 if size >= BIG else args.repeats
            results.append(bench_size(size, repeats, args.timeout, only))
        synth = synthetic(args.repeats, args.timeout) if args.synthetic else ""
    body = "\n\n".join(table(r) for r in results)
    if args.json:
        saved = {"results": results, "synthetic": synth}
        args.json.write_text(json.dumps(saved, indent=1), encoding="utf-8")
    text = render(body, synth, args.repeats)
    print(text)
    if args.write:
        old = RESULTS.read_text(encoding="utf-8")
        earlier = old.split(MARKER, 1)[1] if MARKER in old else "\n" + old
        RESULTS.write_text(text + "\n\n" + MARKER + earlier, encoding="utf-8")
    return 0


def render(body: str, synth: str, repeats: int) -> str:
    head = (
        "# Every command on the realistic shape\n\n"
        "`python bench/bench_realistic.py --write` — clusters from `bench/realistic.py` "
        "(team namespaces of apps with 1-4 containers and named ports, Deployments, "
        "StatefulSets, Jobs, host-network DaemonSets, Services of every type, Ingress and "
        "HTTPRoute, default-deny NetworkPolicies with allow rules, ipBlocks, "
        "AdminNetworkPolicy and BaselineAdminNetworkPolicy, ~100 pods a node). Each figure is "
        f"a fresh `python -m podpath` process, the median of {repeats} (1 at 100k pods), its "
        "peak RSS from `wait4`; `x services` is the ratio to `podpath services` in the same "
        f"run. Python {platform.python_version()}, 2 cores shared with other work.\n"
    )
    parts = [head, body]
    if synth:
        parts += ["", "| shape | services | matrix csv |", "|---|---|---|", synth]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.exit(main())
