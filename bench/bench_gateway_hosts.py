"""Benchmark Gateway routing by host: one Gateway, N HTTPRoutes each with its own hostname.

python bench/bench_gateway_hosts.py [N...]   # default 200 2000 10000 (see RESULTS_gateway_hosts.md)

For each N, 200 requests spread over the hosts are routed with one routing context
(``route_request(..., context=ctx)``, as ``migrate`` and ``probe`` do); printed: CPU
milliseconds per request (``time.process_time``), and the time to build the context.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gateway_v15_helpers import INFRA, gateway, http_route, lis, parent, prefix  # noqa: E402
from podpath.engine.routing import route_request  # noqa: E402
from podpath.engine.routing_context import routing_context  # noqa: E402
from routing_helpers import NOW, app, cluster_of  # noqa: E402


def run(n: int) -> None:
    objs: list[dict[str, Any]] = [*app(INFRA, "infra-backend-v1"), gateway("gw", [lis("http")])]
    for i in range(n):
        route = http_route(f"r{i}", [parent("gw")], [prefix("/", "infra-backend-v1")])
        route["spec"]["hostnames"] = [f"h{i}.example.com"]
        objs.append(route)
    cluster = cluster_of(*objs)
    start = time.process_time()
    ctx = routing_context(cluster)
    built = time.process_time() - start
    hosts = range(0, n, max(1, n // 200))
    start = time.process_time()
    for i in hosts:
        (answer,) = route_request(cluster, f"http://h{i}.example.com/x", now=NOW, context=ctx)
        assert answer.status == 200
    per = (time.process_time() - start) / len(hosts) * 1000
    print(f"{n:>6} routes: {per:.3f} ms/request, context {built:.2f} s")


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["200", "2000", "10000"]:
        run(int(arg))
