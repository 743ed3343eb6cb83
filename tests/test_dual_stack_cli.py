"""Dual stack end to end through the CLI: Services per ``ipFamilyPolicy``, A and AAAA records
for ClusterIP and headless Services, ``dns --type AAAA``, and ``trace --family`` making a
connection of one family (its addresses, its endpoints, the ipBlocks of its family).
https://kubernetes.io/docs/concepts/services-networking/dual-stack/
https://github.com/kubernetes/dns/blob/master/docs/specification.md (2.3.1, 2.4.1)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from test_live import run

SCENARIO = str(Path(__file__).parent / "scenarios" / "dual-stack")
CIDRS = [
    "--service-cidr",
    "10.96.0.0/16,fd00:10:96::/112",
    "--pod-cidr",
    "10.244.0.0/16,fd00:10:244::/56",
]


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run([*args, "-f", SCENARIO, *CIDRS, "--format", "json"], capsys)
    assert code in (0, 1), err
    return dict(json.loads(out))


@pytest.mark.parametrize(
    ("name", "qtype", "expected"),
    [
        ("web.shop.svc.cluster.local", "A", ["10.96.0.2"]),
        ("web.shop.svc.cluster.local", "AAAA", ["fd00:10:96::1"]),
        ("web-headless.shop.svc.cluster.local", "A", ["10.244.1.2"]),
        ("web-headless.shop.svc.cluster.local", "AAAA", ["fd00:10:244:1::2"]),
    ],
)
def test_a_and_aaaa_records_per_family(
    name: str, qtype: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = cli(["dns", name, "--type", qtype], capsys)
    assert data["rcode"] == "NOERROR"
    assert [a["data"] for a in data["answers"] if a["type"] == qtype] == expected


@pytest.mark.parametrize(
    ("family", "verdict", "endpoint_ip"),
    [("ipv6", "allowed", "fd00:10:244:1::2"), ("ipv4", "denied", "10.244.1.2")],
)
def test_trace_family_picks_the_addresses_and_the_ip_blocks_of_that_family(
    family: str, verdict: str, endpoint_ip: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cli(
        [
            "trace",
            "--from",
            "shop/client",
            "--to",
            "svc:shop/web",
            "--port",
            "80",
            "--family",
            family,
        ],
        capsys,
    )
    assert data["verdict"] == verdict
    assert [e["ip"] for e in data["endpoints"]] == [endpoint_ip]


def test_trace_to_a_name_resolves_the_family_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    data = cli(
        ["trace", "--from", "shop/client", "--to", "web.shop", "--port", "80", "--family", "ipv6"],
        capsys,
    )
    assert data["verdict"] == "allowed"
    assert any("AAAA" in h["detail"] or "fd00:10:96::1" in h["detail"] for h in data["hops"])
