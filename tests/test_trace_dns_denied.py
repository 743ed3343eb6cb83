"""``trace`` to a name when policy denies the source pod's DNS.

A pod using the cluster DNS sends its queries to the cluster DNS pods on UDP 53, and retries a
truncated answer over TCP 53 (RFC 7766). The NetworkPolicy documentation's "Default deny all
egress traffic" policy (``podSelector: {}``, ``policyTypes: [Egress]``) denies both
(https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic):
the application's lookup fails, so the trace to a name is unreachable with "DNS denied", its
``dns`` hop naming the policy. With only one protocol denied the lookup goes on, and a note
says what fails. A pod that does not use the cluster DNS (``dnsPolicy: Default``), and a
destination that needs no lookup (an IP, ``svc:``), are not affected.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of, pod, service

from podpath.analyze.trace.dispatch import trace
from podpath.analyze.trace.dns_reach import SOME_LOOKUPS, SOME_TRUNCATED, USE_VC
from podpath.cluster import Cluster

DENY_EGRESS = {"podSelector": {}, "policyTypes": ["Egress"]}
KUBE_SYSTEM = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
TO_WEB = {"to": [{"podSelector": {"matchLabels": {"app": "web"}}}]}


def policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": ns, "name": name},
        "spec": spec,
    }


def dns_egress(*protocols: str) -> dict[str, Any]:
    """Egress to the web pods, and DNS to kube-system on ``protocols``."""
    rules: list[dict[str, Any]] = [TO_WEB]
    if protocols:
        ports = [{"port": 53, "protocol": p} for p in protocols]
        rules.append({"to": [KUBE_SYSTEM], "ports": ports})
    return {"podSelector": {}, "policyTypes": ["Egress"], "egress": rules}


def coredns() -> list[dict[str, Any]]:
    dns_pod = pod("kube-system", "coredns-1", {"k8s-app": "kube-dns"}, port=53, port_name="dns")
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "kube-system", "name": "kube-dns"},
        "spec": {
            "selector": {"k8s-app": "kube-dns"},
            "clusterIP": "10.96.0.10",
            "ports": [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            ],
        },
    }
    return [dns_pod, svc]


def build(
    *objs: dict[str, Any],
    client_dns_policy: str | None = None,
    client_options: tuple[str, ...] = (),
    dns_replicas: int = 1,
) -> Cluster:
    client = pod("shop", "client", {"app": "client"})
    if client_dns_policy is not None:
        client["spec"]["dnsPolicy"] = client_dns_policy
    if client_options:
        client["spec"]["dnsConfig"] = {"options": [{"name": o} for o in client_options]}
    replicas = [
        pod("kube-system", f"coredns-{i}", {"k8s-app": "kube-dns", "replica": str(i)}, 53, "dns")
        for i in range(2, dns_replicas + 1)
    ]
    return cluster_of(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
        *coredns(),
        *replicas,
        client,
        pod("shop", "web-1", {"app": "web"}),
        service("shop", "web", {"app": "web"}),
        *objs,
    )


# (case, policies, client dnsPolicy, DST, verdict, drop, note about DNS)
CASES = [
    (
        "default deny all egress: DNS denied",
        [policy("shop", "default-deny-egress", DENY_EGRESS)],
        None,
        "web",
        "unreachable",
        "DNS denied",
        None,
    ),
    (
        "egress to the web pods only: DNS denied",
        [policy("shop", "egress", dns_egress())],
        None,
        "web.shop.svc.cluster.local",
        "unreachable",
        "DNS denied",
        None,
    ),
    (
        "DNS allowed on UDP and TCP 53",
        [policy("shop", "egress", dns_egress("UDP", "TCP"))],
        None,
        "web",
        "allowed",
        None,
        None,
    ),
    (
        "UDP 53 only: TCP denied, truncated answers fail",
        [policy("shop", "egress", dns_egress("UDP"))],
        None,
        "web",
        "allowed",
        None,
        "DNS over TCP 53 to the cluster DNS is denied",
    ),
    (
        "TCP 53 only: UDP denied, lookups time out",
        [policy("shop", "egress", dns_egress("TCP"))],
        None,
        "web",
        "allowed",
        None,
        "DNS over UDP 53 to the cluster DNS is denied",
    ),
    (
        "the DNS pods' ingress denies the client: DNS denied",
        [policy("kube-system", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})],
        None,
        "web",
        "unreachable",
        "DNS denied",
        None,
    ),
    (
        "dnsPolicy Default: the node's resolver, no cluster DNS to deny",
        [policy("shop", "egress", dns_egress())],
        "Default",
        "web",
        "unreachable",
        "no such name",
        None,
    ),
    (
        "svc: needs no lookup: egress isolation decides",
        [policy("shop", "egress", dns_egress())],
        None,
        "svc:shop/web",
        "allowed",
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("policies", "dns_policy", "dst", "verdict", "drop", "note"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_dns_denied(
    policies: list[dict[str, Any]],
    dns_policy: str | None,
    dst: str,
    verdict: str,
    drop: str | None,
    note: str | None,
) -> None:
    cluster = build(*policies, client_dns_policy=dns_policy)
    result = trace(cluster, "shop/client", dst, "80")
    assert (result.verdict, result.drop) == (verdict, drop)
    dns_notes = [n for n in result.notes if n.startswith("DNS over")]
    assert [n[: len(note)] for n in dns_notes] == ([] if note is None else [note])


def test_the_dns_hop_names_the_policy() -> None:
    cluster = build(policy("shop", "default-deny-egress", DENY_EGRESS))
    result = trace(cluster, "shop/client", "web", "80")
    assert [h.step for h in result.hops] == ["source", "dns"]
    hop = result.hops[-1]
    assert hop.objects == ("NetworkPolicy/shop/default-deny-egress",)
    assert hop.detail.startswith(
        "web: DNS denied: shop/client may send no query to the cluster DNS"
    )
    assert "kube-system/coredns-1" in hop.detail
    assert "denied by egress isolation of shop/client" in hop.detail
    assert not result.endpoints


def test_dns_denied_for_an_external_name_alias() -> None:
    alias = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "shop", "name": "payments"},
        "spec": {"type": "ExternalName", "externalName": "api.payments.example"},
    }
    cluster = build(alias, policy("shop", "default-deny-egress", DENY_EGRESS))
    result = trace(cluster, "shop/client", "svc:shop/payments", "443")
    assert (result.verdict, result.drop) == ("unreachable", "DNS denied")
    assert [h.step for h in result.hops] == ["source", "service", "dns"]


def dns_to(replica: str, *protocols: str) -> dict[str, Any]:
    """Egress to the web pods, and DNS on ``protocols`` to the DNS pod labelled ``replica``
    only (a podSelector written for one CoreDNS pod)."""
    peer = {**KUBE_SYSTEM, "podSelector": {"matchLabels": {"replica": replica}}}
    ports = [{"port": 53, "protocol": p} for p in protocols]
    return {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [TO_WEB, {"to": [peer], "ports": ports}],
    }


def dns_notes(cluster: Cluster) -> list[str]:
    result = trace(cluster, "shop/client", "web", "80")
    assert (result.verdict, result.drop) == ("allowed", None)
    return [n for n in result.notes if n.startswith("DNS over")]


# (case, egress policy, notes: (start, end)); DNS pods coredns-1 (replica "1"), coredns-2
SOME_PODS_CASES = [
    (
        "UDP and TCP to coredns-2 only",
        dns_to("2", "UDP", "TCP"),
        [("DNS over UDP and TCP 53 reaches only some cluster DNS pods: allowed to "
          "kube-system/coredns-2, denied to kube-system/coredns-1", SOME_LOOKUPS)],
    ),
    (
        "UDP to coredns-2 only, TCP to none: some lookups fail, and truncated answers",
        dns_to("2", "UDP"),
        [("DNS over TCP 53 to the cluster DNS is denied", "fail"),
         ("DNS over UDP 53 reaches only some cluster DNS pods", SOME_LOOKUPS)],
    ),
    (
        "TCP to coredns-2 only, UDP to none: UDP-first resolvers fail",
        dns_to("2", "TCP"),
        [("DNS over UDP 53 to the cluster DNS is denied", "musl has no such option)"),
         ("DNS over TCP 53 reaches only some cluster DNS pods", SOME_TRUNCATED)],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("egress", "expected"), [c[1:] for c in SOME_PODS_CASES], ids=[c[0] for c in SOME_PODS_CASES]
)
def test_dns_allowed_to_some_dns_pods_only(
    egress: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    notes = dns_notes(build(policy("shop", "egress", egress), dns_replicas=2))
    assert [
        (n[: len(start)], n[-len(end) :]) for n, (start, end) in zip(notes, expected, strict=True)
    ] == expected
    assert len(notes) == len(expected)


def test_some_dns_pods_deny_the_client_by_their_ingress() -> None:
    deny = {"podSelector": {"matchLabels": {"replica": "2"}}, "policyTypes": ["Ingress"]}
    (note,) = dns_notes(build(policy("kube-system", "lock-2", deny), dns_replicas=2))
    assert note.startswith(
        "DNS over UDP and TCP 53 reaches only some cluster DNS pods: allowed to "
        "kube-system/coredns-1, denied to kube-system/coredns-2 (denied by ingress isolation of "
        "kube-system/coredns-2"
    )
    assert "NetworkPolicy/kube-system/lock-2" in note


def test_every_dns_pod_allowed_no_note() -> None:
    assert (
        dns_notes(build(policy("shop", "egress", dns_egress("UDP", "TCP")), dns_replicas=3)) == []
    )


def test_udp_denied_note_says_why_lookups_fail() -> None:
    (note,) = dns_notes(build(policy("shop", "egress", dns_egress("TCP"))))
    assert "glibc and musl send each query over UDP first" in note
    assert "resolv.conf(5)" in note and not note.endswith(USE_VC)


def test_udp_denied_with_use_vc() -> None:
    cluster = build(policy("shop", "egress", dns_egress("TCP")), client_options=("use-vc",))
    (note,) = dns_notes(cluster)
    assert note.endswith(USE_VC)
