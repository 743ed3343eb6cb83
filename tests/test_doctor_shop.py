"""``podpath doctor -f examples/shop`` finds every planted mistake of examples/shop/README.md,
with a hint naming the field to change, and nothing else (errors and warnings; info findings
are notes). Golden: the JSON output; SARIF lines point at the right documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podpath.cli import cli

ROOT = Path(__file__).resolve().parents[1]

# (code, object) -> a fragment the hint must contain (the field to change / the fix)
PLANTED = {
    ("service-selects-no-pods", "Service/shop/cart"): "did you mean app=cartapi?",
    ("service-target-port-not-declared", "Service/shop/checkout"): "spec.ports[0].targetPort",
    ("dns-egress-blocked", "Deployment/payments/payments"): "ports: [{protocol: UDP, port: 53}",
    (
        "ingress-backend-invalid",
        "Ingress/shop/storefront",
    ): "spec.rules[0].http.paths[1].backend.service.port",
    ("route-refs-unresolved", "HTTPRoute/shop/storefront"): "ReferenceGrant",
    (
        "policy-allows-service-port",
        "NetworkPolicy/payments/allow-checkout",
    ): "spec.ingress[0].ports[0].port to 8080",
}


@pytest.fixture(scope="module")
def shop_json() -> str:
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(cli, ["doctor", "-f", "examples/shop", "--format", "json"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1, result.output
    return result.output


def test_every_planted_mistake_and_no_false_alarm(shop_json: str) -> None:
    findings = json.loads(shop_json)["findings"]
    alarms = {(f["code"], f["object"]): f for f in findings if f["severity"] != "info"}
    assert set(alarms) == set(PLANTED)
    for key, fragment in PLANTED.items():
        assert fragment in alarms[key]["hint"], (key, alarms[key]["hint"])
    assert {f["code"] for f in findings if f["severity"] == "info"} <= {"baseline-health-checks"}


def test_shop_lines_point_at_the_objects(shop_json: str) -> None:
    for f in json.loads(shop_json)["findings"]:
        if f["file"] is None:
            continue
        lines = (ROOT / f["file"]).read_text().splitlines()
        kind, _, rest = f["object"].partition("/")
        name = rest.rsplit("/", 1)[-1]
        document = "\n".join(lines[f["line"] - 1 : f["line"] + 8])
        assert f"kind: {kind}" in document or kind == "Namespace", (f["object"], document)
        assert name in document, (f["object"], document)


def test_shop_golden(shop_json: str, golden) -> None:  # type: ignore[no-untyped-def]
    golden("doctor/shop.json", shop_json)
