"""trace with a provider profile: the ``load-balancer`` hop, internal schemes, source ranges
where the provider enforces them, ``source_ip`` (the address the pod sees, and what policy is
judged on), entry points the provider implements itself; ``--provider none`` is exactly the
generic model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from podpath.analyze.trace.dispatch import trace
from podpath.api import load_cluster
from podpath.cli import cli
from podpath.cluster import Cluster
from podpath.engine.providers import choose
from podpath.errors import InputError
from podpath.model.core import Labels

ROOT = Path(__file__).resolve().parents[1]
EKS = ROOT / "examples" / "providers" / "eks"
EKS_PARAMS = ("vpc-cidr=10.0.0.0/16", "lb-subnets=10.0.0.0/24")


@pytest.fixture(scope="module")
def eks() -> Cluster:
    return load_cluster([str(EKS / "cluster.yaml")])


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["trace", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ip_targets_go_straight_to_the_pods_and_are_seen_from_the_nlb(eks: Cluster) -> None:
    result = trace(eks, "internet", "svc:shop/storefront", "80", None, choose("eks", EKS_PARAMS))
    steps = [h.step for h in result.hops]
    assert steps == ["source", "load-balancer", "pod", "service", "policy"]
    assert "target ip" in result.hops[1].detail
    assert {e.source_ips for e in result.endpoints} == {("10.0.0.1",)}
    # the source range is ignored (client IP preservation off): the internet gets in
    assert result.verdict == "allowed"
    assert any("ignored: client IP preservation is off" in n for n in result.notes)


def test_preserved_client_ip_and_enforced_ranges(eks: Cluster) -> None:
    params = (*EKS_PARAMS,)
    choice = choose("eks", params)
    # the same Service with client IP preservation on: the ranges apply, and the pod sees
    # the client
    svc = eks.service_by_key["shop/storefront"]
    ann = dict(svc.annotations)
    ann["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"] = (
        "preserve_client_ip.enabled=true"
    )
    changed = replace(svc, annotations=Labels(ann))
    cluster = replace(
        eks,
        services=tuple(changed if s is svc else s for s in eks.services),
        service_by_key={**eks.service_by_key, svc.key: changed},
    )
    outside = trace(cluster, "internet", "svc:shop/storefront", "80", None, choice)
    assert outside.verdict == "denied"
    assert outside.drop == "denied by loadBalancerSourceRanges of shop/storefront"
    office = trace(cluster, "198.51.100.7", "svc:shop/storefront", "80", None, choice)
    assert {e.source_ips for e in office.endpoints} == {("198.51.100.7",)}
    # the pod sees the office's address, which the VPC-only policy refuses
    assert office.verdict == "denied"


def test_internal_load_balancer(eks: Cluster) -> None:
    choice = choose("eks", EKS_PARAMS)
    outside = trace(eks, "internet", "svc:shop/admin", "80", None, choice)
    assert (outside.verdict, outside.drop) == ("unreachable", "no route")
    assert outside.hops[-1].step == "load-balancer"
    inside = trace(eks, "10.0.9.9", "svc:shop/admin", "80", None, choice)
    assert inside.verdict == "allowed"
    # instance targets, externalTrafficPolicy Cluster: the pod sees a node
    assert set(inside.endpoints[0].source_ips) == {"10.0.1.10", "10.0.2.20"}


def test_vpc_clients_reach_pod_ips_directly_with_the_vpc_cni(eks: Cluster) -> None:
    choice = choose("eks", EKS_PARAMS)
    assert trace(eks, "10.0.9.9", "10.0.1.57", "8080", None, choice).verdict == "allowed"
    assert trace(eks, "internet", "10.0.1.57", "8080", None, choice).drop == "no route"
    overlay = choose("eks", (*EKS_PARAMS, "cni=overlay"))
    assert trace(eks, "10.0.9.9", "10.0.1.57", "8080", None, overlay).drop == "no route"


def test_alb_entry_point_has_no_controller_pods_and_follows_the_group_order(eks: Cluster) -> None:
    choice = choose("eks", EKS_PARAMS)
    result = trace(eks, "internet", "http://www.example.com/blog/x", None, None, choice)
    steps = [h.step for h in result.hops]
    assert "entrypoint" not in steps and "load-balancer" in steps
    route = next(h for h in result.hops if h.step == "route")
    assert "Ingress/shop/storefront" in route.detail  # the ALB's order, not the longest path
    assert {e.pod for e in result.endpoints} == {"shop/storefront-0", "shop/storefront-1"}
    assert {e.source_ips for e in result.endpoints} == {("10.0.0.1",)}


def test_json_carries_source_ip_only_with_a_provider() -> None:
    args = ("-f", str(EKS), "--from", "internet", "--to", "svc:shop/storefront", "--port", "80")
    with_profile = run(*args, "--provider", "eks")
    assert [e["source_ip"] for e in with_profile["endpoints"]] == ["10.0.0.1", "10.0.0.1"]
    assert with_profile["hops"][1]["step"] == "load-balancer"
    generic = run(*args, "--provider", "none")
    assert all("source_ip" not in e for e in generic["endpoints"])
    assert [h["step"] for h in generic["hops"]][1] != "load-balancer"


SCENARIOS = sorted(p for p in (ROOT / "tests" / "scenarios").iterdir() if p.is_dir())
SHOP = ROOT / "examples" / "shop"


@pytest.mark.parametrize(
    ("path", "src", "dst", "port"),
    [
        (SHOP, "internet", "https://shop.example.com/", None),
        (SHOP, "internet", "svc:ingress-nginx/ingress-nginx-controller", "443"),
        (SHOP, "shop/frontend", "svc:shop/cart", None),
    ],
)
def test_provider_none_is_the_generic_model(
    path: Path, src: str, dst: str, port: str | None
) -> None:
    args = ["-f", str(path), "--from", src, "--to", dst] + (["--port", port] if port else [])
    default = CliRunner().invoke(cli, ["trace", *args, "--format", "json"])
    none = CliRunner().invoke(cli, ["trace", *args, "--format", "json", "--provider", "none"])
    assert default.stdout == none.stdout
    cluster = load_cluster([str(path)])
    assert trace(cluster, src, dst, port) == trace(cluster, src, dst, port, None, None)


def test_auto_says_what_it_detected() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "trace",
            "-f",
            str(EKS / "cluster.yaml"),
            "--from",
            "internet",
            "--to",
            "svc:shop/admin",
            "--port",
            "80",
            "--format",
            "json",
        ],
    )
    data = json.loads(result.stdout)
    assert any(n.startswith("--provider auto: detected eks from") for n in data["notes"])
    assert "podpath: --provider auto: detected eks" in result.stderr


def test_podpath_yaml_sets_the_provider_and_its_params(tmp_path: Path) -> None:
    (tmp_path / "cluster.yaml").write_text((EKS / "cluster.yaml").read_text())
    (tmp_path / "podpath.yaml").write_text(
        "provider:\n  name: eks\n  params: {vpc-cidr: 10.0.0.0/16, lb-subnets: 10.0.0.128/25}\n"
    )
    data = run(
        "-f", str(tmp_path), "--from", "internet", "--to", "svc:shop/storefront", "--port", "80"
    )
    assert data["endpoints"][0]["source_ip"] == "10.0.0.129"
    flag = run(
        "-f",
        str(tmp_path),
        "--from",
        "internet",
        "--to",
        "svc:shop/storefront",
        "--port",
        "80",
        "--provider-param",
        "lb-subnets=10.0.0.64/26",
    )
    assert flag["endpoints"][0]["source_ip"] == "10.0.0.65"  # the flag wins over podpath.yaml


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--provider", "eks", "--provider-param", "vnet-cidr=1.0.0.0/8"],
            "unknown parameter 'vnet-cidr'",
        ),
        (["--provider", "eks", "--provider-param", "novalue"], "expected KEY=VALUE"),
        (["--provider", "openstack"], "Invalid value for '--provider'"),
    ],
)
def test_bad_provider_options_are_input_errors(args: list[str], message: str) -> None:
    """An unknown provider is click's usage error (exit 2); a bad parameter an InputError,
    which the console entry point turns into one line and exit 2."""
    result = CliRunner().invoke(
        cli,
        [
            "trace",
            "-f",
            str(EKS / "cluster.yaml"),
            "--from",
            "internet",
            "--to",
            "svc:shop/admin",
            *args,
        ],
    )
    if result.exit_code == 2:
        assert message in result.output
    else:
        assert isinstance(result.exception, InputError)
        assert message in str(result.exception)
