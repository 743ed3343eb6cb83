"""Benchmark `podpath migrate` on examples/ingress-nginx-migration (before/ vs converted.yaml).

python bench/bench_migrate.py [REPEAT] [HOSTS...]   # prints timings (see RESULTS_migrate.md)

HOSTS (default 0 50 200): the example plus that many more hosts, one Ingress each with three
Prefix paths in the same ingress-nginx class; NEW is what ``podpath convert`` makes of it
(``--gateway gateway-system/public --gateway-class eg``, as in the example's README), written
to a temporary folder.

Times, best of REPEAT (default 5), in CPU seconds of this process (``time.process_time``: a
loaded machine stretches wall time, not CPU time) and wall seconds:

- load: both sides loaded, NEW completed from OLD, as the command does (``load_sides``);
- migrate: the request corpus answered by both sides and compared
  (:func:`podpath.analyze.migrate.migrate`), and the routing calls it makes;
- build_server: how many times the ingress-nginx server table is built during one migrate,
  and the CPU time spent building it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import podpath.engine.ingress_nginx as nginx
import podpath.engine.ingress_nginx_route as nginx_route
from podpath.analyze.convert import convert_ingresses
from podpath.analyze.migrate import migrate
from podpath.api import load_cluster
from podpath.commands.convert import to_yaml
from podpath.commands.migrate import load_sides

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ingress-nginx-migration"
OPTS: dict[str, Any] = {
    "nodes": None,
    "verbose": False,
    "strict": False,
    "pod_cidr": None,
    "service_cidr": None,
    "cluster_domain": None,
}


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, float, Any]:
    """The lowest CPU and wall time of ``repeat`` runs, and the last result."""
    cpu, wall, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = run()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return cpu, wall, result


def count_builds(run: Callable[[], Any]) -> tuple[int, float]:
    """How many times ``build_server`` runs during ``run`` (wrapped where the engine calls
    it), and the CPU seconds spent in it."""
    calls, spent = 0, 0.0
    original = nginx.build_server

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls, spent
        calls += 1
        c0 = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent += time.process_time() - c0

    targets = [m for m in (nginx, nginx_route) if getattr(m, "build_server", None) is original]
    for module in targets:
        module.build_server = counting  # type: ignore[attr-defined]
    try:
        run()
    finally:
        for module in targets:
            module.build_server = original  # type: ignore[attr-defined]
    return calls, spent


def more_hosts(count: int) -> list[dict[str, Any]]:
    """``count`` Ingresses of class nginx in ``shop``, host ``hN.example.com``, three paths."""
    paths = [
        {
            "path": p,
            "pathType": "Prefix",
            "backend": {"service": {"name": svc, "port": {"number": 80}}},
        }
        for p, svc in (("/", "web"), ("/api", "api"), ("/static", "web"))
    ]
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": f"team-{i}", "namespace": "shop"},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"host": f"h{i}.example.com", "http": {"paths": paths}}],
            },
        }
        for i in range(count)
    ]


def sides(folder: Path, hosts: int) -> tuple[str, str]:
    """OLD (the example's before/, plus ``hosts`` more) and NEW (its conversion) in ``folder``."""
    if hosts == 0:
        return str(EXAMPLE / "before"), str(EXAMPLE / "converted.yaml")
    old = folder / "before"
    shutil.copytree(EXAMPLE / "before", old)
    (old / "more.yaml").write_text(yaml.safe_dump_all(more_hosts(hosts)))
    conversion = convert_ingresses(
        load_cluster([str(old)]), gateway="gateway-system/public", gateway_class="eg"
    )
    new = folder / "converted.yaml"
    new.write_text(to_yaml(conversion.objects))
    return str(old), str(new)


def bench(repeat: int, hosts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        before, converted = sides(Path(tmp), hosts)
        cpu, wall, loaded = best(repeat, lambda: load_sides(before, converted, OPTS))
    old, new, taken, _ = loaded
    print(f"{hosts} more hosts: load OLD + NEW   cpu {cpu:.3f} s   wall {wall:.3f} s")
    cpu, wall, data = best(repeat, lambda: migrate(old, new, tuple(taken)))
    print(
        f"{hosts} more hosts: migrate          cpu {cpu:.3f} s   wall {wall:.3f} s   "
        f"({data['checked']} requests x 2 sides, {len(data['differences'])} differ)"
    )
    builds, spent = count_builds(lambda: migrate(old, new, tuple(taken)))
    print(f"{hosts} more hosts: build_server     {builds} calls, cpu {spent:.3f} s in them")


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    for hosts in [int(a) for a in sys.argv[2:]] or [0, 50, 200]:
        bench(repeat, hosts)


if __name__ == "__main__":
    main()
