"""The semantic core does no I/O and imports no loader, client or CLI library (STYLE.md 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "podpath"
CORE = ["model", "engine", "analyze", "normalize", "cluster"]
FORBIDDEN_MODULES = {
    "yaml",
    "kubernetes",
    "click",
    "rich",
    "argparse",
    "socket",
    "subprocess",
    "requests",
    "urllib.request",
    "http",
}
FORBIDDEN_CALLS = {"print", "open", "input"}


def _core_files() -> list[Path]:
    files: list[Path] = []
    for entry in CORE:
        path = SRC / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = {
        name
        for name in _imports(tree)
        if name in FORBIDDEN_MODULES or name.split(".")[0] in FORBIDDEN_MODULES
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & FORBIDDEN_CALLS, f"{path.name} calls {sorted(calls & FORBIDDEN_CALLS)}"


def test_core_files_found() -> None:
    assert len(_core_files()) >= 8
