"""Benchmark loading: parse + normalize + resolve of generated manifests (10,000 objects).

    python bench/bench_load.py [OBJECTS] [--write]

The manifests are what a large repository holds, written the way teams write them: per
namespace, Deployments (3 replicas each, so pods are generated), a Service per Deployment
(named targetPort), a NetworkPolicy per Deployment, a few Pods with status (as a snapshot
holds them), and a StatefulSet with its headless Service. Each step is timed three times; the
median is reported. ``--write`` rewrites bench/RESULTS_load.md with the figures.
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from podpath.cluster import resolve
from podpath.normalize import normalize
from podpath.sources.manifests import load_paths

RUNS = 3
NODES = 50
PER_NAMESPACE = 100  # objects per namespace (see _namespace_docs)


def _deployment(ns: str, app: str, i: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": ns, "labels": {"app": app}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app, "tier": f"t{i % 4}"}},
                "spec": {
                    "containers": [
                        {
                            "name": app,
                            "image": f"registry.example.com/{app}:1.0.{i}",
                            "ports": [
                                {"name": "http", "containerPort": 8080},
                                {"name": "metrics", "containerPort": 9102},
                            ],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                        }
                    ]
                },
            },
        },
    }


def _service(ns: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": app, "namespace": ns},
        "spec": {
            "selector": {"app": app},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }


def _policy(ns: str, app: str, peer: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"allow-{peer}-to-{app}", "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": {"app": app}},
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"app": peer}}}],
                    "ports": [{"protocol": "TCP", "port": "http"}],
                }
            ],
        },
    }


def _pod(ns: str, name: str, n: int, k: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": "snapshot"}},
        "spec": {
            "nodeName": f"node-{k % NODES}",
            "containers": [{"name": "c", "ports": [{"containerPort": 8080}]}],
        },
        "status": {
            "phase": "Running",
            "podIP": f"10.250.{n % 250}.{k + 2}",  # outside the nodes' CIDRs: kept as given
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def _namespace_docs(n: int) -> list[dict[str, Any]]:
    """100 objects: a Namespace, 30 Deployments, 30 Services, 30 NetworkPolicies, 5 Pods,
    a default-deny policy, a StatefulSet and its headless Service, and a ConfigMap."""
    ns = f"team-{n:03d}"
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"t": ns}}}
    ]
    for i in range(30):
        app = f"app-{i:02d}"
        docs += [_deployment(ns, app, i), _service(ns, app)]
        docs.append(_policy(ns, app, f"app-{(i + 1) % 30:02d}"))
    docs += [_pod(ns, f"snapshot-{k}", n, k) for k in range(5)]
    docs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        }
    )
    sts = _deployment(ns, "db", 0)
    sts["kind"] = "StatefulSet"
    sts["spec"]["serviceName"] = "db"
    headless = _service(ns, "db")
    headless["spec"]["clusterIP"] = "None"
    docs += [sts, headless]
    docs.append(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": ns}}
    )
    assert len(docs) == PER_NAMESPACE
    return docs


def generate(objects: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": f"node-{k}"},
            "spec": {"podCIDR": f"10.244.{k}.0/24"},
            "status": {"addresses": [{"type": "InternalIP", "address": f"172.20.0.{k + 2}"}]},
        }
        for k in range(NODES)
    ]
    n = 0
    while len(docs) < objects:
        docs += _namespace_docs(n)
        n += 1
    return docs[:objects]


def median_time(step: Callable[[], Any]) -> tuple[tuple[float, float], Any]:
    """(median wall-clock seconds, median CPU seconds of this process) and the result."""
    wall, cpu, result = [], [], None
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return (statistics.median(wall), statistics.median(cpu)), result


def main(argv: list[str]) -> int:
    write = "--write" in argv
    args = [a for a in argv if a != "--write"]
    objects = int(args[0]) if args else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifests.yaml"
        path.write_text(yaml.safe_dump_all(generate(objects), sort_keys=False))
        size = path.stat().st_size
        t_total, _ = median_time(lambda: resolve(normalize(load_paths([str(path)]))))
        t_parse, docs = median_time(lambda: load_paths([str(path)]))
        t_norm, inventory = median_time(lambda: normalize(docs))
        t_resolve, cluster = median_time(lambda: resolve(inventory))
    rows = [
        ("parse (YAML -> raw documents)", t_parse),
        ("normalize (workloads -> pods, defaults)", t_norm),
        ("resolve (IPAM, ClusterIPs, endpoints)", t_resolve),
        ("total, end to end", t_total),
    ]
    endpoints = sum(len(pe.endpoints) for pes in cluster.endpoints.values() for pe in pes)
    summary = (
        f"{len(docs):,} objects ({size / 1e6:.1f} MB of YAML) -> {len(cluster.pods):,} pods, "
        f"{len(cluster.services):,} Services, {len(cluster.network_policies):,} "
        f"NetworkPolicies, {endpoints:,} endpoints"
    )
    print(summary)
    for label, (wall, cpu) in rows:
        print(f"  {label:45s} {wall:6.2f} s wall {cpu:6.2f} s CPU")
    if write:
        _write_results(summary, rows, objects)
    return 0


def _write_results(summary: str, rows: list[tuple[str, tuple[float, float]]], objects: int) -> None:
    table = "\n".join(f"| {label} | {wall:.2f} s | {cpu:.2f} s |" for label, (wall, cpu) in rows)
    text = f"""# Loading benchmark

`python bench/bench_load.py {objects} --write` — generated manifests, {summary}.
Median of {RUNS} runs; Python {platform.python_version()} on {platform.machine()}, one process
(libyaml's C loader). The end-to-end figure is measured first, on its own. The machine is
shared with other work (2 cores), so wall-clock figures vary between runs; the process's CPU
time is the steadier figure.

| step | wall clock | CPU |
|---|---|---|
{table}

Generated per namespace: 30 Deployments (3 replicas, so 90 generated pods), 30 Services with a
named targetPort, 31 NetworkPolicies, 5 Pods with status (as a snapshot holds them), a
StatefulSet with its headless Service, and a ConfigMap (skipped: not modelled); 50 Nodes with
their podCIDRs.
"""
    (Path(__file__).resolve().parent / "RESULTS_load.md").write_text(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
