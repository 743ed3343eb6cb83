"""The console samples of README.md and docs/*.md are real: each sample's command runs at
COLUMNS=100 and prints what the sample shows (``...`` alone on a line stands for lines left
out), and every sample's input file is in the repository. When an output changes on purpose:
``python scripts/docs_samples.py --update`` rewrites the samples (review the diff)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "docs_samples", ROOT / "scripts" / "docs_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_samples"] = module
    spec.loader.exec_module(module)
    return module


ds = _load()
SAMPLES = ds.samples()


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.where for s in SAMPLES])
def test_sample_is_the_real_output(sample: ds.Sample) -> None:
    found = ds.problems(sample)
    assert not found, "\n\n".join(found) + "\n(run: python scripts/docs_samples.py --update)"


def test_the_samples_are_found_and_mostly_run() -> None:
    runnable = [s for s in SAMPLES if s.runnable]
    assert len(SAMPLES) >= 20 and len(runnable) >= 15
    assert any(s.doc.name == "README.md" for s in runnable)
    shown = {c.args[0] for s in SAMPLES if not s.runnable for c in s.commands}
    assert shown <= {"sudo", "podpath"}  # shown only: the data plane (root), live clusters


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a", "b", "c"], False),  # a sample shows all, unless it says "..."
        (["a", "..."], ["a", "b", "c"], True),
        (["a", "...", "c"], ["a", "b", "x", "c"], True),
        (["a", "...", "c"], ["a", "b", "c", "d"], False),  # the last part ends the output
        (["a", "...", "c", "..."], ["a", "b", "c", "d"], True),
        (["...", "c"], ["a", "b", "c"], True),
        (["a", "...", "b"], ["a", "c"], False),
        (["a", "b ..."], ["a", "b c"], False),  # a trimmed line is not a marker
        ([], [], True),
    ],
)
def test_the_marker_stands_for_any_lines(expected: list[str], actual: list[str], ok: bool) -> None:
    assert ds.matches(expected, actual) is ok


def test_update_keeps_a_marked_samples_shape() -> None:
    old = ["== A ==", "a1", "...", "== B ==", "b1", "..."]
    new = ["== A ==", "a1", "a2", "== B ==", "b1", "b2"]
    assert ds.regenerate(old, new) == ["== A ==", "a1", "...", "== B ==", "b1", "..."]
    assert ds.regenerate(["x"], ["y", "z"]) == ["y", "z"]
    tail = ["head", "...", "== B ==", "b1"]  # no trailing marker: the last part ends the output
    assert ds.regenerate(tail, ["head", "x", "== B ==", "b1", "b2"]) == [
        "head",
        "...",
        "== B ==",
        "b1",
        "b2",
    ]


def test_inputs_named_in_samples_exist(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("```\n$ podpath services -f examples/nowhere\nx\n```\n")
    (sample,) = ds.samples([doc])
    sample = ds.Sample(ROOT / "README.md", sample.start, sample.end, sample.commands)
    assert any("no such input 'examples/nowhere'" in p for p in ds.problems(sample))
