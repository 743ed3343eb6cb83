"""End-to-end tests of the core commands (``pods``, ``services``) against golden files.

One row of ``SCENARIOS`` per behaviour (STYLE.md section 9): its inputs are
``tests/scenarios/<name>/`` (or ``path``), its goldens ``tests/golden/<name>.<command>.<ext>``
(``txt`` for the table, ``json``). ``pytest --update-goldens`` rewrites them. Rows marked
``live_ok`` are also loaded through the official client from the fake API server seeded with
the same manifests, and must give the same golden (STYLE.md section 10).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Golden
from fake_apiserver import FakeApiServer, fake_apiserver, load_manifests
from podpath.cli import main

__all__ = ["fake_apiserver"]  # the fixture, imported for pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "tests" / "scenarios"
EXTENSIONS = {"table": "txt", "json": "json"}


@dataclass(frozen=True)
class Scenario:
    name: str
    commands: tuple[str, ...] = ("pods", "services")
    formats: tuple[str, ...] = ("table", "json")
    live_ok: bool = True
    path: Path | None = None

    @property
    def input(self) -> Path:
        return self.path if self.path is not None else SCENARIO_DIR / self.name

    def golden_name(self, command: str, fmt: str) -> str:
        return f"{self.name}.{command}.{EXTENSIONS[fmt]}"


SCENARIOS = [
    Scenario("shop", path=ROOT / "examples" / "shop"),
    Scenario("named-ports", commands=("services",)),
    Scenario("readiness", commands=("services",)),
    Scenario("service-types", commands=("services",)),
    Scenario("manual-endpoints", commands=("services",), formats=("json",)),
    Scenario("workloads", commands=("pods",), formats=("table",)),
    Scenario("list-kinds", formats=("json",)),
]
CASES = [
    pytest.param(s, command, fmt, id=s.golden_name(command, fmt))
    for s in SCENARIOS
    for command in s.commands
    for fmt in s.formats
]
LIVE_CASES = [
    pytest.param(s, command, id=s.golden_name(command, "json"))
    for s in SCENARIOS
    if s.live_ok
    for command in s.commands
    if "json" in s.formats
]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("scenario", "command", "fmt"), CASES)
def test_scenario_output_matches_golden(
    scenario: Scenario,
    command: str,
    fmt: str,
    golden: Golden,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run([command, "-f", str(scenario.input), "--format", fmt], capsys)
    assert code == 0, err
    golden(scenario.golden_name(command, fmt), out)


@pytest.mark.parametrize(("scenario", "command"), LIVE_CASES)
def test_live_scenario_output_matches_same_golden(
    scenario: Scenario,
    command: str,
    golden: Golden,
    fake_apiserver: type[FakeApiServer],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if golden.update:
        pytest.skip("goldens are written from the manifests")
    server = fake_apiserver(load_manifests([scenario.input]))
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    code, out, err = run([command, "--kubeconfig", str(kubeconfig), "--format", "json"], capsys)
    assert code == 0, err
    golden(scenario.golden_name(command, "json"), out)


def test_json_output_is_valid_and_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["services", "-f", str(ROOT / "examples" / "shop"), "--format", "json"]
    _, first, _ = run(args, capsys)
    _, second, _ = run(args, capsys)
    assert first == second
    assert {s["service"] for s in json.loads(first)["services"]} >= {"shop/cart", "data/redis"}


def test_stdin_dash_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    text = (SCENARIO_DIR / "list-kinds" / "list.yaml").read_bytes()
    fake = io.TextIOWrapper(io.BytesIO(text))
    monkeypatch.setattr(sys, "stdin", fake)
    code, out, err = run(["services", "-f", "-", "--format", "json"], capsys)
    assert code == 0, err
    assert [s["service"] for s in json.loads(out)["services"]] == [
        "default/kubernetes",
        "listed/api",
    ]


def test_verbose_lists_skipped_kinds_and_the_readiness_assumption(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["pods", "-f", str(ROOT / "examples" / "shop"), "-v"], capsys)
    assert code == 0
    assert "skipped podpath.io/v1alpha1 PodpathConfig (not modelled)" in err
    assert "33 pod(s) have no status; they count as ready" in err


def test_nodeport_collision_is_reported_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "clash.yaml"
    manifest.write_text(
        "".join(
            f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
            "spec: {type: NodePort, ports: [{port: 80, nodePort: 30007}]}\n"
            for name in ("a", "b")
        )
    )
    code, _, err = run(["services", "-f", str(manifest)], capsys)
    assert code == 0
    assert "Service/default/b: nodePort 30007/TCP is also used by Service default/a" in err
    code, _, err = run(["services", "-f", str(manifest), "--strict"], capsys)
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("podpath: error: --strict: 1 warning(s)")
