"""``podpath doctor`` end to end: formats, exit status, SARIF structure, config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from doctor_helpers import pod, service
from podpath.cli import cli
from podpath.errors import InputError

BROKEN = pod("cart-1", labels="app: cart", ports="{containerPort: 8080}") + service(
    "cart", selector="app: kart"
)
WARN_ONLY = pod("cart-1", labels="app: cart", ports="{containerPort: 8080}") + service(
    "cart", selector="app: cart", ports="{port: 80, targetPort: 9000}"
)
CLEAN = pod("cart-1", labels="app: cart") + service("cart", selector="app: cart")


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str]:
    path = tmp_path / "m.yaml"
    path.write_text(text.lstrip())
    result = CliRunner().invoke(cli, ["doctor", "-f", str(path), *args])
    return result.exit_code, result.output


def test_json_contract(tmp_path: Path) -> None:
    code, out = run(tmp_path, BROKEN, "--format", "json")
    assert code == 1
    data = json.loads(out)
    (finding,) = data["findings"]
    assert {"code", "severity", "object", "message", "hint"} <= finding.keys()
    assert finding["code"] == "service-selects-no-pods"
    assert finding["object"] == "Service/shop/cart"
    assert finding["line"] == 12  # the Service document's first line in m.yaml


@pytest.mark.parametrize(
    "text,fail_on,expected",
    [
        (BROKEN, "error", 1),
        (BROKEN, "never", 0),
        (WARN_ONLY, "error", 0),
        (WARN_ONLY, "warning", 1),
        (CLEAN, "warning", 0),
    ],
)
def test_fail_on(tmp_path: Path, text: str, fail_on: str, expected: int) -> None:
    code, _ = run(tmp_path, text, "--fail-on", fail_on, "--format", "json")
    assert code == expected


def test_table_and_md(tmp_path: Path) -> None:
    _, table = run(tmp_path, BROKEN)
    assert "service-selects-no-pods" in table and "did you mean app=cart?" in table
    _, md = run(tmp_path, BROKEN, "--format", "md")
    assert md.startswith("# podpath doctor") and "| error | `service-selects-no-pods`" in md
    _, clean = run(tmp_path, CLEAN)
    assert "no findings" in clean


def test_sarif_structure(tmp_path: Path) -> None:
    code, out = run(
        tmp_path,
        BROKEN + WARN_ONLY.replace("cart-1", "cart-2").replace("name: cart,", "name: cart2,"),
        "--format",
        "sarif",
    )
    doc = json.loads(out)
    assert doc["version"] == "2.1.0" and "$schema" in doc
    (run_,) = doc["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "podpath"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and "service-selects-no-pods" in rule_ids
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run_["results"]
    for result in run_["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        assert result["message"]["text"]
        (loc,) = result["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"].endswith("m.yaml")
        assert phys["region"]["startLine"] >= 1
    lines = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in run_["results"]
    }
    assert lines["service-selects-no-pods"] == 12


def test_sensitive_flag_and_config(tmp_path: Path) -> None:
    (tmp_path / "podpath.yaml").write_text(
        "kind: PodpathConfig\nbaseline: {sensitiveNamespaces: 3}\n"
    )
    path = tmp_path / "m.yaml"
    path.write_text(CLEAN)
    config = str(tmp_path / "podpath.yaml")
    result = CliRunner().invoke(cli, ["doctor", "-f", str(path), "--config", config])
    assert isinstance(result.exception, InputError)
    assert "baseline.sensitiveNamespaces" in str(result.exception)


def test_usage_errors(tmp_path: Path) -> None:
    code, _ = run(tmp_path, CLEAN, "--port", "80")
    assert code == 2


SYMPTOM = (
    pod("web-1", labels="app: web")
    + pod("api-1", labels="app: api", ports="{containerPort: 9000}")
    + service("api", selector="app: api", ports="{port: 80, targetPort: 9000}")
    + """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 80}]}]
"""
)


def test_symptom_mode_and_fix(tmp_path: Path) -> None:
    args = ("--from", "shop/web-1", "--to", "svc:shop/api", "--port", "80", "--fix")
    code, out = run(tmp_path, SYMPTOM, *args, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["trace"]["verdict"] == "denied"
    assert data["findings"][0]["code"] == "policy-allows-service-port"
    (fix,) = data["fix"]
    assert fix["verified"] and fix["manifest"]["spec"]["ingress"][0]["ports"][0]["port"] == 9000
    code, text = run(tmp_path, SYMPTOM, *args)
    assert "kind: NetworkPolicy" in text and "verified" in text
    code, _ = run(tmp_path, SYMPTOM, *args, "--fail-on", "never")
    assert code == 0


def test_step_filter(tmp_path: Path) -> None:
    _, out = run(tmp_path, SYMPTOM, "--step", "pods", "--format", "json")
    assert json.loads(out)["findings"] == []
