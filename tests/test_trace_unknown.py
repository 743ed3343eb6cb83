"""trace's ``unknown`` verdict (issue 13): a Service whose pods an operator creates from a kind
podpath skips has no endpoints in the input, and the trace says the input cannot decide, as
doctor's ``unknown`` finding for the Service does. kube-prometheus's Prometheus ``k8s`` and
Alertmanager ``main`` (tests/real/kube-prometheus) create the pods behind ``prometheus-k8s``
and ``alertmanager-main`` (prometheus-operator documentation, "Prometheus" resource)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from podpath.cli import main

KP = Path(__file__).parent / "real" / "kube-prometheus"


def _trace(*args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as info:
        main(["trace", *args, "--format", "json"])
    return int(info.value.code or 0), json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("to", "port", "creator"),
    [
        ("svc:monitoring/prometheus-k8s", "9090", "Prometheus/monitoring/k8s"),
        ("svc:monitoring/alertmanager-main", "9093", "Alertmanager/monitoring/main"),
        ("prometheus-k8s.monitoring:9090", None, "Prometheus/monitoring/k8s"),
    ],
)
def test_a_service_of_operator_pods_is_unknown(to: str, port: str | None, creator: str) -> None:
    args = ["-f", str(KP), "--from", "monitoring/grafana", "--to", to]
    code, data = _trace(*args, *(["--port", port] if port else []))
    assert code == 0
    assert data["verdict"] == "unknown"
    assert data["drop"] == f"pods not in the input, likely created by {creator}"


def _service(tmp_path: Path, selector: dict[str, str], creator_labels: dict[str, str]) -> Path:
    objs = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client", "labels": {"a": "b"}},
         "spec": {"containers": [{"name": "c"}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
         "spec": {"containers": [{"name": "c"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
         "spec": {"selector": selector, "ports": [{"port": 80}]}},
        {"apiVersion": "example.com/v1", "kind": "Database",
         "metadata": {"name": "db", "labels": creator_labels}},
    ]  # fmt: skip
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objs}))
    return path


@pytest.mark.parametrize(
    ("selector", "creator_labels", "verdict"),
    [
        ({"app": "db"}, {"app": "db"}, "unknown"),  # the custom resource's own labels
        ({"tier": "database"}, {}, "unknown"),  # a creator in the namespace, no near miss
        ({"app": "wep"}, {}, "unreachable"),  # a typo of the pod's app=web explains it better
        ({"app": "web"}, {}, "allowed"),  # the pod is in the input: decided
    ],
)
def test_unknown_follows_doctor_rule(
    tmp_path: Path, selector: dict[str, str], creator_labels: dict[str, str], verdict: str
) -> None:
    path = _service(tmp_path, selector, creator_labels)
    _, data = _trace("-f", str(path), "--from", "default/client", "--to", "svc:default/s",
                     "--port", "80")  # fmt: skip
    assert data["verdict"] == verdict
