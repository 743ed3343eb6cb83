"""The krew manifest (plugins/podpath.yaml) and the GitHub Action (action.yml).

The manifest is checked with krew's own structural rules (krew internal/index/validation
``ValidatePlugin``/``validatePlatform``/``validateSelector``, rewritten here). The action's
``run:`` steps are run in bash as the runner runs them (inputs through ``env:``, ``if:``
conditions evaluated), with podpath from this tree on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def krew_problems(name: str, plugin: dict[str, Any]) -> list[str]:
    """What krew's ValidatePlugin would refuse in a manifest named ``name``.yaml."""
    spec = plugin.get("spec") or {}
    problems = []
    if plugin.get("apiVersion") != "krew.googlecontainertools.github.com/v1alpha2":
        problems.append("apiVersion")
    if plugin.get("kind") != "Plugin":
        problems.append("kind")
    if not re.fullmatch(r"[\w-]+", name) or (plugin.get("metadata") or {}).get("name") != name:
        problems.append("name")
    short = spec.get("shortDescription") or ""
    if not short or "\n" in short or "\r" in short:
        problems.append("shortDescription")
    if not SEMVER.match(str(spec.get("version", ""))):
        problems.append("version")
    platforms = spec.get("platforms") or []
    if not platforms:
        problems.append("platforms")
    for p in platforms:
        problems += platform_problems(p)
    return problems


def platform_problems(p: dict[str, Any]) -> list[str]:
    """krew's validatePlatform, validateFiles and validateSelector."""
    problems = []
    if not str(p.get("uri", "")).startswith("https://"):
        problems.append("uri")
    if not re.fullmatch(r"[a-f0-9]{64}", str(p.get("sha256", ""))):
        problems.append("sha256")
    if not p.get("bin"):
        problems.append("bin")
    files = p.get("files")
    if files is not None and (
        not files or any(not f.get("from") or not f.get("to") for f in files)
    ):
        problems.append("files")
    selector = p.get("selector") or {}
    keys = list(selector.get("matchLabels") or {}) + [
        e.get("key") for e in selector.get("matchExpressions") or []
    ]
    if not keys or any(k not in ("os", "arch") for k in keys):
        problems.append("selector")
    return problems


def test_krew_manifest_is_valid_and_names_the_kubectl_plugin_binary() -> None:
    path = ROOT / "plugins" / "podpath.yaml"
    plugin = yaml.safe_load(path.read_text())
    assert krew_problems(path.stem, plugin) == []
    (platform,) = plugin["spec"]["platforms"]
    assert platform["bin"] == "kubectl-podpath"
    assert any(f["from"] == "kubectl-podpath" for f in platform["files"])
    from podpath import __version__

    assert plugin["spec"]["version"] == f"v{__version__}"
    assert f"v{__version__}" in platform["uri"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'kubectl-podpath = "podpath.__main__:main"' in pyproject  # the binary exists


def test_krew_rules_refuse_broken_manifests() -> None:
    good = yaml.safe_load((ROOT / "plugins" / "podpath.yaml").read_text())
    broken = yaml.safe_load((ROOT / "plugins" / "podpath.yaml").read_text())
    broken["spec"]["version"] = "0.1"
    broken["spec"]["platforms"][0]["sha256"] = "ABC"
    broken["spec"]["platforms"][0]["selector"] = {"matchLabels": {"distro": "debian"}}
    assert krew_problems("podpath", broken) == ["version", "sha256", "selector"]
    assert krew_problems("other", good) == ["name"]


# -- the GitHub Action ---------------------------------------------------------------------

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(expression: str, inputs: dict[str, str]) -> Any:
    """The few expression forms action.yml uses: ``inputs.NAME``, ``'text'``, ``==``, ``&&``,
    ``||`` and ``github.base_ref``."""
    expression = expression.strip()
    if "&&" in expression:
        return all(evaluate(part, inputs) for part in expression.split("&&"))
    if "||" in expression:
        values = [evaluate(part, inputs) for part in expression.split("||")]
        return next((v for v in values if v), "")
    if "==" in expression:
        left, right = expression.split("==")
        return evaluate(left, inputs) == evaluate(right, inputs)
    if expression.startswith("'"):
        return expression.strip("'")
    if expression.startswith("inputs."):
        return inputs[expression[len("inputs.") :]]
    if expression == "github.base_ref":
        return "main"
    raise AssertionError(f"unsupported expression {expression!r}")


def substitute(value: str, inputs: dict[str, str]) -> str:
    return EXPR.sub(lambda m: str(evaluate(m.group(1), inputs)), value)


def run_action(inputs: dict[str, str], tmp_path: Path) -> tuple[int, list[str], dict[str, str]]:
    """Run the action's shell steps in order (skipping `uses:` steps and the pip install),
    as the runner does: stop at the first failing step. Returns (exit status of the last step
    run, the names of the steps run, the outputs written to GITHUB_OUTPUT)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | inputs
    (tmp_path / "work").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "podpath"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m podpath "$@"\n')
    shim.chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.touch()
    summary.touch()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT / "src"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path),
    }
    ran: list[str] = []
    code = 0
    for step in action["runs"]["steps"]:
        if "if" in step and not evaluate(step["if"], values):
            continue
        if "uses" in step or step.get("name") == "Install podpath":
            continue
        assert "${{" not in step["run"], "scripts read their inputs from env:"
        step_env = {k: substitute(str(v), values) for k, v in (step.get("env") or {}).items()}
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
            cwd=tmp_path / "work",
            env={**env, **step_env},
            capture_output=True,
            text=True,
            check=False,
        )
        ran.append(step["name"])
        code = proc.returncode
        if code:
            break
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return code, ran, outputs


def test_action_doctor_writes_sarif_then_fails_on_errors(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shop = str(ROOT / "examples" / "shop")
    work = tmp_path_factory.mktemp("doctor")
    code, ran, outputs = run_action({"command": "doctor", "manifests": shop}, work)
    assert ran == ["Check the inputs", "podpath doctor (SARIF)", "podpath doctor"]
    assert code == 1  # examples/shop has errors: the gate fails after the SARIF is written
    sarif = (work / "work" / outputs["sarif-file"]).read_text()
    assert '"version": "2.1.0"' in sarif and "service-selects-no-pods" in sarif
    never = {"command": "doctor", "manifests": shop, "fail-on": "never"}
    assert run_action(never, tmp_path_factory.mktemp("never"))[0] == 0


def test_action_diff_summarises_and_gates_on_new_exposure(tmp_path: Path) -> None:
    old, new = (str(ROOT / "tests" / "data" / "diff" / side) for side in ("old", "new"))
    code, ran, outputs = run_action({"command": "diff", "manifests": new, "base": old}, tmp_path)
    assert ran == ["Check the inputs", "podpath diff"]
    assert code == 1  # the new manifests expose a NodePort: added-exposure fails
    assert outputs["diff-file"] == "podpath-diff.md"
    assert "NodePort" in (tmp_path / "summary").read_text()


def test_action_refuses_an_unknown_command(tmp_path: Path) -> None:
    code, ran, _ = run_action({"command": "lint"}, tmp_path)
    assert (code, ran) == (2, ["Check the inputs"])
