"""``podpath route`` and ``podpath routes`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from podpath.cli import main
from routing_helpers import app, ingress, ingress_class, pod, rule, service

OBJS = [
    ingress_class("nginx"),
    pod(
        "ingress-nginx",
        "ctrl",
        {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    ),
    service(
        "ingress-nginx",
        "ingress-nginx-controller",
        {"app.kubernetes.io/name": "ingress-nginx"},
        type_="LoadBalancer",
    ),
    *app("shop", "web"),
    ingress(
        "shop", "web", [rule("shop.example.com", ("/", "Prefix", "web"), ("/api", "Exact", "api"))]
    ),
    {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"namespace": "infra", "name": "gw"},
        "spec": {
            "gatewayClassName": "eg",
            "listeners": [
                {
                    "name": "http",
                    "protocol": "HTTP",
                    "port": 80,
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                }
            ],
        },
    },
    {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"namespace": "shop", "name": "web"},
        "spec": {
            "parentRefs": [{"name": "gw", "namespace": "infra"}],
            "hostnames": ["shop.example.com"],
            "rules": [
                {
                    "backendRefs": [
                        {"name": "web", "port": 80, "weight": 90},
                        {"name": "nope", "port": 80, "weight": 10},
                    ]
                }
            ],
        },
    },
]


@pytest.fixture()
def manifest(tmp_path: Path) -> str:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump_all(OBJS))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_route_single_entry_point_has_design_shape(
    manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "route",
        "-f",
        manifest,
        "http://shop.example.com/x",
        "--gateway",
        "infra/gw",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0
    assert list(data) == ["url", "answers"]
    assert data["url"] == "http://shop.example.com/x"
    (answer,) = data["answers"]
    assert list(answer) == [
        "entry_point",
        "status",
        "backend",
        "backends",
        "endpoints",
        "path",
        "location",
        "canary",
        "match",
        "tls",
        "filters",
        "backend_tls",
        "response_headers",
        "why",
        "not_modelled",
    ]
    assert answer["status"] == 200
    assert answer["match"] == {
        "kind": "HTTPRoute",
        "object": "shop/web",
        "rule": 0,
        "detail": "path / (PathPrefix)",
    }
    assert answer["backend"] == {"service": "shop/web", "port": 80}
    assert answer["endpoints"] == ["shop/web-1"]
    assert answer["backends"] == [
        {"service": "shop/web", "port": 80, "weight": 90},
        {"status": 500, "weight": 10},
    ]
    assert (answer["path"], answer["location"], answer["canary"]) == ("/x", None, False)


def test_route_several_entry_points_answers_list(
    manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "route", "-f", manifest, "http://shop.example.com/api", "--format", "json"
    )
    data = json.loads(out)
    assert [a["entry_point"] for a in data["answers"]] == ["IngressClass/nginx", "Gateway/infra/gw"]
    # Service shop/api does not exist: ingress-nginx's upstream has no endpoints -> 503
    assert data["answers"][0]["status"] == 503
    assert data["answers"][0]["backend"] is None


def test_route_ingress_class_named_port_and_table(
    manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "route",
        "-f",
        manifest,
        "http://shop.example.com/",
        "--ingress-class",
        "nginx",
        "--header",
        "X-Env: canary",
    )
    assert code == 0 and "IngressClass/nginx: 200" in out and "shop/web:80" in out


@pytest.mark.parametrize(
    "args",
    [
        ("ftp://x/",),
        ("http://x/", "--gateway", "infra/none"),
        ("http://x/", "--gateway", "infra/gw", "--ingress-class", "nginx"),
        ("http://x/", "--header", "nocolon"),
        ("http://x/", "--cookie", "novalue"),
        ("http://x/", "--client-ip", "not-an-ip"),
    ],
)
def test_route_bad_input_exits_2(
    manifest: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, _, err = run(capsys, "route", "-f", manifest, *args)
    assert code == 2 and err.startswith("podpath: error:")


def test_route_nothing_serves(manifest: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "route", "-f", manifest, "https://unknown.org/", "--format", "json")
    (answer,) = json.loads(out)["answers"]
    assert (code, answer["status"], answer["entry_point"], answer["path"]) == (0, 404, None, None)


@pytest.mark.parametrize("fmt", ["table", "json", "md"])
def test_routes_formats(manifest: str, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "routes", "-f", manifest, "--format", fmt)
    assert code == 0
    if fmt == "json":
        data = json.loads(out)
        assert {r["entry_point"] for r in data["routes"]} == {
            "IngressClass/nginx",
            "Gateway/infra/gw/http",
        }
        (st,) = data["route_status"]
        assert (st["accepted"], st["resolved_reason"]) == (True, "BackendNotFound")
    else:  # Markdown cells escape raw HTML (render/escape.py md_escape): > is &gt; there
        arrow = "-&gt;" if fmt == "md" else "->"
        assert f"shop/web:80 {arrow} shop/web-1" in out and "BackendNotFound" in out


def test_entry_points_find_controller_and_lb(manifest: str) -> None:
    from podpath.api import load_cluster
    from podpath.engine.entrypoints import entry_points

    eps = {e.label: e for e in entry_points(load_cluster([manifest]))}
    nginx = eps["IngressClass/nginx"]
    assert nginx.pods == ("ingress-nginx/ctrl",)
    assert nginx.services == ("ingress-nginx/ingress-nginx-controller",) and nginx.addresses
    override = entry_points(load_cluster([manifest]), ingress_controller="shop/app=web")
    assert override[0].pods == ("shop/web-1",)
