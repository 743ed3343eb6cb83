"""Cluster DNS: the specification's records (its sections 2.2-2.6), a pod's resolv.conf, the
glibc search walk, and the ``podpath dns`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podpath.api import load_cluster
from podpath.cli import main
from podpath.cluster import Cluster
from podpath.engine.dns import FORWARDED, NOERROR, NXDOMAIN, build_zone, srv_weight, zone_records
from podpath.engine.resolver import (
    ResolvConf,
    form_dns_search_fits_limits,
    lookup,
    namespace_resolv_conf,
    pod_resolv_conf,
    resolve,
    search_candidates,
)

SCENARIO = Path(__file__).parent / "scenarios" / "dns" / "cluster.yaml"
Z = "cluster.local."


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_cluster([str(SCENARIO)])


def answers(cluster: Cluster, name: str, qtype: str) -> tuple[str, list[str]]:
    ans = lookup(build_zone(cluster), name, qtype)
    return ans.rcode, sorted(r.data for r in ans.records)


# (section, question name, type, rcode, sorted answer data)
SPEC_CASES = [
    ("2.2", f"dns-version.{Z}", "TXT", NOERROR, ['"1.1.0"']),
    ("2.3.1", f"kubernetes.default.svc.{Z}", "A", NOERROR, ["10.96.0.1"]),
    ("2.3.1 no AAAA", f"kubernetes.default.svc.{Z}", "AAAA", NOERROR, []),
    (
        "2.3.2",
        f"_https._tcp.kubernetes.default.svc.{Z}",
        "SRV",
        NOERROR,
        [f"0 100 443 kubernetes.default.svc.{Z}"],
    ),
    ("2.3.2 unnamed port", f"_9090._tcp.web.shop.svc.{Z}", "SRV", NXDOMAIN, []),
    (
        "2.3.2 protocol",
        f"_dns._udp.kube-dns.kube-system.svc.{Z}",
        "SRV",
        NOERROR,
        [f"0 100 53 kube-dns.kube-system.svc.{Z}"],
    ),
    ("2.3.3", "1.0.96.10.in-addr.arpa.", "PTR", NOERROR, [f"kubernetes.default.svc.{Z}"]),
    ("2.4.1", f"headless.default.svc.{Z}", "A", NOERROR, ["10.3.0.100", "10.3.0.2", "10.3.0.3"]),
    ("2.4.1 hostname", f"my-pet.headless.default.svc.{Z}", "A", NOERROR, ["10.3.0.100"]),
    ("2.4.1 dashed id", f"10-3-0-3.headless.default.svc.{Z}", "A", NOERROR, ["10.3.0.3"]),
    ("2.4.1 not ready left out", f"db.data.svc.{Z}", "A", NOERROR, ["10.244.2.10", "10.244.2.11"]),
    ("2.4.1 no ready endpoints", f"empty.data.svc.{Z}", "A", NXDOMAIN, []),
    (
        "2.4.1 publishNotReadyAddresses",
        f"peers.data.svc.{Z}",
        "A",
        NOERROR,
        ["10.244.2.10", "10.244.2.11", "10.244.2.12"],
    ),
    (
        "2.4.2",
        f"_https._tcp.headless.default.svc.{Z}",
        "SRV",
        NOERROR,
        [
            f"0 33 443 10-3-0-3.headless.default.svc.{Z}",
            f"0 33 443 my-pet-2.headless.default.svc.{Z}",
            f"0 33 443 my-pet.headless.default.svc.{Z}",
        ],
    ),
    ("2.4.3", "100.0.3.10.in-addr.arpa.", "PTR", NOERROR, [f"my-pet.headless.default.svc.{Z}"]),
    ("2.5", f"foo.default.svc.{Z}", "CNAME", NOERROR, ["www.example.com."]),
    ("2.5 A follows", f"foo.default.svc.{Z}", "A", FORWARDED, ["www.example.com."]),
    (
        "2.5 in-zone target",
        f"alias.shop.svc.{Z}",
        "A",
        NOERROR,
        ["10.96.0.20", f"web.shop.svc.{Z}"],
    ),
    ("2.6", f"10-244-1-5.shop.pod.{Z}", "A", NOERROR, ["10.244.1.5"]),
    ("2.6 pods insecure", f"10-1-2-3.shop.pod.{Z}", "A", NOERROR, ["10.1.2.3"]),
    ("2.6 unknown namespace", f"10-1-2-3.nowhere.pod.{Z}", "A", NXDOMAIN, []),
    ("case-insensitive", "KUBERNETES.Default.SVC.Cluster.Local.", "A", NOERROR, ["10.96.0.1"]),
    ("namespace exists", f"shop.svc.{Z}", "A", NOERROR, []),
    ("unknown service", f"nope.shop.svc.{Z}", "A", NXDOMAIN, []),
    ("outside the zone", "example.com.", "A", FORWARDED, []),
    ("unknown reverse", "8.8.8.8.in-addr.arpa.", "PTR", FORWARDED, []),
]


@pytest.mark.parametrize(
    ("section", "name", "qtype", "rcode", "data"), SPEC_CASES, ids=[c[0] for c in SPEC_CASES]
)
def test_spec_records(
    cluster: Cluster, section: str, name: str, qtype: str, rcode: str, data: list[str]
) -> None:
    assert answers(cluster, name, qtype) == (rcode, data)


def test_srv_weight_follows_coredns() -> None:
    assert [srv_weight(n) for n in (1, 2, 3, 200)] == [100, 50, 33, 1]


def test_zone_records_sorted_unique(cluster: Cluster) -> None:
    records = zone_records(cluster)
    keys = [(r.name, r.type, r.data) for r in records]
    assert keys == sorted(set(keys))
    assert all(r.name.endswith(".") and r.name == r.name.lower() for r in records)
    assert any(r.rule == "2.2" for r in records)


def conf(searches: tuple[str, ...], ndots: int) -> ResolvConf:
    return ResolvConf(("10.96.0.10",), searches, (f"ndots:{ndots}",), "ClusterFirst")


SEARCH = ("shop.svc.cluster.local", "svc.cluster.local", "cluster.local")
CANDIDATE_CASES = [
    (
        "single label: search first, then as is",
        "web",
        5,
        ["web.shop.svc.cluster.local.", "web.svc.cluster.local.", "web.cluster.local.", "web."],
    ),
    ("absolute: as is only", "web.shop.svc.cluster.local.", 5, ["web.shop.svc.cluster.local."]),
    (
        "dots >= ndots: as is first",
        "a.b.c.d.e.f",
        5,
        [
            "a.b.c.d.e.f.",
            "a.b.c.d.e.f.shop.svc.cluster.local.",
            "a.b.c.d.e.f.svc.cluster.local.",
            "a.b.c.d.e.f.cluster.local.",
        ],
    ),
    (
        "ndots 1, one dot: as is first",
        "example.com",
        1,
        [
            "example.com.",
            "example.com.shop.svc.cluster.local.",
            "example.com.svc.cluster.local.",
            "example.com.cluster.local.",
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "name", "ndots", "expected"), CANDIDATE_CASES, ids=[c[0] for c in CANDIDATE_CASES]
)
def test_search_candidates(case: str, name: str, ndots: int, expected: list[str]) -> None:
    assert search_candidates(name, conf(SEARCH, ndots)) == expected


RESOLVE_CASES = [
    # (case, from pod, name, type, rcode, tried, answer data)
    (
        "same namespace",
        "shop/frontend-1",
        "web",
        "A",
        NOERROR,
        ["web.shop.svc.cluster.local."],
        ["10.96.0.20"],
    ),
    (
        "other namespace, second search domain",
        "shop/frontend-1",
        "db.data",
        "A",
        NOERROR,
        ["db.data.shop.svc.cluster.local.", "db.data.svc.cluster.local."],
        ["10.244.2.10", "10.244.2.11"],
    ),
    (
        "external name walks the search list then goes upstream",
        "shop/frontend-1",
        "example.com",
        "A",
        FORWARDED,
        [
            "example.com.shop.svc.cluster.local.",
            "example.com.svc.cluster.local.",
            "example.com.cluster.local.",
            "example.com.",
        ],
        [],
    ),
    (
        "absolute name",
        "shop/frontend-1",
        "kubernetes.default.svc.cluster.local.",
        "A",
        NOERROR,
        ["kubernetes.default.svc.cluster.local."],
        ["10.96.0.1"],
    ),
    (
        "NODATA continues the search",
        "shop/frontend-1",
        "web",
        "AAAA",
        FORWARDED,
        ["web.shop.svc.cluster.local.", "web.svc.cluster.local.", "web.cluster.local.", "web."],
        [],
    ),
    (
        "NODATA of an absolute name",
        "shop/frontend-1",
        "web.shop.svc.cluster.local.",
        "AAAA",
        NOERROR,
        ["web.shop.svc.cluster.local."],
        [],
    ),
    (
        "dnsPolicy Default: the node's resolver",
        "shop/plain",
        "web.shop",
        "A",
        FORWARDED,
        ["web.shop."],
        [],
    ),
    (
        "hostNetwork + ClusterFirst falls back to Default",
        "shop/agent",
        "web",
        "A",
        FORWARDED,
        ["web."],
        [],
    ),
    (
        "ClusterFirstWithHostNet",
        "shop/agent-cf",
        "web",
        "A",
        NOERROR,
        ["web.shop.svc.cluster.local."],
        ["10.96.0.20"],
    ),
    (
        "dnsPolicy None with dnsConfig",
        "shop/custom",
        "web.shop.svc.cluster.local",
        "A",
        NOERROR,
        ["web.shop.svc.cluster.local."],
        ["10.96.0.20"],
    ),
    (
        "dnsConfig ndots:1: one dot is asked as is first",
        "shop/tuned",
        "web.shop",
        "A",
        FORWARDED,
        ["web.shop."],
        [],
    ),
    (
        "PTR of an IP",
        "shop/frontend-1",
        "10.96.0.20",
        "PTR",
        NOERROR,
        ["20.0.96.10.in-addr.arpa."],
        ["web.shop.svc.cluster.local."],
    ),
]


@pytest.mark.parametrize(
    ("case", "pod", "name", "qtype", "rcode", "tried", "data"),
    RESOLVE_CASES,
    ids=[c[0] for c in RESOLVE_CASES],
)
def test_resolution(
    cluster: Cluster,
    case: str,
    pod: str,
    name: str,
    qtype: str,
    rcode: str,
    tried: list[str],
    data: list[str],
) -> None:
    rconf = pod_resolv_conf(cluster.pod_by_key[pod], cluster)
    res = resolve(build_zone(cluster), rconf, cluster.dns_ip, name, qtype)
    assert (res.rcode, list(res.tried)) == (rcode, tried)
    assert sorted(r.data for r in res.answers) == data


RESOLV_CONF_CASES = [
    ("shop/frontend-1", "ClusterFirst", ["10.96.0.10"], list(SEARCH), ["ndots:5"]),
    ("shop/agent", "Default", ["172.18.0.1"], [], []),
    ("shop/agent-cf", "ClusterFirstWithHostNet", ["10.96.0.10"], list(SEARCH), ["ndots:5"]),
    ("shop/custom", "None", ["10.96.0.10"], ["corp.example.com"], ["ndots:2", "edns0"]),
    ("shop/tuned", "ClusterFirst", ["10.96.0.10"], [*SEARCH, "corp.example.com"], ["ndots:1"]),
]


@pytest.mark.parametrize(
    ("pod", "policy", "servers", "searches", "options"),
    RESOLV_CONF_CASES,
    ids=[c[0] for c in RESOLV_CONF_CASES],
)
def test_resolv_conf(
    cluster: Cluster,
    pod: str,
    policy: str,
    servers: list[str],
    searches: list[str],
    options: list[str],
) -> None:
    rc = pod_resolv_conf(cluster.pod_by_key[pod], cluster)
    assert (rc.policy, list(rc.nameservers), list(rc.searches), list(rc.options)) == (
        policy,
        servers,
        searches,
        options,
    )


# kubelet formDNSSearchFitsLimits (pkg/kubelet/network/dns/dns.go): at most 32 domains, none
# longer than 253 characters, the line (joined by spaces) at most 2048 characters, domains
# dropped from the end until it fits.
SEARCH_LIMIT_CASES = [
    ("fits", [f"a{i}.example" for i in range(3)], 3, 0),
    ("32 domains kept", [f"a{i}.example" for i in range(32)], 32, 0),
    ("33 domains: the first 32", [f"a{i}.example" for i in range(33)], 32, 1),
    ("2048 characters exactly", [f"{i}" + "e" * 199 for i in range(10)] + ["t" * 38], 11, 0),
    ("2049 characters: the last goes", [f"{i}" + "e" * 199 for i in range(10)] + ["t" * 39], 10, 1),
    ("a domain of 254 characters is dropped", ["ok.example", "l" * 254, "also.example"], 2, 1),
    ("a domain of 253 characters is kept", ["ok.example", "l" * 253], 2, 0),
    ("many long domains: cut from the end", [f"{i:02d}" + "m" * 198 for i in range(20)], 10, 1),
]


@pytest.mark.parametrize(
    ("case", "searches", "kept", "notes"),
    SEARCH_LIMIT_CASES,
    ids=[c[0] for c in SEARCH_LIMIT_CASES],
)
def test_search_line_fits_the_kubelet_limits(
    case: str, searches: list[str], kept: int, notes: int
) -> None:
    out, why = form_dns_search_fits_limits(searches)
    assert list(out) == [d for d in searches if len(d) <= 253][:kept]
    assert len(" ".join(out)) <= 2048 and len(out) <= 32
    assert len(why) == notes


def test_a_pod_with_many_search_domains_gets_the_cut_line(tmp_path: Path) -> None:
    extra = [f"{i:02d}" + "s" * 120 + ".example" for i in range(30)]
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
        f"spec: {{containers: [], dnsConfig: {{searches: {json.dumps(extra)}}}}}\n"
    )
    cluster = load_cluster([str(path)])
    rc = pod_resolv_conf(cluster.pod_by_key["shop/p"], cluster)
    assert rc.searches[:3] == ("shop.svc.cluster.local", "svc.cluster.local", "cluster.local")
    assert len(" ".join(rc.searches)) <= 2048
    assert len(" ".join(rc.searches + (extra[len(rc.searches) - 3],))) > 2048
    assert any("search line is at most 2048 characters" in n for n in rc.notes)


def test_default_namespace_conf(cluster: Cluster) -> None:
    rc = namespace_resolv_conf("default", cluster)
    assert rc.searches[0] == "default.svc.cluster.local" and rc.ndots == 5


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    with pytest.raises(SystemExit) as exc:
        main(["dns", *args, "-f", str(SCENARIO), "--format", "json"])
    assert exc.value.code == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_cli_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "web", "--from", "shop/frontend-1")
    assert list(data)[:5] == ["query", "type", "rcode", "tried", "answers"]
    assert data["answers"] == [
        {
            "name": "web.shop.svc.cluster.local.",
            "type": "A",
            "data": "10.96.0.20",
            "objects": ["Service/shop/web"],
        }
    ]
    assert data["from"] == "shop/frontend-1" and data["upstream"] is False


def test_cli_default_namespace_and_ptr(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "10.96.0.10", "--type", "PTR")
    assert data["from"] is None and "namespace default" in str(data["notes"])
    assert data["tried"] == ["10.0.96.10.in-addr.arpa."]


def test_cli_upstream_marker(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "example.com")
    assert (data["rcode"], data["upstream"], data["upstream_name"]) == (
        FORWARDED,
        True,
        "example.com.",
    )


def test_cli_list_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "--list")
    assert data["zone"] == "cluster.local."
    with pytest.raises(SystemExit):
        main(["dns", "web", "-f", str(SCENARIO), "--from", "shop/frontend-1"])
    assert "web.shop.svc.cluster.local." in capsys.readouterr().out


def test_cli_unknown_pod_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["dns", "web", "-f", str(SCENARIO), "--from", "shop/nope"])
    assert exc.value.code == 2
    assert "shop/nope" in capsys.readouterr().err


def test_dns_from_a_pod_whose_egress_denies_dns_says_so() -> None:
    """examples/shop's planted mistake 3: payments is egress-isolated without DNS; the answer
    carries the policy engine's reason, and pods that may query get no such note."""
    from pathlib import Path

    from podpath.analyze.dns import dns_answer
    from podpath.api import load_cluster

    shop = load_cluster([str(Path(__file__).resolve().parents[1] / "examples" / "shop")])
    blocked = dns_answer(shop, "stripe", source="payments/payments")
    assert any("cannot reach the cluster DNS" in n for n in blocked["notes"])
    assert any("NetworkPolicy/payments/default-deny-all" in n for n in blocked["notes"])
    fine = dns_answer(shop, "catalog", source="shop/frontend")
    assert not any("cannot reach the cluster DNS" in n for n in fine["notes"])
