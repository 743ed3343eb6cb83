"""Random clusters for data-plane tests and benchmarks: manifests as plain dicts. No I/O.

Pods in three labelled namespaces with TCP/UDP ports (some named), Services (ClusterIP,
NodePort, LoadBalancer with both traffic policies, ClientIP affinity, named target ports) and
NetworkPolicies (pod/namespace selectors, ipBlock with except, named ports, endPort ranges,
UDP, ingress and egress). ``dual_stack=True`` adds IPv6 ipBlocks (each matching only IPv6
addresses) and gives Services an ``ipFamilyPolicy`` and ``ipFamilies`` (load it with a pod and
a Service CIDR per family, :data:`DUAL_STACK_CIDRS`); the single-stack clusters of a seed stay
what they were.
"""

from __future__ import annotations

import random
from typing import Any

NAMESPACES = ("alpha", "beta", "gamma")
APPS = ("web", "api", "db", "cache")
PORTS = (
    (80, "TCP", "http"),
    (8080, "TCP", None),
    (53, "UDP", "dns"),
    (9001, "TCP", None),
    (5000, "UDP", None),
)
IP_BLOCKS = (
    {"cidr": "10.244.0.0/16", "except": ["10.244.1.0/24"]},
    {"cidr": "0.0.0.0/0"},
    {"cidr": "172.18.0.0/16"},
    {"cidr": "203.0.113.0/24"},
)
IP_BLOCKS6 = (
    {"cidr": "fd00:10:244::/56", "except": ["fd00:10:244:1::/64"]},
    {"cidr": "::/0"},
    {"cidr": "fd00:10:244:2::/64"},
)
DUAL_STACK_CIDRS = {
    "pod_cidr": "10.244.0.0/16,fd00:10:244::/56",
    "service_cidr": "10.96.0.0/16,fd00:10:96::/112",
}
FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")


def _pod(rng: random.Random, i: int) -> dict[str, Any]:
    ports = rng.sample(PORTS, rng.randint(1, 2))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"p{i}",
            "namespace": rng.choice(NAMESPACES),
            "labels": {"app": rng.choice(APPS), "tier": rng.choice(("front", "back"))},
        },
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "ports": [
                        {"containerPort": n, "protocol": p, **({"name": name} if name else {})}
                        for n, p, name in ports
                    ],
                }
            ]
        },
    }


def _service(rng: random.Random, i: int, dual: random.Random | None = None) -> dict[str, Any]:
    port, proto, name = rng.choice(PORTS)
    kind = rng.choice(("ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"))
    spec: dict[str, Any] = {
        "type": kind,
        "selector": {"app": rng.choice(APPS)},
        "ports": [
            {
                "port": 7000 + i,
                "protocol": proto,
                "targetPort": name if name and rng.random() < 0.5 else port,
            }
        ],
    }
    if kind != "ClusterIP":
        spec["externalTrafficPolicy"] = rng.choice(("Cluster", "Local"))
    if rng.random() < 0.3:
        spec["sessionAffinity"] = "ClientIP"
    if dual is not None:
        spec["ipFamilyPolicy"] = dual.choice(FAMILY_POLICIES)
        families = dual.choice((["IPv4", "IPv6"], ["IPv6", "IPv4"]))
        spec["ipFamilies"] = families[:1] if spec["ipFamilyPolicy"] == "SingleStack" else families
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"s{i}", "namespace": rng.choice(NAMESPACES)},
        "spec": spec,
    }


def _peer(rng: random.Random, dual: random.Random | None = None) -> dict[str, Any]:
    if dual is not None and dual.random() < 0.3:
        return {"ipBlock": dict(dual.choice(IP_BLOCKS6))}
    choice = rng.random()
    if choice < 0.35:
        return {"podSelector": {"matchLabels": {"app": rng.choice(APPS)}}}
    if choice < 0.6:
        return {"namespaceSelector": {"matchLabels": {"team": rng.choice(("red", "blue"))}}}
    if choice < 0.8:
        return {
            "namespaceSelector": {},
            "podSelector": {
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": [rng.choice(("front", "back"))]}
                ]
            },
        }
    return {"ipBlock": dict(rng.choice(IP_BLOCKS))}


def _ports(rng: random.Random) -> list[dict[str, Any]]:
    choice = rng.random()
    if choice < 0.3:
        return []
    if choice < 0.5:
        return [{"port": rng.choice(("http", "dns")), "protocol": rng.choice(("TCP", "UDP"))}]
    if choice < 0.7:
        return [{"port": 8000, "endPort": 9005}]
    return [{"port": rng.choice((80, 53, 5000)), "protocol": rng.choice(("TCP", "UDP"))}]


def _policy(rng: random.Random, i: int, dual: random.Random | None = None) -> dict[str, Any]:
    types = rng.choice((["Ingress"], ["Egress"], ["Ingress", "Egress"]))
    spec: dict[str, Any] = {
        "podSelector": {} if rng.random() < 0.2 else {"matchLabels": {"app": rng.choice(APPS)}},
        "policyTypes": types,
    }
    for direction, key in (("Ingress", "from"), ("Egress", "to")):
        if direction in types:
            rules = []
            for _ in range(rng.randint(0, 2)):
                rule: dict[str, Any] = {}
                peers = [_peer(rng, dual) for _ in range(rng.randint(0, 2))]
                if peers:
                    rule[key] = peers
                ports = _ports(rng)
                if ports:
                    rule["ports"] = ports
                rules.append(rule)
            spec[direction.lower()] = rules
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"np{i}", "namespace": rng.choice(NAMESPACES)},
        "spec": spec,
    }


def random_cluster(
    seed: int, pods: int = 30, services: int = 8, policies: int = 20, dual_stack: bool = False
) -> list[dict[str, Any]]:
    """The manifests of one random cluster (deterministic for a seed)."""
    rng = random.Random(seed)
    dual = random.Random(-seed) if dual_stack else None  # the single-stack draws stay as they were
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"team": team}},
        }
        for ns, team in zip(NAMESPACES, ("red", "blue", "red"), strict=True)
    ]
    docs += [_pod(rng, i) for i in range(pods)]
    docs += [_service(rng, i, dual) for i in range(services)]
    docs += [_policy(rng, i, dual) for i in range(policies)]
    return docs
