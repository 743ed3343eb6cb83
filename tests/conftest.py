"""Shared test infrastructure: golden files (STYLE.md section 9).

    def test_something(golden):
        golden("shop.services.json", output)   # compares with tests/golden/shop.services.json

``pytest --update-goldens`` rewrites the golden files from the current output instead of
comparing (review the diff like code). A missing golden fails with the command to create it.
Golden names are relative paths under ``tests/golden/`` (sub-folders allowed).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check answers, not speed: on a loaded 2-core machine one example can take
# longer than hypothesis's 200 ms default deadline, which would fail a correct test.
settings.register_profile(
    "podpath", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("podpath")

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
UPDATE_OPTION = "--update-goldens"
MAX_DIFF_LINES = 80


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        UPDATE_OPTION,
        action="store_true",
        default=False,
        help="rewrite tests/golden/* from the current output instead of comparing",
    )


class Golden:
    """Compare text with ``tests/golden/<name>`` (or rewrite it under ``--update-goldens``)."""

    def __init__(self, update: bool, directory: Path = GOLDEN_DIR) -> None:
        self.update = update
        self.directory = directory

    def path(self, name: str) -> Path:
        path = (self.directory / name).resolve()
        if self.directory.resolve() not in path.parents:
            raise ValueError(f"golden name {name!r} leaves {self.directory}")
        return path

    def __call__(self, name: str, text: str) -> None:
        path = self.path(name)
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file tests/golden/{name} is missing: run pytest {UPDATE_OPTION}")
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = list(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"tests/golden/{name}",
                    tofile="actual",
                )
            )
            shown = "".join(diff[:MAX_DIFF_LINES])
            more = (
                f"\n... {len(diff) - MAX_DIFF_LINES} more diff lines"
                if len(diff) > MAX_DIFF_LINES
                else ""
            )
            pytest.fail(
                f"output differs from tests/golden/{name} "
                f"(run pytest {UPDATE_OPTION} to accept):\n{shown}{more}",
                pytrace=False,
            )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """``golden(name, text)``: assert ``text`` equals ``tests/golden/<name>``."""
    return Golden(bool(request.config.getoption(UPDATE_OPTION)))


@pytest.fixture(autouse=True)
def _no_terminal_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outputs do not depend on the caller's terminal: COLUMNS (table width) and NO_COLOR are
    unset; a test that needs them sets them."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
