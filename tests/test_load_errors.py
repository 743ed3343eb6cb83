"""Every located error of loading, pinned: each field of a set of well-formed objects is
replaced by values of the wrong shape (or removed), and the outcome -- the one-line error
with its file, document, object and field path, or a digest of what loads -- is compared
with tests/golden/load_errors.txt (``pytest --update-goldens`` rewrites it).

The golden was recorded before the loading fast paths (lazy field paths, the Pod built
once, workload templates read once, the JSON-document parser): they change no message."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import yaml

from podpath.cluster import resolve
from podpath.errors import InputError
from podpath.normalize import normalize
from podpath.sources.manifests import parse_text

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "n1", "labels": {"zone": "a"}},
    "spec": {"podCIDR": "10.244.0.0/24", "taints": [{"key": "k", "effect": "NoSchedule"}]},
    "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]},
}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-1",
        "namespace": "shop",
        "labels": {"app": "web"},
        "annotations": {"a": "b"},
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": True}],
    },
    "spec": {
        "nodeName": "n1",
        "dnsPolicy": "ClusterFirst",
        "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]},
        "tolerations": [{"key": "k", "operator": "Exists"}],
        "containers": [
            {
                "name": "c",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "readinessProbe": {"httpGet": {"port": "http"}},
            }
        ],
        "initContainers": [{"name": "side", "restartPolicy": "Always"}],
    },
    "status": {
        "phase": "Running",
        "podIP": "10.244.0.5",
        "podIPs": [{"ip": "10.244.0.5"}],
        "conditions": [{"type": "Ready", "status": "True"}],
    },
}
TEMPLATE = {
    "metadata": {"labels": {"app": "api"}},
    "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {"replicas": 2, "template": TEMPLATE},
}
STATEFULSET = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": "shop"},
    "spec": {"replicas": 2, "serviceName": "db", "template": TEMPLATE},
}
DAEMONSET = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "agent", "namespace": "kube-system"},
    "spec": {"template": TEMPLATE},
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "type": "NodePort",
        "selector": {"app": "web"},
        "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}],
    },
}
POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "p", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"}},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}},
                    {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                ],
                "ports": [{"protocol": "TCP", "port": 80, "endPort": 90}],
            }
        ],
        "egress": [{"to": [{"namespaceSelector": {}}], "ports": [{"port": "http"}]}],
    },
}
OBJECTS = [NODE, POD, DEPLOYMENT, STATEFULSET, DAEMONSET, SERVICE, POLICY]
WRONG = [None, {}, [], -1, "x", [{}], True]
REMOVED = "<removed>"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutated(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    cur = out
    for key in path[:-1]:
        cur = cur[key]
    if value is REMOVED:
        if isinstance(cur, dict):
            del cur[path[-1]]
    else:
        cur[path[-1]] = copy.deepcopy(value)
    return out


def _outcome(doc: dict[str, Any], as_json: bool) -> str:
    text = "---\n" + json.dumps(doc) + "\n" if as_json else yaml.safe_dump(doc)
    try:
        cluster = resolve(normalize(parse_text(text.encode(), "f.yaml")))
    except InputError as exc:
        return f"error: {exc}"
    state = repr((cluster.pods, cluster.services, sorted(cluster.endpoints.items())))
    return "ok " + hashlib.sha256((state + repr(cluster.notes)).encode()).hexdigest()[:16]


def outcomes() -> str:
    lines = []
    for obj in OBJECTS:
        for n, path in enumerate(_paths(obj)):
            for value in [REMOVED, *WRONG]:
                mutated = _mutated(obj, path, value)
                shown = ".".join(map(str, path))
                lines.append(
                    f"{obj['kind']} {shown} = {value!r}: {_outcome(mutated, as_json=n % 2 == 0)}"
                )
    return "\n".join(lines) + "\n"


def test_every_error_is_located_as_before(golden: Any) -> None:
    golden("load_errors.txt", outcomes())
