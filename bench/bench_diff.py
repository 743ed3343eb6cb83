"""Benchmark `podpath diff` (and `graph`) on generated 1,000-pod manifests.

python bench/bench_diff.py [PODS]   # writes nothing; prints timings (see RESULTS_diff.md)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

from podpath.analyze.diff import diff_clusters
from podpath.analyze.graph import build_graph
from podpath.api import load_cluster


def manifests(pods: int, variant: str) -> list[dict]:  # type: ignore[type-arg]
    """NS namespaces x 10 apps x R replicas, a Service per app, default-deny + app-to-app
    allow policies; the `new` variant opens one app to a LoadBalancer and widens a policy."""
    apps_per_ns, replicas = 10, 5
    namespaces = max(1, pods // (apps_per_ns * replicas))
    docs: list[dict] = []  # type: ignore[type-arg]
    for n in range(namespaces):
        ns = f"team-{n}"
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"team": ns}},
            }
        )
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
            }
        )
        for a in range(apps_per_ns):
            app = f"app-{a}"
            docs.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": {"app": app}},
                        "template": {
                            "metadata": {"labels": {"app": app, "tier": f"t{a % 3}"}},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "c",
                                        "image": "x",
                                        "ports": [{"containerPort": 8000 + a, "name": "http"}],
                                    }
                                ]
                            },
                        },
                    },
                }
            )
            svc_type = "LoadBalancer" if variant == "new" and n == 0 and a == 0 else "ClusterIP"
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": app, "namespace": ns},
                    "spec": {
                        "type": svc_type,
                        "selector": {"app": app},
                        "ports": [{"port": 80, "targetPort": "http"}],
                    },
                }
            )
            peers = [{"podSelector": {"matchLabels": {"app": f"app-{(a + 1) % apps_per_ns}"}}}]
            if variant == "new" and a == 3:
                peers.append({"namespaceSelector": {"matchLabels": {"team": "team-0"}}})
            docs.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": f"allow-{app}", "namespace": ns},
                    "spec": {
                        "podSelector": {"matchLabels": {"app": app}},
                        "ingress": [{"from": peers, "ports": [{"port": "http"}]}],
                    },
                }
            )
    return docs


def main() -> None:
    pods = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for variant in ("old", "new"):
            path = Path(tmp) / f"{variant}.yaml"
            path.write_text(yaml.safe_dump_all(manifests(pods, variant)))
            paths[variant] = str(path)
        t0 = time.perf_counter()
        old, new = load_cluster([paths["old"]]), load_cluster([paths["new"]])
        t1 = time.perf_counter()
        for by in ("pod", "workload"):
            t2 = time.perf_counter()
            result = diff_clusters(old, new, by=by)
            t3 = time.perf_counter()
            print(
                f"diff --by {by}: {t3 - t2:.2f}s; connections +{len(result['connections']['added'])}"  # noqa: E501
                f" -{len(result['connections']['removed'])}, services changed {len(result['services']['changed'])}"  # noqa: E501
            )
        t4 = time.perf_counter()
        graph = build_graph(new)
        t5 = time.perf_counter()
        print(
            f"pods: {len(new.pods)}; load both: {t1 - t0:.2f}s; graph: {t5 - t4:.2f}s "
            f"({len(graph.nodes)} nodes, {len(graph.edges)} edges)"
        )


if __name__ == "__main__":
    main()
