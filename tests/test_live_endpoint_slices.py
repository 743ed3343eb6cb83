"""Live mode reads EndpointSlices; a Service's core/v1 Endpoints count only when it has no
slice (the Endpoints API is deprecated in Kubernetes 1.33, and the mirroring controller copies
Endpoints into slices). ServiceCIDRs are read too (KEP-1880).
https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#endpointslice-mirroring
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fake_apiserver import FakeApiServer, fake_apiserver
from test_live import run

__all__ = ["fake_apiserver"]


def _service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "shop", "name": name},
        "spec": {
            "clusterIP": "10.0.0.20" if name == "sliced" else "10.0.0.21",
            "ports": [{"port": 80, "targetPort": 8080}],
        },
    }


def _endpoints(name: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"namespace": "shop", "name": name},
        "subsets": [{"addresses": [{"ip": ip}], "ports": [{"port": 8080}]}],
    }


def _slice(service: str, ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "namespace": "shop",
            "name": f"{service}-abcde",
            "labels": {"kubernetes.io/service-name": service},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        "ports": [{"port": 8080}],
    }


OBJECTS = [
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "ServiceCIDR",
        "metadata": {"name": "kubernetes"},
        "spec": {"cidrs": ["10.0.0.0/24"]},
    },
    _service("sliced"),
    _slice("sliced", "198.51.100.1"),
    _endpoints("sliced", "198.51.100.99"),  # stale: the slice wins
    _service("legacy"),
    _endpoints("legacy", "198.51.100.2"),  # no slice: the Endpoints are used
]


def _services(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run(["services", *args, "-A", "--format", "json"], capsys)
    assert code == 0, err
    return {s["service"]: s for s in json.loads(out)["services"]}


def test_live_reads_slices_and_endpoints_only_without_slices(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver(OBJECTS)
    kubeconfig = server.write_kubeconfig(tmp_path / "kc")
    live = _services(["--kubeconfig", str(kubeconfig)], capsys)
    text = json.dumps(live)
    assert "198.51.100.1" in text and "198.51.100.2" in text
    assert "198.51.100.99" not in text
    files = tmp_path / "objects.json"
    files.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": OBJECTS}))
    assert _services(["-f", str(files)], capsys) == live


def test_live_service_cidrs_allocate_and_check_cluster_ips(
    fake_apiserver: type[FakeApiServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = fake_apiserver([*OBJECTS, {**_service("other"), "spec": {"ports": [{"port": 80}]}}])
    kubeconfig = server.write_kubeconfig(tmp_path / "kc")
    live = _services(["--kubeconfig", str(kubeconfig)], capsys)
    assert live["shop/other"]["cluster_ips"] == ["10.0.0.2"]
    assert live["default/kubernetes"]["cluster_ips"] == ["10.0.0.1"]
