"""The house rules, enforced.

- The semantic core does no I/O and imports no loader, client or CLI library (STYLE.md 1).
- No import cycle between the modules of src/podpath; imports inside functions and under
  ``if TYPE_CHECKING:`` count (docs/architecture.md: data flows one way).
- No module imports another module's ``_private`` name.
- No module is over 450 lines.
- docs/architecture.md agrees: imports go down its layer line (with its two exceptions), and
  every `module:function` of its rule table is defined there.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
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


# --- the module import graph -------------------------------------------------------------

MAX_LINES = 450

#: No cycle is allowed (analyze/trace/ is one-way since issue 12). Nothing may be added.
ALLOWED_CYCLES: frozenset[frozenset[str]] = frozenset()

#: Modules over MAX_LINES: none (sources/manifests.py was split by concern). Nothing may be
#: added.
ALLOWED_LONG: frozenset[str] = frozenset()


def module_name(root: Path, path: Path) -> str:
    """``root/podpath/engine/policy.py`` -> ``podpath.engine.policy`` (a package: its name)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_of(root: Path) -> dict[str, Path]:
    return {module_name(root, p): p for p in sorted(root.rglob("*.py"))}


def imported_module(name: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def import_targets(name: str, path: Path, modules: Mapping[str, Path]) -> Iterator[str]:
    """Every module of ``modules`` that ``name`` imports, anywhere in the file: at the top, in
    a function or under ``if TYPE_CHECKING``. ``from pkg import mod`` imports ``pkg.mod``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = imported_module(name, path, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target = sub if sub in modules else base
                if target in modules:
                    yield target


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules it imports (itself left out)."""
    modules = modules_of(root)
    return {
        name: {t for t in import_targets(name, path, modules) if t != name}
        for name, path in modules.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan), iteratively: every
    module of one imports, through the others, every other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return sorted(found, key=sorted)


def cycle_path(graph: Mapping[str, set[str]], component: frozenset[str]) -> list[str]:
    """One shortest import cycle through the first module of ``component`` (for the message)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return [start]


def private_imports(root: Path) -> list[str]:
    """``from X import _y`` (or ``mod._y`` on an imported module) where X is another module."""
    modules = modules_of(root)
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        module_aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = imported_module(name, path, node)
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:
                        module_aliases.add(alias.asname or alias.name)
                    elif base in modules and base != name and _is_private(alias.name):
                        found.append(f"{name}:{node.lineno} imports {base}.{alias.name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases
                and _is_private(node.attr)
            ):
                found.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def long_modules(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """``podpath/x.py`` -> its line count, for every module over ``limit`` lines."""
    counts = {
        path.relative_to(root).as_posix(): len(path.read_text().splitlines())
        for path in sorted(root.rglob("*.py"))
    }
    return {k: n for k, n in counts.items() if n > limit}


def test_no_import_cycles() -> None:
    graph = import_graph(SRC.parent)
    found = cycles(graph)
    new = [" -> ".join(cycle_path(graph, c)) for c in found if c not in ALLOWED_CYCLES]
    assert not new, "import cycles: " + "; ".join(new)
    gone = [sorted(c) for c in ALLOWED_CYCLES if c not in found]
    assert not gone, f"no longer a cycle, remove it from ALLOWED_CYCLES: {gone}"


def test_no_private_imports() -> None:
    found = private_imports(SRC.parent)
    assert not found, "imports of another module's private names: " + "; ".join(found)


def test_modules_are_short() -> None:
    found = long_modules(SRC.parent)
    new = {k: n for k, n in found.items() if k not in ALLOWED_LONG}
    assert not new, f"modules over {MAX_LINES} lines: {new}"
    gone = sorted(ALLOWED_LONG - set(found))
    assert not gone, f"no longer over {MAX_LINES} lines, remove from ALLOWED_LONG: {gone}"


# --- the rules' own tests: they find what they are meant to find ---------------------------


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [{"a", "b"}]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [{"a", "b", "c"}]),
        (
            {"a": {"b", "d"}, "b": {"a"}, "c": {"d"}, "d": {"c"}, "e": {"a", "c"}},
            [{"a", "b"}, {"c", "d"}],
        ),
        ({"a": {"b"}, "b": {"c"}, "c": {"b", "d"}, "d": {"a"}}, [{"a", "b", "c", "d"}]),
    ],
)
def test_cycle_finder(graph: dict[str, set[str]], expected: list[set[str]]) -> None:
    assert cycles(graph) == [frozenset(c) for c in expected]


def test_cycle_path_is_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c", "a"}, "c": {"a"}}
    assert cycle_path(graph, frozenset(graph)) == ["a", "b", "a"]


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_import_graph_counts_function_level_relative_and_type_checking_imports(
    tmp_path: Path,
) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import f\n",
            "b.py": "def f():\n    from . import c\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n",
            "d.py": "from .sub.e import g\n",
            "sub/__init__.py": "",
            "sub/e.py": "from ..d import h\n",
        },
    )
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert graph["pkg.sub.e"] == {"pkg.d"}
    assert cycles(graph) == [
        frozenset({"pkg.a", "pkg.b", "pkg.c"}),
        frozenset({"pkg.d", "pkg.sub.e"}),
    ]


def test_private_imports_found(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "def _x(): ...\n__version__ = '1'\n",
            "b.py": "from pkg.a import _x, __version__\n",
            "c.py": "from pkg import a\na._x()\n",
            "d.py": "def f():\n    from .a import _x\n",
        },
    )
    assert private_imports(root) == [
        "pkg.b:1 imports pkg.a._x",
        "pkg.c:2 uses a._x",
        "pkg.d:2 imports pkg.a._x",
    ]


def test_long_modules_found(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"short.py": "x = 1\n" * 3, "long.py": "x = 1\n" * 4})
    assert long_modules(root, limit=3) == {"pkg/long.py": 4}


# -- docs/architecture.md agrees with the code ----------------------------------------------

DOC = SRC.parents[1] / "docs" / "architecture.md"


def rule_table_refs(text: str) -> list[tuple[str, str | None]]:
    """``(module path, function or None)`` for every reference of the "Where each Kubernetes
    rule lives" table: ``mod:func``, then bare ``func`` names of the same module."""
    table = text.split("## Where each Kubernetes rule lives", 1)[1]
    refs: list[tuple[str, str | None]] = []
    for line in table.splitlines():
        if not line.startswith("| ") or line.startswith(("| rule", "| ---")):
            continue
        module = ""
        for ref in line.rsplit("|", 2)[1].split("`")[1::2]:
            if ":" in ref:
                module, _, func = ref.partition(":")
            elif "/" in ref:
                module, func = ref, ""
            else:
                func = ref
            refs.append((module if "/" in module else f"engine/providers/{module}", func or None))
    return refs


def test_rule_table_names_functions_that_exist() -> None:
    """A newcomer finds a rule in one hop: each `module:function` of the table is defined
    there (a module path alone: the module exists)."""
    refs = rule_table_refs(DOC.read_text())
    assert len(refs) > 80
    missing = []
    for module, func in refs:
        path = SRC / f"{module}.py"
        if not path.exists():
            path = SRC / module / "__init__.py"
        if not path.exists():
            missing.append(module)
            continue
        if func is None:
            continue
        tree = ast.parse(path.read_text())
        defined = {
            n.name
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        if func not in defined:
            missing.append(f"{module}:{func}")
    assert not missing, f"docs/architecture.md names what the code does not define: {missing}"


#: The layers, from the bottom up: a module imports only its own layer and those below it.
LAYERS = (
    "errors gcpause",
    "model",
    "sources",
    "normalize",
    "cluster",
    "engine",
    "analyze",
    "render",
    "dataplane",
    "api",
    "commands",
    "cli",
)
#: The documented exceptions (docs/architecture.md, "Imports, from the bottom up").
MODEL_RULES = (
    "engine.selectors",
    "engine.scheduling",
    "engine.services",
    "engine.traffic_distribution",
)
UPWARD_ALLOWED = {("commands.completion", "cli")}


def _layer(module: str) -> tuple[int, str]:
    parts = module.split(".")
    sub = parts[1] if len(parts) > 1 else "api"  # podpath/__init__: the public API's facade
    rest = ".".join(parts[1:3])
    for i, names in enumerate(LAYERS):
        if sub in names.split():
            return i, rest
    return len(LAYERS), rest  # __main__: above everything


def upward_imports(graph: Mapping[str, set[str]]) -> list[str]:
    """Imports of a higher layer, but for the documented exceptions."""
    out = []
    for a, targets in sorted(graph.items()):
        la, ra = _layer(a)
        for b in sorted(targets):
            lb, rb = _layer(b)
            if lb <= la or rb in MODEL_RULES or (ra, rb.split(".")[0]) in UPWARD_ALLOWED:
                continue
            out.append(f"{a} -> {b}")
    return out


def test_imports_go_down_the_layers_the_doc_lists() -> None:
    text = DOC.read_text()
    line = next(x for x in text.splitlines() if x.startswith("Imports, from the bottom up:"))
    listed = [w.strip("`,.;") for w in line.split(":", 1)[1].split() if w.startswith("`")]
    assert listed == [n for names in LAYERS for n in names.split()]
    for name in MODEL_RULES:
        assert f"`{name.replace('.', '/')}`" in text
    graph = import_graph(SRC.parent)
    assert not upward_imports(graph)
    for name in MODEL_RULES:  # the exception holds only while they stay model-level rules
        outside = {
            t
            for t in graph[f"podpath.{name}"]
            if not t.startswith("podpath.model.") and t[len("podpath.") :] not in MODEL_RULES
        }
        assert not outside, f"{name} imports {sorted(outside)}: no longer a model-level rule"


def test_upward_import_found() -> None:
    graph = {
        "podpath.model.core": {"podpath.engine.policy"},
        "podpath.cluster.x": {"podpath.engine.services"},
    }
    assert upward_imports(graph) == ["podpath.model.core -> podpath.engine.policy"]
