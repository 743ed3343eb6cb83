"""The trace package's stages hand a connection one way: each stage module imports only the
stages below it (in the order of podpath.analyze.trace's docstring), the values and the
question; the pipelines and the dispatch sit on top (issue 12)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "podpath" / "analyze" / "trace"
PREFIX = "podpath.analyze.trace."
BASE = ["values", "question", "exposure"]
STAGES = [
    "source",
    "name",
    "dns_reach",
    "address",
    "ip_mode",
    "load_balancer",
    "entry",
    "endpoints",
    "policy",
]
PIPELINES = ["inside", "outside", "url"]
TOP = ["dispatch"]


def _trace_imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    return {
        node.module[len(PREFIX) :]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX)
    }


def test_every_module_has_a_place() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(BASE + STAGES + PIPELINES + TOP)


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_stages_below_it(stage: str) -> None:
    below = set(STAGES[STAGES.index(stage) + 1 :])
    assert _trace_imports(stage) <= below | set(BASE), stage


@pytest.mark.parametrize("module", BASE)
def test_the_values_import_no_stage(module: str) -> None:
    assert _trace_imports(module) <= {"values"}


@pytest.mark.parametrize("module", PIPELINES)
def test_a_pipeline_imports_no_other_pipeline(module: str) -> None:
    assert not _trace_imports(module) & set(PIPELINES + TOP)


def test_only_the_dispatch_chooses_a_pipeline() -> None:
    users = {m for m in BASE + STAGES + PIPELINES + TOP if _trace_imports(m) & set(PIPELINES)}
    assert users == {"dispatch"}
