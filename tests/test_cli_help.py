"""Help that helps, and a fast start: summaries are sentences, each command's --help shows
its examples and own options first and the shared ones once (Select, Input), every example
runs, help points to `podpath docs TOPIC` (installed), and importing podpath or asking for
--help loads neither numpy nor the manifest parser."""

from __future__ import annotations

import importlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from podpath.cli import COMMANDS, SECTIONS, cli, main
from podpath.commands.docs import pages
from podpath.commands.help import DOCS, EXAMPLES, INPUT_KEYS, SCOPE_KEYS, SUMMARIES

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def _command(name: str):  # type: ignore[no-untyped-def]
    module, attr = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), attr)


def test_every_command_has_a_sentence_summary_in_one_section() -> None:
    listed = [n for _, names in SECTIONS for n in names]
    assert sorted(listed) == sorted(COMMANDS) == sorted(SUMMARIES)
    for name, text in SUMMARIES.items():
        assert text[0].isupper() and text.endswith(".") and len(text) <= 64, name
        assert _command(name).short_help == text or _command(name).short_help is None


def test_top_level_help_lists_commands_without_importing_them() -> None:
    code = (
        "import sys\nfrom podpath.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m == 'numpy' or m.startswith(('podpath.commands.inv',"
        " 'podpath.sources', 'podpath.cluster', 'yaml'))]\nprint(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    assert out.stdout.strip().endswith("[]"), out.stdout[-300:]
    for name, summary in SUMMARIES.items():
        assert f"{name}  " in out.stdout and summary in out.stdout


def test_import_podpath_is_light_and_the_api_still_there() -> None:
    code = (
        "import sys, podpath\nassert 'numpy' not in sys.modules, 'numpy'\n"
        "assert 'podpath.sources.manifests' not in sys.modules\n"
        "print(podpath.__version__, podpath.load_cluster.__module__, podpath.InputError.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.1.0", "podpath.api", "InputError"]
    import podpath

    with pytest.raises(AttributeError):
        podpath.nothing_here  # noqa: B018


def test_python_dash_m_podpath_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "podpath", "--version"], env=ENV, capture_output=True, text=True
    )
    assert (out.returncode, out.stdout) == (0, "podpath, version 0.1.0\n")
    full = CliRunner().invoke(cli, ["--version"])
    assert full.output == out.stdout  # the fast path says what click says
    services = subprocess.run(
        [sys.executable, "-m", "podpath", "services", "-f", "examples/shop", "-o", "name"],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert services.returncode == 0 and "svc:shop/frontend" in services.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_help_examples_first_shared_options_once(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "docs/" not in text  # pip users have no docs/ folder: `podpath docs TOPIC`
    heads = [line for line in text.splitlines() if line.endswith(":") and not line[0].isspace()]
    if EXAMPLES.get(name):
        assert heads.index("Examples:") < heads.index("Options:")
    params = {p.name for p in _command(name).params}
    if INPUT_KEYS[0] in params:
        assert heads.count("Input:") == 1 and heads.index("Input:") > heads.index("Options:")
        input_part = text.split("\nInput:\n", 1)[1]
        assert "--file" in input_part and "--namespace" not in input_part
    if set(SCOPE_KEYS) <= params:
        assert "Select:" in heads
    if name in DOCS:
        assert f"More: podpath docs {DOCS[name]}" in text
        assert DOCS[name] in pages()


RUNNABLE = [
    (name, example)
    for name, examples in sorted(EXAMPLES.items())
    for example in examples
    if not example.startswith("sudo") and "--live" not in example and "--context" not in example
]


@pytest.mark.parametrize(("name", "example"), RUNNABLE, ids=[e for _, e in RUNNABLE])
def test_every_example_runs(
    name: str,
    example: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The examples in --help are real: each runs on this repository (exit 0, or 1 where the
    answer is a failure: doctor's findings, a failing check)."""
    monkeypatch.chdir(ROOT)
    command = example.split(" | ")[0].split(" > ")[0]
    args = shlex.split(command)
    assert args[0] == "podpath"
    args = [str(tmp_path / Path(a).name) if a.endswith(".html") else a for a in args[1:]]
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert out or err


def test_docs_command_lists_and_prints_installed_pages(capsys: pytest.CaptureFixture[str]) -> None:
    assert {"policy", "doctor", "trace"} <= set(pages())
    with pytest.raises(SystemExit) as exc:
        main(["docs", "policy"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == (ROOT / "docs" / "policy.md").read_text()
    with pytest.raises(SystemExit) as exc:
        main(["docs", "polcy"])
    assert exc.value.code == 2 and "did you mean policy?" in capsys.readouterr().err


def test_docs_are_package_data_of_a_build(tmp_path: Path) -> None:
    """A build (as pip does it) copies docs/*.md into the package."""
    build = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q",
         "egg_info", "--egg-base", str(tmp_path), "build_py", "--build-lib", str(build)],
        cwd=ROOT, capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    shipped = sorted(p.name for p in (build / "podpath" / "docs").glob("*.md"))
    assert shipped == sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert not (build / "podpath" / "docs").is_symlink()


def test_small_manifests_load_without_numpy() -> None:
    """`services -f examples/shop` (a pre-commit hook's load) imports no numpy: the loader's
    nesting bound has a pure-Python path for small texts, equal to numpy's (checked here)."""
    import random

    from podpath.sources import yaml_safety

    code = (
        "import sys\nfrom podpath.cli import main\n"
        "try:\n    main(['services', '-f', 'examples/shop', '-o', 'name'])\n"
        "except SystemExit:\n    pass\nprint('numpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=ENV, cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip().endswith("False"), out.stdout[-200:]
    rng = random.Random(3)
    small = yaml_safety.SMALL_TEXT
    for _ in range(300):
        text = "".join(rng.choices("ab[]{}\n -?: é", k=rng.randint(0, 300)))
        python = (yaml_safety.text_depth_bound(text), yaml_safety.json_depth(text))
        try:
            yaml_safety.SMALL_TEXT = 0  # the numpy path
            assert (yaml_safety.text_depth_bound(text), yaml_safety.json_depth(text)) == python
        finally:
            yaml_safety.SMALL_TEXT = small


def test_services_parses_no_certificate_until_a_tls_check_asks() -> None:
    """examples/shop holds TLS Secrets: `services` does not need their certificates, so
    ``cryptography`` is not imported (its import was a fifth of the start-up); doctor is
    still told about the certificate (the TLS check parses it on use)."""
    code = (
        "import sys\nfrom podpath.cli import main\n"
        "try:\n    main(['services', '-f', 'examples/shop', '-o', 'name'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('cryptography')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=ENV, cwd=ROOT, capture_output=True, text=True
    )
    assert out.stdout.strip().endswith("[]"), out.stdout[-300:]
