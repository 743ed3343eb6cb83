"""Generate a cluster for the policy benchmarks: ``python bench/generate.py PODS POLICIES OUT``.

OUT ending in ``.json`` writes one ``kind: List`` document; otherwise multi-document YAML.
Deterministic (seeded). Per namespace (about 200 pods each): apps in tiers web/api/db with
1-6 replicas, named container ports (``http`` 8080, ``grpc`` 9090, ``pg`` 5432, ``metrics``
9100), pods with ``status.podIP`` on Nodes with podCIDRs (110 pods per node). Policies per
namespace, in this order until POLICIES is reached: default-deny (Ingress+Egress), DNS egress
to kube-system, web <- anyone on ``http``, api <- web on ``http`` (pod selector), db <- api
on 5432 (pod selector), metrics <- monitoring (namespace AND pod selector), egress to
``10.0.0.0/8 except 10.128.0.0/9`` on 30000-32767 (ipBlock + except + endPort), cross-
namespace api <- team namespaces (namespaceSelector); then per-app allow policies.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterator
from typing import Any

TIERS = ("web", "api", "db")
PORTS = {
    "web": [{"containerPort": 8080, "name": "http"}],
    "api": [{"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "grpc"}],
    "db": [{"containerPort": 5432, "name": "pg"}],
}
METRICS = {"containerPort": 9100, "name": "metrics"}
PODS_PER_NODE = 110
PODS_PER_NAMESPACE = 200


def _ip(n: int) -> str:
    """The n-th pod address in 10.0.0.0/8 (skipping .0, .1 and .255 of each /24)."""
    block, host = divmod(n, 253)
    return f"10.{(block >> 8) & 255}.{block & 255}.{host + 2}"


def _pod(ns: str, app: str, tier: str, k: int, n: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"{app}-{k}", "namespace": ns, "labels": {"app": app, "tier": tier}},
        "spec": {
            "nodeName": f"node-{n // PODS_PER_NODE}",
            "containers": [{"name": app, "ports": [*PORTS[tier], METRICS]}],
        },
        "status": {"phase": "Running", "podIP": _ip(n)},
    }


def _np(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def _sel(**labels: str) -> dict[str, Any]:
    return {"matchLabels": labels}


def _baseline_policies(ns: str, team: str) -> list[dict[str, Any]]:
    dns = {
        "namespaceSelector": _sel(**{"kubernetes.io/metadata.name": "kube-system"}),
        "podSelector": _sel(**{"k8s-app": "kube-dns"}),
    }
    return [
        _np(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _np(
            ns,
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [{"to": [dns], "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}],
            },
        ),
        _np(
            ns,
            "web-open",
            {"podSelector": _sel(tier="web"), "ingress": [{"ports": [{"port": "http"}]}]},
        ),
        _np(
            ns,
            "api-from-web",
            {
                "podSelector": _sel(tier="api"),
                "ingress": [
                    {"from": [{"podSelector": _sel(tier="web")}], "ports": [{"port": "http"}]}
                ],
            },
        ),
        _np(
            ns,
            "db-from-api",
            {
                "podSelector": _sel(tier="db"),
                "ingress": [
                    {"from": [{"podSelector": _sel(tier="api")}], "ports": [{"port": 5432}]}
                ],
            },
        ),
        _np(
            ns,
            "metrics",
            {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": _sel(purpose="monitoring"),
                                "podSelector": _sel(app="prometheus"),
                            }
                        ],
                        "ports": [{"port": "metrics"}],
                    }
                ],
            },
        ),
        _np(
            ns,
            "egress-nodeports",
            {
                "podSelector": _sel(tier="web"),
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.128.0.0/9"]}}],
                        "ports": [{"port": 30000, "endPort": 32767}],
                    }
                ],
            },
        ),
        _np(
            ns,
            "api-from-team",
            {
                "podSelector": _sel(tier="api"),
                "ingress": [
                    {"from": [{"namespaceSelector": _sel(team=team)}], "ports": [{"port": "grpc"}]}
                ],
            },
        ),
    ]


def _app_policy(ns: str, app: str, other: str, i: int) -> dict[str, Any]:
    return _np(
        ns,
        f"allow-{app}-{i}",
        {
            "podSelector": _sel(app=app),
            "ingress": [
                {
                    "from": [{"podSelector": _sel(app=other)}],
                    "ports": [{"port": "http"}, {"port": 9090}],
                }
            ],
        },
    )


def generate(pods: int, policies: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    n_ns = max(1, pods // PODS_PER_NAMESPACE)
    nodes = math.ceil((pods + 3) / PODS_PER_NODE) + 1
    for i in range(nodes):
        yield {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": f"node-{i}"},
            "spec": {"podCIDR": f"10.{(i >> 8) & 255}.{i & 255}.0/24"},
            "status": {
                "addresses": [{"type": "InternalIP", "address": f"172.16.{i >> 8}.{i & 255}"}]
            },
        }
    yield {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "monitoring", "labels": {"purpose": "monitoring"}},
    }
    n = 0
    for name, ns, labels in (
        ("coredns", "kube-system", {"k8s-app": "kube-dns"}),
        ("prometheus", "monitoring", {"app": "prometheus"}),
    ):
        yield {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {
                "nodeName": "node-0",
                "containers": [
                    {
                        "name": "c",
                        "ports": [{"containerPort": 53, "protocol": "UDP", "name": "dns"}],
                    }
                ],
            },
            "status": {"phase": "Running", "podIP": _ip(n)},
        }
        n += 1
    made = 0
    apps: dict[str, list[str]] = {}
    per_ns = max(1, (pods - n) // n_ns)
    for k in range(n_ns):
        ns = f"ns-{k}"
        team = f"team-{k % 10}"
        yield {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"team": team, "env": rng.choice(["prod", "dev"])}},
        }
        count = 0
        a = 0
        apps[ns] = []
        while count < per_ns and n < pods:
            tier = TIERS[a % 3]
            app = f"app{a}"
            apps[ns].append(app)
            for r in range(min(rng.randint(1, 6), per_ns - count)):
                yield _pod(ns, app, tier, r, n)
                n += 1
                count += 1
            a += 1
        for pol in _baseline_policies(ns, team):
            if made < policies:
                yield pol
                made += 1
    i = 0
    names = sorted(apps)
    while made < policies and names:
        ns = names[i % len(names)]
        app_list = apps[ns]
        yield _app_policy(ns, rng.choice(app_list), rng.choice(app_list), i)
        made += 1
        i += 1


def main() -> None:
    pods, policies, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    docs = generate(pods, policies)
    with open(out, "w") as f:
        if out.endswith(".json"):
            json.dump({"apiVersion": "v1", "kind": "List", "items": list(docs)}, f)
        else:
            for doc in docs:
                f.write("---\n")
                f.write(json.dumps(doc))
                f.write("\n")


if __name__ == "__main__":
    main()
