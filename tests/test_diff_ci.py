"""The CI example of docs/ci.md and the hooks of .pre-commit-hooks.yaml, exercised."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "diff"
PODPATH = [sys.executable, "-m", "podpath.cli"]


def _workflow() -> dict:  # type: ignore[type-arg]
    text = (ROOT / "docs" / "ci.md").read_text()
    block = re.search(r"```yaml\n(name: podpath\n.*?)```", text, re.S)
    assert block, "docs/ci.md lost its workflow"
    data = yaml.safe_load(block.group(1))
    assert isinstance(data, dict)
    return data


def _shim(tmp: Path) -> dict[str, str]:
    """PATH with a `podpath` that runs this checkout's CLI."""
    bindir = tmp / "bin"
    bindir.mkdir()
    shim = bindir / "podpath"
    shim.write_text(
        f'#!/bin/sh\nexec {sys.executable} -c "from podpath.cli import main; main()" "$@"\n'
    )
    shim.chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}


def test_workflow_shape() -> None:
    wf = _workflow()
    steps = wf["jobs"]["network"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    runs = " ".join(s.get("run", "") for s in steps)
    assert "podpath diff" in runs and "--format md" in runs and "gh pr comment" in runs
    assert "--format sarif" in runs and "--fail-on added-exposure" in runs
    assert wf["permissions"]["security-events"] == "write"


def test_workflow_podpath_steps_run(tmp_path: Path) -> None:
    """Run every `podpath` step of the job, with the base branch and the change being the
    example's old and new manifests."""
    work = tmp_path / "repo"
    shutil.copytree(DATA / "new", work / "k8s")
    shutil.copytree(DATA / "old", tmp_path / "base" / "k8s")
    env = {**_shim(tmp_path), "MANIFESTS": "k8s", "BASE": str(tmp_path / "base")}
    results = {}
    for step in _workflow()["jobs"]["network"]["steps"]:
        run = step.get("run", "")
        if not run.startswith("podpath "):
            continue
        done = subprocess.run(
            ["bash", "-c", run], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )
        results[step["name"]] = done
    assert results["Network diff (Markdown)"].returncode == 0
    md = (work / "podpath-diff.md").read_text()
    assert md.startswith("### podpath: network changes") and "became LoadBalancer" in md
    assert results["Doctor (SARIF)"].returncode == 0
    sarif = json.loads((work / "podpath.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"]
    # the change makes shop/web a LoadBalancer: the exposure gate fails the job
    assert results["Fail on new exposure"].returncode == 1


def _hooks() -> list[dict]:  # type: ignore[type-arg]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list)
    return hooks


def test_hooks_file_parses() -> None:
    hooks = {h["id"]: h for h in _hooks()}
    assert {"podpath-doctor", "podpath-doctor-files", "podpath-check"} <= set(hooks)
    for hook in hooks.values():
        assert {"id", "name", "entry", "language", "files"} <= set(hook)
        assert re.search(hook["files"], "deploy/app.yaml")
        assert not re.search(hook["files"], "README.md")


def _command_exists(name: str) -> bool:
    from podpath.cli import COMMANDS

    return name in COMMANDS


@pytest.mark.parametrize("hook_id", ["podpath-doctor", "podpath-doctor-files", "podpath-check"])
def test_hook_entries_run(tmp_path: Path, hook_id: str) -> None:
    """Run a hook as pre-commit would: entry + args (+ the changed files)."""
    import shlex

    hook = next(h for h in _hooks() if h["id"] == hook_id)
    if hook_id == "podpath-check" and not _command_exists("check"):
        pytest.skip("`podpath check` is not part of this build yet")
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "new", repo / "k8s")
    (repo / "podpath-expectations.yaml").write_text(
        "expectations:\n"
        "  - name: the monitor does not reach the database\n"
        "    from: ops/*\n"
        "    to: shop/app=db\n"
        "    expect: denied\n"
    )
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    if hook.get("pass_filenames", True):
        argv += ["k8s/shop.yaml"]
    done = subprocess.run(
        argv, cwd=repo, env=_shim(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode in (0, 1), done.stderr  # 1 = findings at the fail-on level
    assert "error:" not in done.stderr.lower() or done.returncode == 1, done.stderr
    assert done.stdout.strip(), "the hook printed nothing"
