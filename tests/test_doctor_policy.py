"""Doctor checklist steps 3 (DNS egress) and 5 (NetworkPolicy), the baseline, symptom mode
and --fix: each check fires on a broken scenario and stays quiet on the fixed one."""

from __future__ import annotations

import pytest

from doctor_helpers import cluster_of, codes, pod, service
from podpath.analyze.doctor import diagnose
from podpath.analyze.doctor.context import BaselineConfig
from podpath.analyze.doctor.fix import propose_all, with_policy
from podpath.analyze.doctor.symptom import symptom
from podpath.engine.policy import evaluate
from podpath.engine.policy_verdict import PodPeer
from podpath.model.core import Protocol

COREDNS = pod(
    "coredns-1",
    ns="kube-system",
    labels="k8s-app: kube-dns",
    ports="{containerPort: 53, protocol: UDP, name: dns}, {containerPort: 53, name: dns-tcp}",
    extra="\n  dnsPolicy: Default",
) + service(
    "kube-dns",
    ns="kube-system",
    selector="k8s-app: kube-dns",
    ports="{port: 53, protocol: UDP, name: dns}, {port: 53, name: dns-tcp}",
)


def policy(name: str, spec: str, ns: str = "shop") -> str:
    return f"""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}, namespace: {ns}}}
spec:
{spec}
"""


DENY_ALL = policy("deny-all", "  podSelector: {}\n  policyTypes: [Ingress, Egress]")
ALLOW_DNS = policy(
    "allow-dns",
    """  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]""",
)
ALLOW_DNS_UDP = ALLOW_DNS.replace(", {protocol: TCP, port: 53}", "")
WEB = pod("web-1", ports="{containerPort: 8080, name: http}")
API = pod("api-1", labels="app: api", ports="{containerPort: 9000, name: http}") + service(
    "api", selector="app: api", ports="{port: 80, targetPort: http}"
)


def ingress_policy(port: str, peer: str = "podSelector: {matchLabels: {app: web}}") -> str:
    return policy(
        "api-from-web",
        f"""  podSelector: {{matchLabels: {{app: api}}}}
  ingress:
  - from: [{{{peer}}}]
    ports: [{{port: {port}}}]""",
    )


CASES = [
    (
        "dns-egress",
        WEB + COREDNS + DENY_ALL,
        WEB + COREDNS + DENY_ALL + ALLOW_DNS,
        ("dns-egress-blocked", "Pod/shop/web-1"),
    ),
    (
        "dns-egress-assumed-coredns",
        WEB + DENY_ALL,
        WEB + DENY_ALL + ALLOW_DNS,
        ("dns-egress-blocked", "Pod/shop/web-1"),
    ),
    (
        "policy-selects-no-pods",
        WEB + policy("p", "  podSelector: {matchLabels: {app: wbe}}"),
        WEB + policy("p", "  podSelector: {matchLabels: {app: web}}"),
        ("policy-selects-no-pods", "NetworkPolicy/shop/p"),
    ),
    (
        "namespace-selector",
        WEB + API + ingress_policy("9000", "namespaceSelector: {matchLabels: {team: nobody}}"),
        WEB
        + API
        + ingress_policy(
            "9000", "namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}"
        ),
        ("policy-namespace-selector-matches-nothing", "NetworkPolicy/shop/api-from-web"),
    ),
    (
        "peer-typo",
        WEB + API + ingress_policy("9000", "podSelector: {matchLabels: {app: webb}}"),
        WEB + API + ingress_policy("9000"),
        ("policy-peer-matches-no-pods", "NetworkPolicy/shop/api-from-web"),
    ),
    (
        "named-port-nobody-has",
        WEB + API + ingress_policy("metrics"),
        WEB + API + ingress_policy("http"),
        ("policy-rule-never-matches", "NetworkPolicy/shop/api-from-web"),
    ),
    (
        "except-covers-cidr",
        WEB
        + API
        + ingress_policy("9000", "ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/9, 10.128.0.0/9]}"),
        WEB + API + ingress_policy("9000", "ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}"),
        ("policy-rule-never-matches", "NetworkPolicy/shop/api-from-web"),
    ),
    (
        "service-port-in-policy",
        WEB + API + ingress_policy("80"),
        WEB + API + ingress_policy("9000"),
        ("policy-allows-service-port", "NetworkPolicy/shop/api-from-web"),
    ),
]


@pytest.mark.parametrize("name,broken,fixed,expected", CASES, ids=[c[0] for c in CASES])
def test_check_fires_and_stays_quiet(
    name: str, broken: str, fixed: str, expected: tuple[str, str]
) -> None:
    assert expected in codes(broken)
    assert not {c for c in codes(fixed) if c[0] == expected[0]}


def test_dns_tcp_only_missing_is_a_warning() -> None:
    found = diagnose(cluster_of(WEB + COREDNS + DENY_ALL + ALLOW_DNS_UDP))
    (f,) = [f for f in found if f.code == "dns-egress-blocked"]
    assert (
        f.severity.value == "warning"
        and "TCP 53" in f.message
        and "UDP" not in f.message.split("denied on")[1][:10]
    )


def _in_ns(text: str, ns: str) -> str:
    return text.replace("namespace: shop", f"namespace: {ns}")


def test_same_pair_differs_across_namespaces() -> None:
    owned_web = WEB.replace(
        "metadata: {",
        "metadata: {ownerReferences: [{kind: ReplicaSet, name: web, controller: true}], ",
    )
    owned_api = pod("api-1", labels="app: api", ports="{containerPort: 9000}").replace(
        "metadata: {",
        "metadata: {ownerReferences: [{kind: ReplicaSet, name: api, controller: true}], ",
    )
    allow = ingress_policy("9000")
    deny = policy("deny", "  podSelector: {}\n  policyTypes: [Ingress]")
    broken = owned_web + owned_api + allow + deny + _in_ns(owned_web + owned_api + deny, "staging")
    fixed = broken + _in_ns(allow, "staging")
    assert ("policy-differs-across-namespaces", "ReplicaSet/staging/api") in codes(broken)
    assert not {c for c in codes(fixed) if c[0] == "policy-differs-across-namespaces"}


SENSITIVE_NS = """
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {podpath.io/sensitive: "true"}}
"""
PROM = pod("prom-1", ns="monitoring", labels="app: prometheus")
METRICS_POD = pod(
    "web-1", ports="{containerPort: 8080, name: http}, {containerPort: 9100, name: metrics}"
)
ALLOW_MON = policy(
    "allow-monitoring",
    """  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    ports: [{port: metrics}]""",
)
ALLOW_ALL_IN = policy("allow-all-in", "  podSelector: {}\n  ingress: [{}]")


def test_baseline() -> None:
    broken = SENSITIVE_NS + METRICS_POD + PROM + pod("x-1", ns="other", labels="app: x")
    found = codes(broken)
    assert ("baseline-no-default-deny-ingress", "Namespace/shop") in found
    assert ("baseline-no-default-deny-egress", "Namespace/shop") in found
    # without default deny everything is admitted: said once, not per pod
    assert not {c for c in found if c[0] == "baseline-unapproved-ingress"}
    denied = codes(broken + DENY_ALL)
    assert ("baseline-monitoring-blocked", "Pod/shop/web-1") in denied
    fixed = codes(broken + DENY_ALL + ALLOW_DNS + ALLOW_MON)
    assert not {
        c for c in fixed if c[0].startswith("baseline-") and c[0] != "baseline-health-checks"
    }
    assert ("baseline-unapproved-ingress", "Pod/shop/web-1") in codes(
        broken + DENY_ALL + ALLOW_ALL_IN
    )
    approved = BaselineConfig(approved_namespaces=("other",))
    assert not {
        f
        for f in diagnose(cluster_of(broken + DENY_ALL + ALLOW_ALL_IN), baseline=approved)
        if f.code == "baseline-unapproved-ingress"
    }
    assert ("baseline-no-default-deny-ingress", "Namespace/other") in codes(
        broken, BaselineConfig(sensitive_namespaces=("other",))
    )


def test_symptom_ranks_the_deciding_policy_first_and_fix_is_verified() -> None:
    cluster = cluster_of(WEB + API + ingress_policy("80"))
    found = diagnose(cluster)
    result = symptom(cluster, found, "shop/web-1", "svc:shop/api", "80")
    assert result.result.verdict == "denied"
    assert result.findings[0].code == "policy-allows-service-port"
    web, api = cluster.pod_by_key["shop/web-1"], cluster.pod_by_key["shop/api-1"]
    verdict = evaluate(cluster, PodPeer(web), PodPeer(api), 9000, Protocol.TCP)
    (fix,) = propose_all(cluster, [verdict])
    assert fix.verified and fix.manifest["metadata"]["namespace"] == "shop"
    spec = fix.manifest["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app": "api"}}
    assert spec["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 9000}]
    patched = with_policy(cluster, fix.manifest)
    assert evaluate(patched, PodPeer(web), PodPeer(api), 9000, Protocol.TCP).allowed
    # exactly that traffic: another port stays denied
    assert not evaluate(patched, PodPeer(web), PodPeer(api), 9001, Protocol.TCP).allowed


def test_fix_for_egress_and_ingress_denials() -> None:
    cluster = cluster_of(WEB + API + DENY_ALL)
    web, api = cluster.pod_by_key["shop/web-1"], cluster.pod_by_key["shop/api-1"]
    verdict = evaluate(cluster, PodPeer(web), PodPeer(api), 9000, Protocol.TCP)
    fixes = propose_all(cluster, [verdict])
    assert [f.manifest["spec"]["policyTypes"] for f in fixes] == [["Egress"], ["Ingress"]]
    assert all(f.verified for f in fixes)


def test_differences_are_grouped_per_destination_workload() -> None:
    """Two ports allowed in shop and denied in staging: one finding on staging's api that
    names both connections, not one per port."""
    owned_web = WEB.replace(
        "metadata: {",
        "metadata: {ownerReferences: [{kind: ReplicaSet, name: web, controller: true}], ",
    )
    owned_api = pod(
        "api-1", labels="app: api", ports="{containerPort: 9000}, {containerPort: 9001}"
    ).replace(
        "metadata: {",
        "metadata: {ownerReferences: [{kind: ReplicaSet, name: api, controller: true}], ",
    )
    allow = policy(
        "api-from-web",
        """  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]""",
    )
    deny = policy("deny", "  podSelector: {}\n  policyTypes: [Ingress]")
    text = owned_web + owned_api + allow + deny + _in_ns(owned_web + owned_api + deny, "staging")
    found = [f for f in diagnose(cluster_of(text)) if f.code == "policy-differs-across-namespaces"]
    assert [f.object for f in found] == ["ReplicaSet/staging/api"]
    assert found[0].message.startswith("2 connections differ: web -> api on 9000/TCP is allowed")
    assert found[0].message.endswith("; also web -> api on 9001/TCP")
    assert found[0].impact == 20
