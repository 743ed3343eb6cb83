"""``podpath diff``: services, exposure, DNS, routes and connections between two manifest sets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from podpath.analyze.diff import (
    added_exposure,
    allocated_addresses,
    diff_clusters,
    diff_services,
    exposure_changes,
    has_changes,
)
from podpath.api import load_cluster
from podpath.cli import main

DATA = Path(__file__).parent / "data" / "diff"
OLD, NEW = str(DATA / "old"), str(DATA / "new")


@pytest.fixture(scope="module")
def clusters():  # type: ignore[no-untyped-def]
    return load_cluster([OLD]), load_cluster([NEW])


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(["diff", *args])
    return int(exc.value.code or 0), capsys.readouterr().out


def test_json_has_exactly_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, OLD, NEW, "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert list(data) == ["connections", "services", "routes", "dns"]
    assert list(data["connections"]) == ["added", "removed"]
    assert list(data["services"]) == ["added", "removed", "changed"]
    assert list(data["routes"]) == ["added", "removed", "changed"]
    assert list(data["dns"]) == ["added", "removed"]


def test_same_input_has_no_changes(clusters) -> None:  # type: ignore[no-untyped-def]
    old, _ = clusters
    assert not has_changes(diff_clusters(old, old))


def test_service_became_load_balancer_is_exposure(clusters) -> None:  # type: ignore[no-untyped-def]
    old, new = clusters
    services = diff_services(old, new)
    web = next(c for c in services["changed"] if c["service"] == "shop/web")
    assert {"field": "type", "old": "ClusterIP", "new": "LoadBalancer"} in web["changes"]
    assert web["exposure"][0] == "became LoadBalancer"
    assert any(e.startswith("new NodePort ") for e in web["exposure"])
    assert any(e.startswith("new LB address ") for e in web["exposure"])


def test_new_nodeport_service_is_added_with_exposure(clusters) -> None:  # type: ignore[no-untyped-def]
    old, new = clusters
    services = diff_services(old, new)
    assert services["added"] == [
        {
            "service": "ops/metrics",
            "type": "NodePort",
            "exposure": ["type NodePort", "NodePort 30090/TCP"],
        }
    ]
    api = next(c for c in services["changed"] if c["service"] == "shop/api")
    assert api["changes"] == [{"field": "ports", "added": ["9001/TCP->9001"], "removed": []}]
    assert api["exposure"] == []


def test_exposure_rules() -> None:
    base = {
        "type": "ClusterIP",
        "node_ports": [],
        "load_balancer": [],
        "load_balancer_allocated": False,
        "external_ips": [],
    }
    lb = {**base, "type": "LoadBalancer", "node_ports": ["31000/TCP"], "load_balancer": ["1.2.3.4"]}
    assert exposure_changes(base, lb) == [
        "became LoadBalancer",
        "new NodePort 31000/TCP",
        "new LB address 1.2.3.4",
    ]
    # a pool address that moved (another Service took the first one) is no new exposure
    pool_a = {**lb, "load_balancer_allocated": True}
    pool_b = {**pool_a, "load_balancer": ["1.2.3.5"]}
    assert exposure_changes(pool_a, pool_b) == []
    # a status address that changed is
    assert exposure_changes(lb, {**lb, "load_balancer": ["5.6.7.8"]}) == ["new LB address 5.6.7.8"]
    assert exposure_changes(base, {**base, "external_ips": ["9.9.9.9"]}) == [
        "new external IP 9.9.9.9"
    ]
    assert exposure_changes(lb, base) == []


def test_dns_ignores_reallocated_cluster_ips(clusters) -> None:  # type: ignore[no-untyped-def]
    old, new = clusters
    # the new ops/metrics Service takes the lowest free ClusterIP, shifting shop/api and shop/web
    assert old.service_by_key["shop/api"].cluster_ips != new.service_by_key["shop/api"].cluster_ips
    dns = diff_clusters(old, new)["dns"]
    names = {(r["name"], r["type"]) for r in dns["added"] + dns["removed"]}
    assert ("web.shop.svc.cluster.local.", "A") not in names
    assert ("metrics.ops.svc.cluster.local.", "A") in names
    assert ("_grpc._tcp.api.shop.svc.cluster.local.", "SRV") in names
    tokens = allocated_addresses(new)
    ip = new.service_by_key["shop/web"].cluster_ips[0]
    assert tokens[ip] == "{clusterIP shop/web}"


def test_declared_cluster_ip_change_is_a_dns_change(clusters) -> None:  # type: ignore[no-untyped-def]
    old, _ = clusters
    inv = old.inventory
    services = tuple(
        replace(s, cluster_ips=("10.96.5.5",)) if s.key == "shop/web" else s for s in inv.services
    )
    from podpath.cluster import resolve

    moved = resolve(replace(inv, services=services))
    dns = diff_clusters(old, moved)["dns"]
    assert {"name": "web.shop.svc.cluster.local.", "type": "A", "data": "10.96.5.5"} in [
        {k: r[k] for k in ("name", "type", "data")} for r in dns["added"]
    ]


def test_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, OLD, NEW, "--fail-on", "added-exposure")[0] == 1
    assert run(capsys, OLD, NEW, "--fail-on", "any")[0] == 1
    assert run(capsys, OLD, OLD, "--fail-on", "any")[0] == 0
    assert run(capsys, NEW, OLD, "--fail-on", "added-exposure")[0] == 0  # only removals
    assert run(capsys, OLD, NEW)[0] == 0


def test_added_exposure_lists_services(clusters) -> None:  # type: ignore[no-untyped-def]
    old, new = clusters
    exposure = added_exposure(diff_clusters(old, new))
    assert "Service shop/web: became LoadBalancer" in exposure
    assert "Service ops/metrics: NodePort 30090/TCP" in exposure


def test_markdown_is_a_pr_comment(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, OLD, NEW, "--format", "md")
    assert out.startswith("### podpath: network changes\n")
    assert "> [!WARNING]" in out
    assert "| ➕ added | `ops/metrics` |" in out
    assert "-&gt;" in out  # cells escaped for GitHub Markdown
    # every table row has the header's number of cells
    for block in out.split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.startswith("|")]
        if lines:
            width = lines[0].count(" | ")
            assert all(ln.replace("\\|", "").count(" | ") == width for ln in lines[2:])


def test_table_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, OLD, NEW)
    assert out.startswith("podpath diff: ")
    assert "== Services ==" in out
    assert "! Service shop/web: became LoadBalancer" in out


def test_no_changes_table(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, OLD, OLD)
    assert out == "podpath diff: no changes\n"


@pytest.mark.parametrize(
    "args",
    [[OLD], [OLD, NEW, NEW], ["--live", OLD, NEW], [OLD, NEW, "--kubeconfig", "x"]],
    ids=["one-path", "three-paths", "live-two-paths", "kubeconfig-without-live"],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _ = run(capsys, *args)
    assert code == 2


def test_missing_path_is_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["diff", OLD, str(DATA / "nope")])
    assert exc.value.code == 2
    assert "no such file" in capsys.readouterr().err
