"""Fixes found by walking the README and docs as a new user (one test per fix)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from podpath.cli import cli, main


def test_report_takes_format_json_like_every_analysis_command() -> None:
    """README: "Every command takes --format json"; report's JSON is the overview's data."""
    result = CliRunner().invoke(cli, ["report", "-f", "examples/shop", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["summary", "namespaces", "reachability", "dns", "routes", "findings"]
    assert data["summary"]["pods"] == 33
    assert data["summary"]["findings"] == {"error": 5, "info": 3, "warning": 1}
    codes = {f["code"] for f in data["findings"]}
    assert "service-selects-no-pods" in codes
    assert all(f["file"] for f in data["findings"] if f["severity"] == "error")


def test_every_option_says_what_it_does_in_help() -> None:
    """``--help`` documents every flag (``--format`` lists its choices, which say enough)."""
    import importlib

    from podpath.cli import COMMANDS

    missing = []
    for name, ref in sorted(COMMANDS.items()):
        module, attr = ref.split(":")
        command = getattr(importlib.import_module(module), attr)
        for param in command.params:
            option = param.param_type_name == "option" and "--format" not in param.opts
            if option and not getattr(param, "help", None):
                missing.append(f"{name} {param.opts[-1]}")
    assert missing == []


def test_report_names_headless_services_as_services_does() -> None:
    report = CliRunner().invoke(cli, ["report", "-f", "examples/shop"]).stdout
    services = CliRunner().invoke(cli, ["services", "-f", "examples/shop"]).stdout
    assert "ClusterIP (headless)" in services
    assert "ClusterIP (headless)" in report and "ClusterIP headless" not in report


WINDOWS_ONLY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: win, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: win}}
  template:
    metadata: {labels: {app: win}}
    spec:
      nodeSelector: {kubernetes.io/os: windows}
      containers: [{name: c, image: x}]
"""


def test_pods_table_does_not_call_an_unscheduled_pod_counted_as_ready(tmp_path: Path) -> None:
    """A pod no node accepts stays Pending: READY 'no', without the 'counted as ready' mark."""
    manifest = tmp_path / "win.yaml"
    manifest.write_text(WINDOWS_ONLY)
    out = CliRunner().invoke(cli, ["pods", "-f", str(manifest)]).stdout
    row = next(line for line in out.splitlines() if "default/win-" in line)
    assert " no " in row and "no*" not in row
    assert "counted as ready" not in out


def test_an_unrendered_helm_chart_gets_a_hint_to_render_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-f chart/` on a Helm chart's templates: the YAML error says to run helm template."""
    templates = tmp_path / "chart" / "templates"
    templates.mkdir(parents=True)
    (templates / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        '  name: {{ include "demo.fullname" . }}\n  labels:\n'
        '    {{- include "demo.labels" . | nindent 4 }}\n'
    )
    with pytest.raises(SystemExit) as exited:
        main(["services", "-f", str(tmp_path / "chart")])
    assert exited.value.code == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    assert "deployment.yaml" in message and "invalid YAML" in message
    assert "helm template" in message


def test_empty_input_is_a_warning_not_a_silent_empty_cluster(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`helm template ... | podpath services -f -` where helm failed: stdin is empty."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(SystemExit) as done:
        main(["services", "-f", "-"])
    assert done.value.code in (0, None)
    err = capsys.readouterr().err
    assert "warning: no Kubernetes objects in -" in err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(SystemExit) as exited:
        main(["services", "-f", "-", "--strict"])
    assert exited.value.code == 2


def test_ci_exposure_gate_passes_a_scale_up(tmp_path: Path) -> None:
    """docs/ci.md's 'Fail on new exposure' step: one more replica of an exposed Deployment is
    no new exposure (by pod, every new pod would be 'new exposure' and fail every scale-up)."""
    import os
    import re
    import shutil
    import subprocess
    import sys

    import yaml

    text = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(name: podpath\n.*?)```", text, re.S)
    assert block
    steps = yaml.safe_load(block.group(1))["jobs"]["network"]["steps"]
    run = next(s["run"] for s in steps if s.get("name") == "Fail on new exposure")
    chart = Path(__file__).parent / "scenarios" / "helm-like" / "ingress-nginx.yaml"
    (tmp_path / "base" / "k8s").mkdir(parents=True)
    shutil.copy(chart, tmp_path / "base" / "k8s" / "chart.yaml")
    (tmp_path / "repo" / "k8s").mkdir(parents=True)
    scaled = chart.read_text().replace("replicas: 2", "replicas: 3")
    (tmp_path / "repo" / "k8s" / "chart.yaml").write_text(scaled)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "podpath"
    shim.write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "from podpath.cli import main; main()" "$@"\n'
    )
    shim.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "MANIFESTS": "k8s",
        "BASE": str(tmp_path / "base"),
    }
    done = subprocess.run(
        ["bash", "-c", run],
        cwd=tmp_path / "repo",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
