"""examples/providers/<provider>/: each loads, ``auto`` detects its provider from the
manifests alone, and its README shows the real output of every command it lists (the
question "what reaches this pod from the internet on EKS, and from which address")."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize(
    ("dst", "expected"),
    [
        (
            "shop/storefront-0",
            "exposes it: http://www.example.com/ (Ingress/shop/storefront via "
            "IngressClass/alb); svc:shop/storefront (LoadBalancer). Trace each as --to "
            "(e.g. --to http://www.example.com/)",
        ),
        ("shop/admin-0", "exposes it: svc:shop/admin (LoadBalancer)."),
        ("blog/blog-0", "exposes it: http://www.example.com/blog (Ingress/blog/blog via"),
    ],
)
def test_what_reaches_this_pod_from_the_internet(
    dst: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--from internet --to NS/POD: from outside a packet never names a pod; the one-line
    answer lists what exposes it (Services of type LoadBalancer/NodePort or with externalIPs
    that hold it among their endpoints, routes whose backends hold it), each a --to to trace."""
    monkeypatch.chdir(ROOT)
    args = ["trace", "-f", "examples/providers/eks", "--from", "internet", "--to", dst]
    result = CliRunner().invoke(cli, [*args, "--provider", "eks"])
    assert result.exit_code != 0 and expected in str(result.exception)
    listed = str(result.exception).split("exposes it: ", 1)[1].split(". Trace each")[0]
    for line in listed.split("; "):
        target = line.split(" ", 1)[0]
        traced = CliRunner().invoke(
            cli, [*args[:-1], target, "--provider", "eks", "-o", "json"]
        )  # each answer is a --to that traces to the pod
        assert traced.exit_code in (0, 1), traced.output
        data = json.loads(traced.stdout)
        # the pod is behind it, or the trace says why not: shop/admin's NLB is internal; the
        # ALB evaluates its group's rules in order, and storefront's / takes /blog first
        pods = {e["pod"] for e in data["endpoints"]}
        assert (
            dst in pods
            or {
                "shop/admin-0": data["verdict"] == "unreachable",
                "blog/blog-0": pods == {"shop/storefront-0", "shop/storefront-1"},
            }[dst]
        )


def test_a_pod_nothing_exposes_is_unreachable_from_outside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        cli, ["trace", "-f", "examples/shop", "--from", "internet", "--to", "data/postgres-0"]
    )
    assert result.exit_code != 0
    assert "nothing exposes it" in str(result.exception)
    assert "unreachable from outside the cluster" in str(result.exception)
