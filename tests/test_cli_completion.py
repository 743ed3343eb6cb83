"""Shell completion: `podpath completion bash|zsh|fish` prints click's script; TAB completes
commands, options, -f files, namespaces and pod names read from the -f files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from podpath.cli import main

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def complete(words: str, shell: str = "bash") -> list[str]:
    """What the completion protocol answers for the words typed so far (the last may be
    partial; a trailing blank starts a new word)."""
    parts = words.split(" ")
    env = {**ENV, "_PODPATH_COMPLETE": f"{shell}_complete"}
    if shell in ("bash", "zsh"):
        env |= {"COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)}
    else:  # fish passes the partial word itself
        env |= {"COMP_WORDS": words, "COMP_CWORD": parts[-1]}
    out = subprocess.run(
        [sys.executable, "-m", "podpath"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    if shell == "bash":  # TYPE,VALUE per line
        return [line.split(",", 1)[1] for line in lines if line]
    if shell == "fish" and lines and "," in lines[0].split("\t", 1)[0]:
        # click >= 8.2 prints fish items as TYPE,VALUE<TAB>HELP, one per line
        return [line.split("\t", 1)[0].split(",", 1)[1] for line in lines if line]
    return lines[1::3]  # zsh (and fish before click 8.2): TYPE, VALUE, HELP lines


def test_commands_and_options_complete() -> None:
    assert complete("podpath serv") == ["services"]
    assert set(complete("podpath rou")) == {"route", "routes"}
    assert complete("podpath pods --na") == ["--namespace"]
    assert "--all-namespaces" in complete("podpath pods --")
    assert complete("podpath completion ") == ["bash", "zsh", "fish"]


def test_namespaces_and_pods_complete_from_the_files() -> None:
    namespaces = complete("podpath pods -f examples/shop -n ")
    assert {"shop", "data", "payments", "kube-system"} <= set(namespaces)
    assert complete("podpath pods -f examples/shop -n pay") == ["payments"]
    pods = complete("podpath trace -f examples/shop --from shop/fr")
    assert "shop/frontend" in pods and all(p.startswith("shop/fr") for p in pods)
    assert any(p.startswith("shop/frontend-") for p in pods)  # the pods themselves too
    services = complete("podpath trace -f examples/shop --from shop/frontend --to svc:shop/ca")
    assert services == ["svc:shop/cart", "svc:shop/catalog"]
    assert "data/postgres-0" in complete("podpath explain -f examples/shop data/")
    assert complete("podpath pods -n ") == []  # no -f: nothing to read, nothing offered


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_speak_the_protocol(shell: str) -> None:
    assert "services" in complete("podpath serv", shell)
    assert "payments" in complete("podpath pods -f examples/shop -n pay", shell)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["completion", shell])
    assert exc.value.code == 0
    script = capsys.readouterr().out
    assert "_PODPATH_COMPLETE" in script and f"{shell}_complete" in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_script_completes_in_bash(tmp_path: Path) -> None:
    """The script itself, sourced in bash, fills COMPREPLY (podpath from this tree on PATH)."""
    shim = tmp_path / "podpath"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m podpath "$@"\n')
    shim.chmod(0o755)
    script = subprocess.run(
        [sys.executable, "-m", "podpath", "completion", "bash"],
        env=ENV, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    test = (
        script
        + "\nCOMP_WORDS=(podpath pods -f examples/shop -n pay); COMP_CWORD=5\n"
        + '_podpath_completion podpath; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(
        ["bash", "-c", test],
        env={**ENV, "PATH": f"{tmp_path}{os.pathsep}{ENV['PATH']}"},
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.split() == ["payments"]
