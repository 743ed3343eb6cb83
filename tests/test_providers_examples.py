"""examples/providers/<provider>/: each loads, ``auto`` detects its provider from the
manifests alone, and its README shows the real output of every command it lists (the
question "what reaches this pod from the internet on EKS, and from which address")."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from podpath.api import load_cluster
from podpath.cli import cli
from podpath.engine.providers.detect import detect

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "providers"
PROVIDERS = ("aks", "eks", "gke", "kind", "metallb", "minikube")


def commands(readme: Path) -> list[tuple[str, str]]:
    """(command, output) for each ``$ podpath ...`` line of a console block."""
    out: list[tuple[str, str]] = []
    current: list[str] | None = None
    for line in readme.read_text().splitlines():
        if line.startswith("$ podpath "):
            current = []
            out.append((line[len("$ podpath ") :], ""))
        elif line.startswith("```"):
            current = None
        elif current is not None:
            cmd, text = out[-1]
            out[-1] = (cmd, text + line + "\n")
    return out


def test_every_provider_has_an_example() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == sorted(PROVIDERS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_auto_detects_the_example(provider: str) -> None:
    cluster = load_cluster([str(EXAMPLES / provider / "cluster.yaml")])
    found = detect(cluster)
    # kind shows itself by its IngressClass; MetalLB by its annotations
    assert found.provider == provider


@pytest.mark.parametrize(
    ("provider", "command", "output"),
    [(p, c, o) for p in PROVIDERS for c, o in commands(EXAMPLES / p / "README.md")],
    ids=lambda v: v if v in PROVIDERS else None,
)
def test_readme_shows_the_real_output(
    provider: str, command: str, output: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, shlex.split(command))
    assert result.exit_code in (0, 1), result.output
    assert result.stdout == output, f"examples/providers/{provider}/README.md: {command}"
