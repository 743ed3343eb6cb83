"""Conformance cases for cluster DNS and a pod's resolver configuration.

Sources (cases in our own words and data):
- DNS-based service discovery specification, schema 1.1.0
  (github.com/kubernetes/dns docs/specification.md): 2.3 ClusterIP records, 2.4 headless
  records (ready endpoints only, hostname records, SRV to the endpoint's port), 2.5
  ExternalName CNAME, 2.6 pod A records.
- DNS for Services and Pods (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/):
  StatefulSet pods get ``<hostname>.<subdomain>`` records through a headless Service named by
  the subdomain; dnsPolicy ClusterFirst / ClusterFirstWithHostNet / Default / None; dnsConfig.
- kubelet pkg/kubelet/network/dns/dns.go: ``getPodDNSType`` (ClusterFirst on the host network
  falls back to Default), ``appendDNSConfig`` (nameservers and searches appended without
  duplicates), ``mergeDNSOptions`` (an option with an empty value is written as its bare name),
  ``formDNSConfigFitsLimits`` (3 nameservers, 32 search domains).
- glibc resolv: ``res_nsearch`` (as-is first when dots >= ndots, trailing dot = as-is only) and
  ``ndots`` capped at 15 (RES_MAXNDOTS).
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.routing_helpers import cluster_of

from podpath.cluster import Cluster
from podpath.engine.dns import NOERROR, NXDOMAIN, build_zone
from podpath.engine.resolver import lookup, pod_resolv_conf, resolve, search_candidates

Z = "cluster.local."


def pod(name: str, **spec: Any) -> dict[str, Any]:
    ready = spec.pop("ready", True)
    ip = spec.pop("ip")
    labels = spec.pop("labels", {"app": "web"})
    spec.setdefault(
        "containers", [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"namespace": "default", "name": name, "labels": labels},
        "spec": spec,
        "status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def headless(**spec: Any) -> dict[str, Any]:
    spec.setdefault("selector", {"app": "web"})
    spec.setdefault("ports", [{"name": "http", "port": 80, "targetPort": "http"}])
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "default", "name": "web"},
        "spec": {"clusterIP": "None", **spec},
    }


def answer(c: Cluster, name: str, qtype: str = "A") -> tuple[str, list[str]]:
    ans = lookup(build_zone(c), name, qtype)
    return ans.rcode, sorted(r.data for r in ans.records)


STATEFUL = [
    {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"namespace": "default", "name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 2,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "containers": [{"name": "c", "ports": [{"name": "pg", "containerPort": 5432}]}]
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "default", "name": "db"},
        "spec": {
            "clusterIP": "None",
            "selector": {"app": "db"},
            "ports": [{"name": "pg", "port": 5432}],
        },
    },
]

HEADLESS_PODS = [
    pod("a", ip="10.244.0.10", hostname="a0", subdomain="web"),
    pod("b", ip="10.244.0.11", ready=False),
]

# (id, objects, question, type, rcode, sorted data)
RECORD_CASES: list[tuple[str, list[dict[str, Any]], str, str, str, list[str]]] = [
    (
        "2.4.1 ready endpoints only",
        [*HEADLESS_PODS, headless()],
        f"web.default.svc.{Z}",
        "A",
        NOERROR,
        ["10.244.0.10"],
    ),
    (
        "2.4.1 publishNotReadyAddresses publishes not-ready pods",
        [*HEADLESS_PODS, headless(publishNotReadyAddresses=True)],
        f"web.default.svc.{Z}",
        "A",
        NOERROR,
        ["10.244.0.10", "10.244.0.11"],
    ),
    (
        "2.4.1 hostname record",
        [*HEADLESS_PODS, headless()],
        f"a0.web.default.svc.{Z}",
        "A",
        NOERROR,
        ["10.244.0.10"],
    ),
    (
        "2.4.2 SRV to endpoint hostname and target port",
        [*HEADLESS_PODS, headless()],
        f"_http._tcp.web.default.svc.{Z}",
        "SRV",
        NOERROR,
        [f"0 100 8080 a0.web.default.svc.{Z}"],
    ),
    (
        "2.4.3 PTR of a headless endpoint",
        [*HEADLESS_PODS, headless()],
        "10.0.244.10.in-addr.arpa.",
        "PTR",
        NOERROR,
        [f"a0.web.default.svc.{Z}"],
    ),
    (
        "2.4.1 no ready endpoint: no such name",
        [pod("b", ip="10.244.0.11", ready=False), headless()],
        f"web.default.svc.{Z}",
        "A",
        NXDOMAIN,
        [],
    ),
    (
        "StatefulSet pod hostname.subdomain",
        STATEFUL,
        f"db-1.db.default.svc.{Z}",
        "A",
        NOERROR,
        ["<ip>"],
    ),
    (
        "2.5 ExternalName CNAME",
        [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"namespace": "default", "name": "ext"},
                "spec": {"type": "ExternalName", "externalName": "db.example.com"},
            }
        ],
        f"ext.default.svc.{Z}",
        "CNAME",
        NOERROR,
        ["db.example.com."],
    ),
    (
        "2.6 pod A record",
        [*HEADLESS_PODS],
        f"10-244-0-11.default.pod.{Z}",
        "A",
        NOERROR,
        ["10.244.0.11"],
    ),
    (
        "2.6 pod record, unknown namespace",
        [*HEADLESS_PODS],
        f"10-244-0-11.nope.pod.{Z}",
        "A",
        NXDOMAIN,
        [],
    ),
    ("2.2 schema version", [], f"dns-version.{Z}", "TXT", NOERROR, ['"1.1.0"']),
]


@pytest.mark.parametrize(
    ("objs", "name", "qtype", "rcode", "data"),
    [c[1:] for c in RECORD_CASES],
    ids=[c[0] for c in RECORD_CASES],
)
def test_records(
    objs: list[dict[str, Any]], name: str, qtype: str, rcode: str, data: list[str]
) -> None:
    c = cluster_of(*objs)
    if data == ["<ip>"]:
        data = [c.pod_by_key["default/db-1"].ips[0]]
    assert answer(c, name, qtype) == (rcode, data)


def test_manual_slice_not_ready_is_not_published_even_with_publish_flag() -> None:
    """CoreDNS reads ``conditions.ready`` from the slice; ``publishNotReadyAddresses`` is the
    EndpointSlice controller's input, not CoreDNS's."""
    svc = headless(publishNotReadyAddresses=True)
    del svc["spec"]["selector"]
    eslice = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "namespace": "default",
            "name": "web-x",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080}],
        "endpoints": [
            {"addresses": ["10.9.0.1"], "conditions": {"ready": True}},
            {"addresses": ["10.9.0.2"], "conditions": {"ready": False}},
        ],
    }
    assert answer(cluster_of(svc, eslice), f"web.default.svc.{Z}") == (NOERROR, ["10.9.0.1"])


# -- resolv.conf -----------------------------------------------------------------------------


def conf_of(spec: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str]:
    c = cluster_of(pod("p", ip="10.244.0.20", **spec))
    rc = pod_resolv_conf(c.pod_by_key["default/p"], c)
    return rc.nameservers, rc.searches, tuple(sorted(rc.options)), rc.policy


CLUSTER_SEARCH = ("default.svc.cluster.local", "svc.cluster.local", "cluster.local")
DNS_IP = "10.96.0.10"
UPSTREAM = "172.18.0.1"

RESOLV_CASES: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
    ("ClusterFirst default", {}, ((DNS_IP,), CLUSTER_SEARCH, ("ndots:5",), "ClusterFirst")),
    (
        "ClusterFirst on host network falls back to Default",
        {"hostNetwork": True},
        ((UPSTREAM,), (), (), "Default"),
    ),
    (
        "ClusterFirstWithHostNet on host network",
        {"hostNetwork": True, "dnsPolicy": "ClusterFirstWithHostNet"},
        ((DNS_IP,), CLUSTER_SEARCH, ("ndots:5",), "ClusterFirstWithHostNet"),
    ),
    (
        "None takes dnsConfig only",
        {
            "dnsPolicy": "None",
            "dnsConfig": {"nameservers": ["1.1.1.1"], "searches": ["corp.example"]},
        },
        (("1.1.1.1",), ("corp.example",), (), "None"),
    ),
    (
        "dnsConfig appended without duplicates",
        {
            "dnsConfig": {
                "nameservers": ["10.96.0.10", "8.8.8.8"],
                "searches": ["svc.cluster.local", "corp.example"],
            }
        },
        ((DNS_IP, "8.8.8.8"), (*CLUSTER_SEARCH, "corp.example"), ("ndots:5",), "ClusterFirst"),
    ),
    (
        "dnsConfig option overrides ndots",
        {"dnsConfig": {"options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}},
        ((DNS_IP,), CLUSTER_SEARCH, ("edns0", "ndots:2"), "ClusterFirst"),
    ),
    (
        # mergeDNSOptions writes "name:value" only when the value is not empty
        "dnsConfig option with empty value is written bare",
        {"dnsConfig": {"options": [{"name": "single-request-reopen", "value": ""}]}},
        ((DNS_IP,), CLUSTER_SEARCH, ("ndots:5", "single-request-reopen"), "ClusterFirst"),
    ),
    (
        "at most 3 nameservers",
        {"dnsConfig": {"nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3"]}},
        ((DNS_IP, "1.1.1.1", "2.2.2.2"), CLUSTER_SEARCH, ("ndots:5",), "ClusterFirst"),
    ),
]


@pytest.mark.parametrize(
    ("spec", "expected"), [c[1:] for c in RESOLV_CASES], ids=[c[0] for c in RESOLV_CASES]
)
def test_resolv_conf(spec: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert conf_of(spec) == expected


def test_at_most_32_search_domains() -> None:
    searches = [f"s{i}.example" for i in range(40)]
    _, got, _, _ = conf_of({"dnsConfig": {"searches": searches}})
    assert len(got) == 32 and got[:3] == CLUSTER_SEARCH


# -- search walk ----------------------------------------------------------------------------


def walk(name: str, ndots: str | None) -> list[str]:
    spec: dict[str, Any] = {}
    if ndots is not None:
        spec["dnsConfig"] = {"options": [{"name": "ndots", "value": ndots}]}
    c = cluster_of(pod("p", ip="10.244.0.20", **spec))
    return search_candidates(name, pod_resolv_conf(c.pod_by_key["default/p"], c))


SEARCHED = [f"web.{d}." for d in CLUSTER_SEARCH]
SEARCH_CASES = [
    ("fewer dots than ndots: search list first", "web", None, [*SEARCHED, "web."]),
    ("trailing dot: as is only", "web.", None, ["web."]),
    (
        "4 dots < ndots 5: searched first",
        "a.b.c.d.e",
        None,
        [*(f"a.b.c.d.e.{d}." for d in CLUSTER_SEARCH), "a.b.c.d.e."],
    ),
    (
        "5 dots >= ndots 5: as is first",
        "a.b.c.d.e.f",
        None,
        ["a.b.c.d.e.f.", *(f"a.b.c.d.e.f.{d}." for d in CLUSTER_SEARCH)],
    ),
    ("ndots 0: as is first", "web", "0", ["web.", *SEARCHED]),
    (
        "ndots capped at 15",
        "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p",
        "20",
        [
            "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.",
            *(f"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.{d}." for d in CLUSTER_SEARCH),
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "ndots", "expected"), [c[1:] for c in SEARCH_CASES], ids=[c[0] for c in SEARCH_CASES]
)
def test_search_walk(name: str, ndots: str | None, expected: list[str]) -> None:
    assert walk(name, ndots) == expected


def test_service_in_other_namespace_via_second_search_domain() -> None:
    """``web.other`` from ``default``: web.other.default.svc... (NXDOMAIN), then
    web.other.svc.cluster.local (the Service)."""
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"namespace": "other", "name": "web"},
        "spec": {"clusterIP": "10.96.5.5", "ports": [{"port": 80}]},
    }
    c = cluster_of(svc, pod("p", ip="10.244.0.20"))
    res = resolve(
        build_zone(c), pod_resolv_conf(c.pod_by_key["default/p"], c), c.dns_ip, "web.other"
    )
    assert res.addresses() == ["10.96.5.5"]
    assert res.tried == (f"web.other.default.svc.{Z}", f"web.other.svc.{Z}")
