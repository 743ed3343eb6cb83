"""route, report and Gateway entry points with a provider profile (route's
``load_balancer``, report's ``load_balancers``, a GKE Gateway end to end)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from podpath.analyze.trace.dispatch import trace
from podpath.api import load_cluster
from podpath.cli import cli
from podpath.engine.providers import choose
from podpath.engine.providers.eks import eks_gateway
from podpath.model.gateway import Gateway, GatewayClass

ROOT = Path(__file__).resolve().parents[1]
EKS = ROOT / "examples" / "providers" / "eks"
SHOP = ROOT / "examples" / "shop"


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_route_alb_group_answer() -> None:
    data = invoke(
        "route",
        "-f",
        str(EKS),
        "http://www.example.com/blog/x",
        "--client-ip",
        "203.0.113.9",
        "--provider",
        "eks",
        "--format",
        "json",
    )
    (answer,) = data["answers"]
    lb = answer["load_balancer"]
    assert answer["match"]["object"] == "shop/storefront"
    assert lb["name"] == "ALB of IngressGroup public"
    assert lb["ingresses"] == ["shop/storefront (order 0)", "blog/blog (order 10)"]
    assert lb["ingress_api_match"] == "Ingress/blog/blog rule 0"
    assert (lb["scheme"], lb["target"], lb["client_admitted"]) == ("internet-facing", "ip", True)
    assert any("#group.name" in d for d in lb["docs"])


def test_route_without_provider_has_no_load_balancer() -> None:
    data = invoke(
        "route",
        "-f",
        str(EKS),
        "http://www.example.com/blog/x",
        "--provider",
        "none",
        "--format",
        "json",
    )
    assert "load_balancer" not in data["answers"][0]
    assert data["answers"][0]["match"]["object"] == "blog/blog"  # the Ingress API's answer


def test_route_names_the_load_balancer_in_front_of_a_controller() -> None:
    data = invoke(
        "route",
        "-f",
        str(SHOP),
        "https://shop.example.com/",
        "--provider",
        "eks",
        "--format",
        "json",
    )
    fronts = [a["load_balancer"] for a in data["answers"] if a.get("load_balancer")]
    assert fronts, data
    assert fronts[0]["implementation"] == "in-tree AWS cloud provider Classic ELB"
    assert fronts[0]["client_admitted"] is None  # no --client-ip


def test_report_load_balancers() -> None:
    data = invoke("report", "-f", str(EKS), "--provider", "eks", "--format", "json")
    rows = {(r["object"], r["service"]): r for r in data["load_balancers"]}
    nlb = rows[("Service/shop/storefront", "shop/storefront")]
    assert (nlb["target"], nlb["source_ranges_ignored"]) == ("ip", "client IP preservation is off")
    assert rows[("Ingress/blog/blog", "blog/blog")]["scheme"] == "internet-facing"  # the group's
    assert any(f["code"] == "provider-alb-rule-shadowed" for f in data["findings"])
    generic = invoke("report", "-f", str(EKS), "--provider", "none", "--format", "json")
    assert "load_balancers" not in generic


GKE_GATEWAY = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: gke-a, labels: {cloud.google.com/gke-nodepool: p}}
  status: {addresses: [{type: InternalIP, address: 10.128.0.2}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-0, namespace: default, labels: {app: web}}
  spec: {nodeName: gke-a, containers: [{name: w, image: w, ports: [{containerPort: 8080}]}]}
  status: {podIP: 10.4.0.3}
- apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: default}
  spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
- apiVersion: gateway.networking.k8s.io/v1
  kind: GatewayClass
  metadata: {name: gke-l7-rilb}
  spec: {controllerName: networking.gke.io/gateway}
- apiVersion: gateway.networking.k8s.io/v1
  kind: Gateway
  metadata: {name: internal, namespace: default}
  spec:
    gatewayClassName: gke-l7-rilb
    listeners: [{name: http, protocol: HTTP, port: 80}]
- apiVersion: gateway.networking.k8s.io/v1
  kind: HTTPRoute
  metadata: {name: web, namespace: default}
  spec:
    parentRefs: [{name: internal}]
    hostnames: [app.internal.example]
    rules: [{backendRefs: [{name: web, port: 80}]}]
"""


def test_gke_gateway_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GKE_GATEWAY)
    cluster = load_cluster([str(tmp_path)])
    choice = choose("gke")
    outside = trace(cluster, "internet", "http://app.internal.example/", None, None, choice)
    assert (outside.verdict, outside.drop) == ("unreachable", "no route")
    inside = trace(cluster, "10.130.0.9", "http://app.internal.example/", None, None, choice)
    assert inside.verdict == "allowed"
    # the regional internal Application Load Balancer sends from the proxy-only subnet
    assert {e.source_ips for e in inside.endpoints} == {("10.129.0.1",)}
    data = invoke(
        "route",
        "-f",
        str(tmp_path),
        "http://app.internal.example/",
        "--client-ip",
        "203.0.113.1",
        "--provider",
        "gke",
        "--format",
        "json",
    )
    lb = data["answers"][0]["load_balancer"]
    assert (lb["scheme"], lb["target"], lb["client_admitted"]) == ("internal", "NEG", False)
    report = invoke("report", "-f", str(tmp_path), "--provider", "gke", "--format", "json")
    assert [r["object"] for r in report["load_balancers"]] == ["HTTPRoute/default/web"]


def test_eks_gateway_classes() -> None:
    params = choose("eks").params
    alb = eks_gateway(Gateway("d", "g", "c"), GatewayClass("c", "gateway.k8s.aws/alb"), params)
    nlb = eks_gateway(Gateway("d", "g", "c"), GatewayClass("c", "gateway.k8s.aws/nlb"), params)
    assert alb is not None and nlb is not None
    assert (alb.scheme, alb.target, alb.seen.value) == ("internal", "instance", "load-balancer")
    assert nlb.seen.value == "client"
    assert eks_gateway(Gateway("d", "g", "c"), GatewayClass("c", "x/y"), params) is None
