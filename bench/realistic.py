"""A cluster shaped like a real one: ``python bench/realistic.py --pods N --out DIR [--changed]``.

Deterministic (``--seed``, default 11). Writes a repository of YAML manifests, one directory
per namespace (as examples/shop is laid out), that podpath expands into about ``--pods`` pods
(workloads, not Pods: podpath makes the pods, places them round-robin and gives them IPs
from the Nodes' podCIDRs, docs/loading.md). The shape follows examples/shop, copied and
varied per team namespace:

- Nodes: one per ~100 pods, each with its /24 podCIDR and InternalIP;
- platform namespaces: kube-system (CoreDNS Deployment + kube-dns Service, a host-network
  kube-proxy DaemonSet), monitoring (Prometheus StatefulSet, node-exporter host-network
  DaemonSet with a headless Service), ingress-nginx (controller Deployment, LoadBalancer
  Service, IngressClass), gateway-system (Envoy, GatewayClass, a shared Gateway);
- team namespaces of 6-16 apps: Deployments with 1-4 containers and named ports (``http``,
  ``grpc``, ``metrics``, ``admin``, ``pg``, ``redis``), 1-8 replicas; StatefulSets (databases,
  caches) with their headless Services and a Service per member through the
  ``statefulset.kubernetes.io/pod-name`` label; a Job; Services of every type (ClusterIP,
  NodePort, LoadBalancer, headless, ExternalName); an Ingress and an HTTPRoute on the shared
  Gateway;
- NetworkPolicies per team namespace: default deny (Ingress+Egress), DNS egress to
  kube-system, web <- ingress-nginx and the Gateway (namespace selector, named port), api <-
  web (pod selector, named port), data <- api, metrics <- Prometheus (namespace AND pod
  selector), egress to the internet on 443 (ipBlock ``0.0.0.0/0 except 10.0.0.0/8``),
  api <- the partner team (namespace selector);
- admin tiers: an AdminNetworkPolicy that always allows monitoring to scrape and denies
  traffic into ``tier: restricted`` namespaces from the others, a BaselineAdminNetworkPolicy
  that denies cross-tenant ingress by default.

``--changed`` writes the same cluster with a small change (for ``podpath diff``): one team's
api-from-web and web-to-api policies also admit the ``grpc`` port, and one Deployment gains
a replica.

The output does not depend on the order of anything but the seed and ``--pods``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as Dumper
except ImportError:  # pragma: no cover - libyaml is present on the bench machine
    from yaml import SafeDumper as Dumper  # type: ignore[assignment]

PODS_PER_NODE = 100
PLATFORM = ("kube-system", "monitoring", "ingress-nginx", "gateway-system")
Doc = dict[str, Any]

# container port sets by role; names are what the policies and Services refer to
ROLE_PORTS: dict[str, list[tuple[str, int]]] = {
    "web": [("http", 8080), ("metrics", 9090)],
    "api": [("http", 8080), ("grpc", 9000), ("metrics", 9090)],
    "worker": [("metrics", 9090)],
    "db": [("pg", 5432)],
    "cache": [("redis", 6379)],
}
SIDECARS: list[tuple[str, list[tuple[str, int]]]] = [
    ("envoy", [("admin", 15000), ("envoy-http", 15001)]),
    ("log-shipper", []),
    ("exporter", [("exporter", 9187)]),
]


def _meta(name: str, ns: str | None = None, **labels: str) -> Doc:
    meta: Doc = {"name": name}
    if ns is not None:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = dict(labels)
    return meta


def _containers(name: str, role: str, rng: random.Random, count: int) -> list[Doc]:
    main: Doc = {"name": name, "image": f"registry.example.com/{name}:1.{rng.randrange(30)}"}
    ports = ROLE_PORTS[role]
    if ports:
        main["ports"] = [{"name": n, "containerPort": p} for n, p in ports]
        main["readinessProbe"] = {"tcpSocket": {"port": ports[0][0]}}
    out = [main]
    for side_name, side_ports in SIDECARS[: count - 1]:
        side: Doc = {"name": side_name, "image": f"registry.example.com/{side_name}:2.1"}
        if side_ports:
            side["ports"] = [{"name": n, "containerPort": p} for n, p in side_ports]
        out.append(side)
    return out


def _template(labels: dict[str, str], containers: list[Doc], **spec: Any) -> Doc:
    return {"metadata": {"labels": labels}, "spec": {**spec, "containers": containers}}


def _workload(kind: str, name: str, ns: str, labels: dict[str, str], spec: Doc) -> Doc:
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": _meta(name, ns, **labels), "spec": spec}


def _service(name: str, ns: str, spec: Doc) -> Doc:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, ns), "spec": spec}


def _svc_ports(ports: list[tuple[str, int]], node_port: int | None = None) -> list[Doc]:
    out = []
    for i, (pname, _) in enumerate(ports):
        entry: Doc = {"name": pname, "port": 80 if pname == "http" else 9000 + i}
        entry["targetPort"] = pname
        if node_port is not None and i == 0:
            entry["nodePort"] = node_port
        out.append(entry)
    return out


def _np(ns: str, name: str, spec: Doc) -> Doc:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(name, ns),
        "spec": spec,
    }


def _sel(**labels: str) -> Doc:
    return {"matchLabels": dict(labels)}


def _ns_sel(name: str) -> Doc:
    return _sel(**{"kubernetes.io/metadata.name": name})


def nodes(count: int) -> list[Doc]:
    """``count`` worker Nodes, each with its /24 of 10.0.0.0/8 and an InternalIP."""
    out = []
    for i in range(count):
        name = f"node-{i:04d}"
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": _meta(
                    name,
                    None,
                    **{
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "topology.kubernetes.io/zone": f"zone-{'abc'[i % 3]}",
                    },
                ),
                "spec": {"podCIDR": f"10.{i >> 8}.{i & 255}.0/24"},
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": f"192.168.{i >> 8}.{(i & 255) + 0}"},
                        {"type": "Hostname", "address": name},
                    ]
                },
            }
        )
    return out


def _namespace(name: str, **labels: str) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, None, **labels)}


def platform() -> dict[str, list[Doc]]:
    """kube-system, monitoring, ingress-nginx and gateway-system, as in examples/shop."""
    dns_labels = {"k8s-app": "kube-dns"}
    kube_system = [
        _namespace("kube-system"),
        _workload(
            "Deployment",
            "coredns",
            "kube-system",
            dns_labels,
            {
                "replicas": 2,
                "selector": _sel(**dns_labels),
                "template": _template(
                    dns_labels,
                    [
                        {
                            "name": "coredns",
                            "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                            "ports": [
                                {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                {"name": "dns-tcp", "containerPort": 53},
                                {"name": "metrics", "containerPort": 9153},
                            ],
                        }
                    ],
                ),
            },
        ),
        _service(
            "kube-dns",
            "kube-system",
            {
                "clusterIP": "10.96.0.10",
                "selector": dns_labels,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "targetPort": 53},
                ],
            },
        ),
        _daemonset_host("kube-proxy", "kube-system", [("metrics", 10249)]),
    ]
    prom = {"app": "prometheus"}
    monitoring = [
        _namespace("monitoring", purpose="monitoring"),
        _workload(
            "StatefulSet",
            "prometheus",
            "monitoring",
            prom,
            {
                "serviceName": "prometheus",
                "replicas": 2,
                "selector": _sel(**prom),
                "template": _template(
                    prom,
                    [
                        {
                            "name": "prometheus",
                            "image": "quay.io/prometheus/prometheus:v2.53.0",
                            "ports": [{"name": "web", "containerPort": 9090}],
                        }
                    ],
                ),
            },
        ),
        _service(
            "prometheus",
            "monitoring",
            {"clusterIP": "None", "selector": prom, "ports": [{"name": "web", "port": 9090}]},
        ),
        _daemonset_host("node-exporter", "monitoring", [("metrics", 9100)]),
        _service(
            "node-exporter",
            "monitoring",
            {
                "clusterIP": "None",
                "selector": {"app.kubernetes.io/name": "node-exporter"},
                "ports": [{"name": "metrics", "port": 9100, "targetPort": "metrics"}],
            },
        ),
    ]
    ctl = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
    ingress_nginx = [
        _namespace("ingress-nginx"),
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": "nginx",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": "k8s.io/ingress-nginx"},
        },
        _workload(
            "Deployment",
            "ingress-nginx-controller",
            "ingress-nginx",
            ctl,
            {
                "replicas": 3,
                "selector": _sel(**ctl),
                "template": _template(
                    ctl,
                    [
                        {
                            "name": "controller",
                            "image": "registry.k8s.io/ingress-nginx/controller:v1.10.1",
                            "ports": [
                                {"name": "http", "containerPort": 80},
                                {"name": "https", "containerPort": 443},
                            ],
                        }
                    ],
                ),
            },
        ),
        _service(
            "ingress-nginx-controller",
            "ingress-nginx",
            {
                "type": "LoadBalancer",
                "selector": ctl,
                "ports": [
                    {"name": "http", "port": 80, "targetPort": "http"},
                    {"name": "https", "port": 443, "targetPort": "https"},
                ],
            },
        ),
    ]
    envoy = {"app": "envoy-gateway"}
    gateway = [
        _namespace("gateway-system"),
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "envoy"},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": _meta("shared", "gateway-system"),
            "spec": {
                "gatewayClassName": "envoy",
                "listeners": [
                    {
                        "name": "http",
                        "protocol": "HTTP",
                        "port": 80,
                        "hostname": "*.example.com",
                        "allowedRoutes": {
                            "namespaces": {
                                "from": "Selector",
                                "selector": _sel(**{"gateway-access": "true"}),
                            }
                        },
                    }
                ],
            },
        },
        _workload(
            "Deployment",
            "envoy",
            "gateway-system",
            envoy,
            {
                "replicas": 2,
                "selector": _sel(**envoy),
                "template": _template(
                    envoy,
                    [
                        {
                            "name": "envoy",
                            "image": "docker.io/envoyproxy/envoy:v1.30.2",
                            "ports": [{"name": "http", "containerPort": 10080}],
                        }
                    ],
                ),
            },
        ),
        _service(
            "envoy",
            "gateway-system",
            {
                "type": "LoadBalancer",
                "selector": envoy,
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        ),
    ]
    return {
        "kube-system": kube_system,
        "monitoring": monitoring,
        "ingress-nginx": ingress_nginx,
        "gateway-system": gateway,
    }


def _daemonset_host(name: str, ns: str, ports: list[tuple[str, int]]) -> Doc:
    labels = {"app.kubernetes.io/name": name}
    container = {
        "name": name,
        "image": f"registry.example.com/{name}:1.0",
        "ports": [{"name": n, "containerPort": p, "hostPort": p} for n, p in ports],
    }
    return _workload(
        "DaemonSet",
        name,
        ns,
        labels,
        {
            "selector": _sel(**labels),
            "template": _template(
                labels, [container], hostNetwork=True, tolerations=[{"operator": "Exists"}]
            ),
        },
    )


def admin_policies(teams: list[str]) -> list[Doc]:
    """The admin tiers: monitoring always scrapes, restricted namespaces are fenced off;
    the baseline denies ingress across tenants unless a NetworkPolicy allows it."""
    api = "policy.networking.k8s.io/v1alpha1"
    anp = {
        "apiVersion": api,
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "platform"},
        "spec": {
            "priority": 10,
            "subject": {"namespaces": _sel(**{"tenant": "true"})},
            "ingress": [
                {
                    "name": "allow-monitoring",
                    "action": "Allow",
                    "from": [{"namespaces": _sel(purpose="monitoring")}],
                    "ports": [{"portNumber": {"protocol": "TCP", "port": 9090}}],
                },
                {
                    "name": "pass-ingress",
                    "action": "Pass",
                    "from": [{"namespaces": _ns_sel("ingress-nginx")}],
                },
            ],
        },
    }
    fence = {
        "apiVersion": api,
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "restricted"},
        "spec": {
            "priority": 20,
            "subject": {"namespaces": _sel(tier="restricted")},
            "ingress": [
                {
                    "name": "deny-general",
                    "action": "Deny",
                    "from": [{"namespaces": _sel(tier="general")}],
                }
            ],
        },
    }
    banp = {
        "apiVersion": api,
        "kind": "BaselineAdminNetworkPolicy",
        "metadata": {"name": "default"},
        "spec": {
            "subject": {"namespaces": _sel(tenant="true")},
            "ingress": [
                {
                    "name": "deny-other-tenants",
                    "action": "Deny",
                    "from": [{"namespaces": _sel(tenant="true")}],
                }
            ],
        },
    }
    return [anp, fence, banp]


def team_policies(ns: str, partner: str) -> list[Doc]:
    """The per-namespace NetworkPolicies (module docstring)."""
    dns = {
        "namespaceSelector": _ns_sel("kube-system"),
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
            "web-from-ingress",
            {
                "podSelector": _sel(role="web"),
                "ingress": [
                    {
                        "from": [
                            {"namespaceSelector": _ns_sel("ingress-nginx")},
                            {"namespaceSelector": _ns_sel("gateway-system")},
                        ],
                        "ports": [{"port": "http"}],
                    }
                ],
            },
        ),
        _np(
            ns,
            "api-from-web",
            {
                "podSelector": _sel(role="api"),
                "ingress": [
                    {"from": [{"podSelector": _sel(role="web")}], "ports": [{"port": "http"}]}
                ],
            },
        ),
        _np(
            ns,
            "web-to-api",
            {
                "podSelector": _sel(role="web"),
                "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"podSelector": _sel(role="api")}], "ports": [{"port": "http"}]}
                ],
            },
        ),
        _np(
            ns,
            "data-from-api",
            {
                "podSelector": _sel(tier="data"),
                "ingress": [
                    {
                        "from": [
                            {"podSelector": _sel(role="api")},
                            {"podSelector": _sel(role="worker")},
                        ],
                        "ports": [{"port": "pg"}, {"port": "redis"}],
                    }
                ],
            },
        ),
        _np(
            ns,
            "api-to-data",
            {
                "podSelector": {
                    "matchExpressions": [
                        {"key": "role", "operator": "In", "values": ["api", "worker"]}
                    ]
                },
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"podSelector": _sel(tier="data")}]}],
            },
        ),
        _np(
            ns,
            "metrics-from-prometheus",
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
                        "ports": [{"port": "metrics"}, {"port": "exporter"}],
                    }
                ],
            },
        ),
        _np(
            ns,
            "egress-internet",
            {
                "podSelector": _sel(role="api"),
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "ipBlock": {
                                    "cidr": "0.0.0.0/0",
                                    "except": ["10.0.0.0/8", "192.168.0.0/16"],
                                }
                            }
                        ],
                        "ports": [{"port": 443}],
                    }
                ],
            },
        ),
        _np(
            ns,
            "api-from-partner",
            {
                "podSelector": _sel(role="api"),
                "ingress": [
                    {"from": [{"namespaceSelector": _ns_sel(partner)}], "ports": [{"port": "grpc"}]}
                ],
            },
        ),
    ]


REPLICAS = (1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8)


def team(
    ns: str, index: int, partner: str, rng: random.Random, budget: int
) -> tuple[list[Doc], int]:
    """One team namespace of apps, about ``budget`` pods; returns its documents and pod count."""
    tier = "restricted" if index % 7 == 3 else "general"
    docs: list[Doc] = [
        _namespace(ns, tenant="true", tier=tier, team=ns, **{"gateway-access": "true"}),
    ]
    pods = 0
    apps = rng.randint(6, 16)
    web_services: list[str] = []
    for a in range(apps):
        if pods >= budget:
            break
        role = ("web", "api", "api", "worker", "web", "api")[a % 6]
        name = f"{role}-{a:02d}"
        labels = {"app": name, "role": role, "team": ns}
        replicas = rng.choice(REPLICAS)
        containers = _containers(name, role, rng, rng.randint(1, 4))
        docs.append(
            _workload(
                "Deployment",
                name,
                ns,
                labels,
                {
                    "replicas": replicas,
                    "selector": _sel(app=name),
                    "template": _template(labels, containers),
                },
            )
        )
        pods += replicas
        if role == "worker":
            continue
        kind = rng.random()
        spec: Doc = {"selector": {"app": name}, "ports": _svc_ports(ROLE_PORTS[role])}
        if kind < 0.08:
            spec["type"] = "NodePort"
        elif kind < 0.12:
            spec["type"] = "LoadBalancer"
        docs.append(_service(name, ns, spec))
        if role == "web":
            web_services.append(name)
    # the data tier: a database StatefulSet (headless + client Service + one per member) and a cache
    for name, role, members in (("postgres", "db", 3), ("redis", "cache", 1 + index % 3)):
        if pods >= budget and name == "redis":
            break
        labels = {"app": name, "role": role, "tier": "data"}
        containers = _containers(name, role, rng, 2 if role == "db" else 1)
        docs.append(
            _workload(
                "StatefulSet",
                name,
                ns,
                labels,
                {
                    "serviceName": f"{name}-headless",
                    "replicas": members,
                    "selector": _sel(app=name),
                    "template": _template(labels, containers),
                },
            )
        )
        pods += members
        ports = _svc_ports(ROLE_PORTS[role])
        docs.append(
            _service(
                f"{name}-headless",
                ns,
                {
                    "clusterIP": "None",
                    "publishNotReadyAddresses": True,
                    "selector": {"app": name},
                    "ports": ports,
                },
            )
        )
        docs.append(_service(name, ns, {"selector": {"app": name}, "ports": ports}))
        if role == "db":
            docs.append(
                _service(
                    f"{name}-0",
                    ns,
                    {
                        "selector": {"statefulset.kubernetes.io/pod-name": f"{name}-0"},
                        "ports": ports,
                    },
                )
            )
    if index % 3 == 0:
        job = f"migrate-{index}"
        labels = {"app": job, "role": "worker"}
        docs.append(
            _workload(
                "Job",
                job,
                ns,
                labels,
                {
                    "template": _template(
                        labels, _containers(job, "worker", rng, 1), restartPolicy="Never"
                    )
                },
            )
        )
        pods += 1
    docs.append(
        _service(
            "payments-provider",
            ns,
            {"type": "ExternalName", "externalName": "api.payments.example.net"},
        )
    )
    host = f"{ns}.example.com"
    if web_services:
        docs.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": _meta(ns, ns),
                "spec": {
                    "ingressClassName": "nginx",
                    "rules": [
                        {
                            "host": host,
                            "http": {
                                "paths": [
                                    {
                                        "path": "/" if i == 0 else f"/{svc}",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {"name": svc, "port": {"name": "http"}}
                                        },
                                    }
                                    for i, svc in enumerate(web_services)
                                ]
                            },
                        }
                    ],
                },
            }
        )
        docs.append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute",
                "metadata": _meta(ns, ns),
                "spec": {
                    "parentRefs": [{"name": "shared", "namespace": "gateway-system"}],
                    "hostnames": [f"gw-{host}"],
                    "rules": [
                        {
                            "matches": [
                                {
                                    "path": {
                                        "type": "PathPrefix",
                                        "value": "/" if i == 0 else f"/{svc}",
                                    }
                                }
                            ],
                            "backendRefs": [{"name": svc, "port": 80}],
                        }
                        for i, svc in enumerate(web_services)
                    ],
                },
            }
        )
    docs.extend(team_policies(ns, partner))
    return docs, pods


def cluster(pods: int, seed: int = 11, changed: bool = False) -> dict[str, list[Doc]]:
    """Directory name -> documents for a cluster of about ``pods`` pods."""
    rng = random.Random(seed)
    node_count = max(1, round(pods / PODS_PER_NODE))
    # per node: node-exporter and kube-proxy; platform workloads: 2 + 2 + 3 + 2
    budget = max(0, pods - 2 * node_count - 9)
    out: dict[str, list[Doc]] = {"cluster": nodes(node_count)}
    out.update(platform())
    teams: list[list[Doc]] = []
    names: list[str] = []
    made = 0
    while made < budget:
        ns = f"team-{len(names):04d}"
        want = min(rng.randint(20, 60), budget - made)
        docs, got = team(ns, len(names), "", rng, want)
        names.append(ns)
        teams.append(docs)
        made += got
    for i, docs in enumerate(teams):
        partner = names[(i + 1) % len(names)]
        for doc in docs:
            if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "api-from-partner":
                doc["spec"]["ingress"][0]["from"][0]["namespaceSelector"] = _ns_sel(partner)
        out[names[i]] = docs
    out["cluster"].extend(admin_policies(names))
    if changed and names:
        _change(out[names[len(names) // 2]])
    return out


def _change(docs: list[Doc]) -> None:
    """The small change of ``--changed``: api-from-web also admits grpc; one more replica."""
    for doc in docs:
        if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "api-from-web":
            doc["spec"]["ingress"][0]["ports"].append({"port": "grpc"})
        if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == "web-to-api":
            doc["spec"]["egress"][0]["ports"].append({"port": "grpc"})
    for doc in docs:
        if doc["kind"] == "Deployment":
            doc["spec"]["replicas"] += 1
            break


def write(tree: dict[str, list[Doc]], out: Path) -> int:
    """Write one ``manifests.yaml`` per directory; return the number of documents."""
    count = 0
    for directory, docs in sorted(tree.items()):
        path = out / directory
        path.mkdir(parents=True, exist_ok=True)
        text = yaml.dump_all(docs, Dumper=Dumper, sort_keys=False, default_flow_style=False)
        (path / "manifests.yaml").write_text(text, encoding="utf-8")
        count += len(docs)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pods", type=int, default=10000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--changed", action="store_true", help="the small change, for diff")
    args = parser.parse_args(argv)
    n = write(cluster(args.pods, args.seed, args.changed), args.out)
    print(f"{args.out}: {n} documents", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
