"""doctor's provider step (analyze/doctor/provider.py): each finding on the examples and on
small cases, each citing the provider's page; without a provider the step finds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from podpath.analyze.doctor import diagnose
from podpath.api import load_cluster
from podpath.engine.providers import choose
from podpath.engine.providers.base import Choice

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "providers"


def findings(path: Path | str, choice: Choice | None) -> dict[str, list[str]]:
    found = diagnose(load_cluster([str(path)]), steps=["provider"], provider=choice)
    out: dict[str, list[str]] = {}
    for f in found:
        out.setdefault(f.code, []).append(f"{f.severity} {f.object} {f.message}")
    return out


def test_eks_example() -> None:
    got = findings(
        EXAMPLES / "eks", choose("eks", ("vpc-cidr=10.0.0.0/16", "lb-subnets=10.0.0.0/24"))
    )
    assert sorted(got) == [
        "provider-alb-group-cross-namespace",
        "provider-alb-rule-shadowed",
        "provider-internal-by-default",
        "provider-source-ranges-ignored",
    ]
    assert got["provider-source-ranges-ignored"][0].startswith("warning Service/shop/storefront")
    assert "#lb-source-ranges" in got["provider-source-ranges-ignored"][0]
    # no sign the admin NLB was meant to be public: info
    assert got["provider-internal-by-default"][0].startswith("info Service/shop/admin")
    assert "order: shop/storefront (order 0), blog/blog (order 10)" in got[
        "provider-alb-group-cross-namespace"
    ][0].replace("this order", "order")
    assert got["provider-alb-rule-shadowed"][0].startswith("warning Ingress/blog/blog")


def test_aks_example() -> None:
    got = findings(EXAMPLES / "aks", choose("aks"))
    # a TCP probe on the NodePort, forwarded to any pod from the node's address
    health = got["provider-health-check-denied"][0]
    assert health.startswith("warning Service/web/frontend") and "forwards" in health
    assert got["provider-source-ranges-ignored"][0].startswith("warning Service/web/reports")


def test_gke_example() -> None:
    got = findings(EXAMPLES / "gke", choose("gke"))
    assert got["provider-health-check-denied"][0].startswith("error Ingress/store/web")
    assert "35.191.0.0/16, 130.211.0.0/22" in got["provider-health-check-denied"][0]
    assert got["provider-lb-traffic-denied"][0].startswith("error Ingress/store/web")


def test_without_a_provider_the_step_finds_nothing() -> None:
    assert findings(EXAMPLES / "eks", None) == {}


LB = """
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {{name: n1}}
  status: {{addresses: [{{type: InternalIP, address: 10.0.1.1}}]}}
- apiVersion: v1
  kind: Node
  metadata: {{name: n2}}
  status: {{addresses: [{{type: InternalIP, address: 10.0.1.2}}]}}
- apiVersion: v1
  kind: Pod
  metadata: {{name: p, namespace: default, labels: {{app: a}}}}
  spec: {{nodeName: n1, containers: [{{name: c, image: i, ports: [{{containerPort: 8080}}]}}]}}
  status: {{podIP: 10.0.100.5}}
- apiVersion: v1
  kind: Service
  metadata: {{name: s, namespace: default, annotations: {{{annotations}}}}}
  spec:
    type: LoadBalancer
    loadBalancerClass: service.k8s.aws/nlb
    externalTrafficPolicy: {etp}
    selector: {{app: a}}
    ports: [{{port: 80, targetPort: 8080, nodePort: 30080}}]
    loadBalancerSourceRanges: [{ranges}]
"""


@pytest.mark.parametrize(
    ("annotations", "etp", "ranges", "code", "severity"),
    [
        ("", "Local", "10.0.0.0/8", "provider-local-nodes-without-endpoint", "warning"),
        ("", "Cluster", "34.120.0.0/16", "provider-internal-by-default", "warning"),
        ("", "Cluster", "10.0.0.0/8", "provider-internal-by-default", "info"),
        (
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip",
            "Cluster",
            "10.0.0.0/8",
            "provider-source-ranges-ignored",
            "warning",
        ),
    ],
)
def test_small_cases(
    tmp_path: Path, annotations: str, etp: str, ranges: str, code: str, severity: str
) -> None:
    (tmp_path / "c.yaml").write_text(LB.format(annotations=annotations, etp=etp, ranges=ranges))
    got = findings(tmp_path, choose("eks", ("vpc-cidr=10.0.0.0/16",)))
    assert got[code][0].startswith(f"{severity} Service/default/s"), got


def test_local_with_no_endpoint_at_all_is_an_error(tmp_path: Path) -> None:
    text = LB.format(annotations="", etp="Local", ranges="10.0.0.0/8").replace(
        "app: a}}}}", "app: b}}"
    )
    text = LB.format(annotations="", etp="Local", ranges="10.0.0.0/8").replace(
        "selector: {app: a}", "selector: {app: nothing}"
    )
    (tmp_path / "c.yaml").write_text(text)
    got = findings(tmp_path, choose("eks"))
    assert got["provider-local-nodes-without-endpoint"][0].startswith("error")


def test_health_checks_the_policy_admits_are_not_reported(tmp_path: Path) -> None:
    text = LB.format(
        annotations="service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip",
        etp="Cluster",
        ranges="10.0.0.0/8",
    )
    deny = """
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: only, namespace: default}
  spec:
    podSelector: {}
    ingress: [{from: [{ipBlock: {cidr: CIDR}}]}]
"""
    (tmp_path / "c.yaml").write_text(text + deny.replace("CIDR", "10.0.0.0/16"))
    assert "provider-health-check-denied" not in findings(
        tmp_path, choose("eks", ("vpc-cidr=10.0.0.0/16",))
    )
    (tmp_path / "c.yaml").write_text(text + deny.replace("CIDR", "10.0.100.0/24"))
    got = findings(tmp_path, choose("eks", ("vpc-cidr=10.0.0.0/16",)))
    assert got["provider-health-check-denied"][0].startswith("error Service/default/s")
    assert "from 10.0.0.1" in got["provider-health-check-denied"][0]
