"""``podpath matrix``, ``explain`` and ``check`` end to end, and the located errors of bad
policies (NetworkPolicy and the admin tiers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podpath.cli import cli
from podpath.errors import PodpathError

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 10.244.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, ports: [{containerPort: 5432, name: pg}]}]}
status: {podIP: 10.244.0.6}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
"""


def _run(args: list[str], tmp_path: Path, extra: str = "") -> tuple[int, str]:
    path = tmp_path / "cluster.yaml"
    path.write_text(CLUSTER + extra)
    result = CliRunner().invoke(cli, [*args, "-f", str(path)])
    if isinstance(result.exception, PodpathError):  # main() maps these to exit 2
        return 2, result.output + str(result.exception)
    return result.exit_code, result.output


def test_matrix_json_contract(tmp_path: Path) -> None:
    code, out = _run(["matrix", "--format", "json"], tmp_path)
    assert code == 0
    assert json.loads(out) == {
        "version": 2,
        "pods": ["shop/db", "shop/web"],
        "ports": ["5432/TCP", "8080/TCP"],
        "allowed": [[0, 1, [0, 1]], [1, 0, [0]], [1, 1, [0, 1]]],
    }
    code, out = _run(["matrix", "--format", "json", "--dense"], tmp_path)
    assert code == 0
    data = json.loads(out)
    assert data == {
        "pods": ["shop/db", "shop/web"],
        "ports": ["5432/TCP", "8080/TCP"],
        "allowed": {
            "5432/TCP": [[False, True], [True, True]],
            "8080/TCP": [[False, True], [False, True]],
        },
    }


def test_matrix_csv_sparse(tmp_path: Path) -> None:
    code, out = _run(["matrix", "--format", "csv", "--port", "5432/tcp"], tmp_path)
    assert code == 0
    assert out.splitlines() == [
        "from,to,ports",
        "shop/db,shop/web,5432/TCP",
        "shop/web,shop/db,5432/TCP",
        "shop/web,shop/web,5432/TCP",
    ]


def test_matrix_by_workload_and_renderers(tmp_path: Path) -> None:
    code, out = _run(["matrix", "--by", "workload", "--format", "json"], tmp_path)
    assert code == 0
    assert json.loads(out)["pods"] == ["shop/Pod/db", "shop/Pod/web"]
    for fmt, needle in (("table", "5432/TCP"), ("md", "| `shop/db` |"), ("html", "<table>")):
        code, out = _run(["matrix", "--format", fmt], tmp_path)
        assert code == 0 and needle in out


@pytest.mark.parametrize("port", ["http", "0", "80/ICMP"])
def test_matrix_bad_port_is_usage_error(tmp_path: Path, port: str) -> None:
    code, _ = _run(["matrix", "--port", port], tmp_path)
    assert code == 2


def test_explain_json(tmp_path: Path) -> None:
    code, out = _run(["explain", "shop/db", "--format", "json"], tmp_path)
    assert code == 0
    data = json.loads(out)
    assert data["ingress"]["isolated"] is True
    assert data["ingress"]["policies"] == ["NetworkPolicy/shop/db-from-web"]
    assert data["ingress"]["workloads"] == [
        {"workload": "shop/Pod/web", "pods": 1, "ports": ["5432/TCP"]}
    ]
    assert data["egress"]["isolated"] is False


def test_check_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "expectations:\n"
        "  - {name: web to db, from: shop/app=web, to: shop/app=db, ports: [5432], "
        "expect: allowed}\n"
        "  - {name: db closed, from: '*/*', except: [shop/app=web], to: shop/app=db, "
        "expect: denied}\n"
    )
    code, out = _run(["check", str(good)], tmp_path)
    assert code == 0, out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "expectations:\n"
        "  - {name: db to web closed, from: shop/app=db, to: shop/app=web, expect: denied}\n"
    )
    code, out = _run(["check", str(bad), "--format", "json"], tmp_path)
    assert code == 1
    violation = json.loads(out)["results"][0]["violations"][0]
    assert violation == {
        "from": "shop/db",
        "to": "shop/web",
        "port": "8080/TCP",
        "got": "allowed",
        "reasons": ["shop/db is not isolated for egress", "shop/web is not isolated for ingress"],
    }
    broken = tmp_path / "broken.yaml"
    broken.write_text("expectations:\n  - {from: shop/app=db, to: nope, expect: maybe}\n")
    code, out = _run(["check", str(broken)], tmp_path)
    assert code == 2
    assert "expectations[0]" in out
    pattern = tmp_path / "pattern.yaml"
    pattern.write_text("expectations:\n  - {from: web, to: shop/*, expect: allowed}\n")
    code, out = _run(["check", str(pattern)], tmp_path)
    assert code == 2 and "expectations[0].from[0]: invalid pod pattern 'web'" in out
    # the grammar in one line, and the installed page (pip users have no docs/ folder)
    assert "NAMESPACE/WHAT" in out and "(podpath docs policy)" in out and "docs/" not in out


BAD_POLICIES = [
    ("{protocol: TCP, endPort: 90}", "endPort requires a numeric port"),
    ("{port: 90, endPort: 80}", "endPort 80 is below port 90"),
    ("{port: http, endPort: 80}", "endPort cannot be used with a named port"),
    ("{port: 80, protocol: ICMP}", "unknown protocol"),
]


@pytest.mark.parametrize(("port", "message"), BAD_POLICIES)
def test_bad_network_policy_ports(tmp_path: Path, port: str, message: str) -> None:
    extra = (
        "\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: bad, namespace: shop}\n"
        f"spec: {{podSelector: {{}}, ingress: [{{ports: [{port}]}}]}}\n"
    )
    code, out = _run(["matrix"], tmp_path, extra)
    assert code == 2
    assert message in out and "NetworkPolicy shop/bad" in out


def test_bad_ip_block(tmp_path: Path) -> None:
    extra = (
        "\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: bad, namespace: shop}\n"
        "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n"
    )
    code, out = _run(["matrix"], tmp_path, extra)
    assert code == 2 and "invalid CIDR" in out


BAD_ADMIN = [
    (
        "AdminNetworkPolicy",
        "v1alpha1",
        "priority: 5000, subject: {namespaces: {}}",
        "priority 5000 is out of range",
    ),
    (
        "AdminNetworkPolicy",
        "v1alpha1",
        "priority: 1, subject: {namespaces: {}}, "
        "ingress: [{action: Accept, from: [{namespaces: {}}]}]",
        "unknown action 'Accept'",
    ),
    (
        "ClusterNetworkPolicy",
        "v1alpha2",
        "tier: Middle, priority: 1, subject: {namespaces: {}}",
        "unknown tier 'Middle'",
    ),
    (
        "AdminNetworkPolicy",
        "v1alpha1",
        "priority: 1, subject: {namespaces: {}}, "
        "ingress: [{action: Deny, from: [{networks: [10.0.0.0/8]}]}]",
        "only allowed in egress rules",
    ),
]


@pytest.mark.parametrize(("kind", "version", "spec", "message"), BAD_ADMIN)
def test_bad_admin_policies(
    tmp_path: Path, kind: str, version: str, spec: str, message: str
) -> None:
    extra = (
        f"\n---\napiVersion: policy.networking.k8s.io/{version}\nkind: {kind}\n"
        f"metadata: {{name: bad}}\nspec: {{{spec}}}\n"
    )
    code, out = _run(["matrix"], tmp_path, extra)
    assert code == 2
    assert message in out
