"""The console samples of README.md and docs/*.md, run and compared with what they show.

    python scripts/docs_samples.py            # check: exit 1 and a diff where a sample is stale
    python scripts/docs_samples.py --update   # rewrite every sample from the real output
    python scripts/docs_samples.py --list     # the samples and whether each is run

A sample is a fenced block whose lines start with ``$ COMMAND`` followed by that command's
output. ``podpath`` commands (and ``echo $?`` after one) run here, in-process, from the
repository's root, at ``COLUMNS=100``, without colour, with no kubeconfig; the output is
standard output then standard error. A block that also holds other commands (``sudo``, a
live cluster: ``--kubeconfig``/``--context``) is shown, not run; its input files must still
exist. The one marker a sample may use to leave lines out is a line ``...`` alone: it stands
for any number of lines (zero or more); every other line must be the output's line, exactly
(trailing blanks aside). ``--update`` keeps a marked sample's shape: each part between markers
is taken again from where its first line now is. tests/test_docs_samples.py runs the check.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import shlex
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
WIDTH = "100"
MARKER = "..."
NOT_RUN = ("--kubeconfig", "--context")  # a live cluster: shown, not run
PATH_OPTIONS = ("-f", "--file")


@dataclass(frozen=True)
class Command:
    text: str  # after "$ "
    line: int  # index of the "$ " line in the document
    expected: tuple[str, ...]  # the sample's output lines

    @property
    def args(self) -> list[str]:
        return shlex.split(self.text, comments=True)


@dataclass(frozen=True)
class Sample:
    doc: Path
    start: int  # index of the block's first line (after the fence)
    end: int  # index of the closing fence
    commands: tuple[Command, ...]

    @property
    def runnable(self) -> bool:
        for c in self.commands:
            args = c.args
            if args[:2] == ["echo", "$?"]:
                continue
            if not args or args[0] != "podpath" or any(a in NOT_RUN for a in args):
                return False
        return True

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.start}"


def samples(docs: Sequence[Path] = DOCS) -> list[Sample]:
    """Every console sample of the documents, in order."""
    out = []
    for doc in docs:
        lines = doc.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            if not lines[i].startswith("```"):
                i += 1
                continue
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            if end is None:
                break
            block = _commands(lines, i + 1, end)
            if block:
                out.append(Sample(doc, i + 1, end, tuple(block)))
            i = end + 1
    return out


def _commands(lines: list[str], start: int, end: int) -> list[Command]:
    if not lines[start:end] or not lines[start].startswith("$ "):
        return []
    commands: list[Command] = []
    for i in range(start, end):
        if lines[i].startswith("$ "):
            commands.append(Command(lines[i][2:], i, ()))
        else:
            last = commands[-1]
            commands[-1] = Command(last.text, last.line, (*last.expected, lines[i].rstrip()))
    return commands


def input_paths(command: Command) -> list[str]:
    """The files a command reads: ``-f`` values and the path-like arguments."""
    args = command.args
    paths = [args[i + 1] for i, a in enumerate(args[:-1]) if a in PATH_OPTIONS]
    paths += [a for a in args[1:] if a.startswith(("examples/", "tests/", "docs/"))]
    return [p for p in paths if p != "-"]


def _written(args: Sequence[str]) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--output-file", "--html")]


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("COLUMNS", "NO_COLOR", "KUBECONFIG", "HOME")}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as home:
        os.environ.update({"COLUMNS": WIDTH, "NO_COLOR": "1", "HOME": home})
        os.environ.pop("KUBECONFIG", None)
        os.chdir(ROOT)
        try:
            yield
        finally:
            os.chdir(cwd)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def run(sample: Sample) -> list[list[str]]:
    """Each command's real output lines (standard output, then standard error)."""
    from podpath.cli import main

    outputs: list[list[str]] = []
    status = 0
    with _environment():
        for command in sample.commands:
            args = command.args
            if args[:2] == ["echo", "$?"]:
                outputs.append([str(status)])
                continue
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main(args[1:])
                    status = 0
                except SystemExit as exc:
                    status = exc.code if isinstance(exc.code, int) else 1
            text = out.getvalue() + err.getvalue()
            outputs.append([line.rstrip() for line in text.splitlines()])
    return outputs


def matches(expected: Sequence[str], actual: Sequence[str]) -> bool:
    """Whether the sample's lines are the output's, a ``...`` line standing for any lines."""
    parts = _parts(expected)
    pos = 0
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if n == 0:
            if list(actual[: len(part)]) != part:
                return False
            pos = len(part)
            if last and not _trailing_marker(expected) and pos != len(actual):
                return False
            continue
        found = _find(actual, part, pos, at_end=last and not _trailing_marker(expected))
        if found is None:
            return False
        pos = found + len(part)
    return True


def _parts(expected: Sequence[str]) -> list[list[str]]:
    """The runs of lines between ``...`` markers (the first may be empty)."""
    parts: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == MARKER:
            parts.append([])
        else:
            parts[-1].append(line)
    return parts


def _trailing_marker(expected: Sequence[str]) -> bool:
    return bool(expected) and expected[-1].strip() == MARKER


def _find(actual: Sequence[str], part: list[str], start: int, *, at_end: bool) -> int | None:
    if not part:
        return len(actual) if at_end else start
    if at_end:
        begin = len(actual) - len(part)
        return begin if begin >= start and list(actual[begin:]) == part else None
    for i in range(start, len(actual) - len(part) + 1):
        if list(actual[i : i + len(part)]) == part:
            return i
    return None


def regenerate(expected: Sequence[str], actual: Sequence[str]) -> list[str]:
    """The sample's lines from the new output: all of it, or, for a marked sample, each part
    again with its length, from where its first line (else its first word) now is."""
    if not any(line.strip() == MARKER for line in expected):
        return list(actual)
    out: list[str] = []
    pos = 0
    parts = _parts(expected)
    for n, part in enumerate(parts):
        if n:
            out.append(MARKER)
        if not part:
            continue
        at = 0 if n == 0 else _anchor(actual, part[0], pos)
        if at is None:
            raise SystemExit(f"cannot place {part[0]!r} in the new output: edit the sample")
        last = n == len(parts) - 1 and not _trailing_marker(expected)
        end = len(actual) if last else at + len(part)  # a last part runs to the output's end
        out += list(actual[at:end])
        pos = end
    return out


def _anchor(actual: Sequence[str], first: str, start: int) -> int | None:
    for candidates in (lambda a: a == first, lambda a: a.split()[:1] == first.split()[:1]):
        hit = next((i for i in range(start, len(actual)) if candidates(actual[i])), None)
        if hit is not None:
            return hit
    return None


def problems(sample: Sample) -> list[str]:
    """What is stale in a sample (a diff per command), or its missing input files."""
    made = {a for c in sample.commands for a in _written(c.args)}  # by an earlier command
    out = [
        f"{sample.doc.relative_to(ROOT)}:{c.line + 1}: no such input {p!r}"
        for c in sample.commands
        for p in input_paths(c)
        if not (ROOT / p).exists() and p not in made
    ]
    if out or not sample.runnable:
        return out
    for command, actual in zip(sample.commands, run(sample), strict=True):
        if not matches(command.expected, actual):
            diff = difflib.unified_diff(
                list(command.expected), actual, "sample", "output", lineterm="", n=1
            )
            out.append(
                f"{sample.doc.relative_to(ROOT)}:{command.line + 1}: $ {command.text}\n"
                + "\n".join(list(diff)[:40])
            )
    return out


def update(sample: Sample) -> bool:
    """Rewrite a runnable sample's output lines from the real output; True if it changed."""
    if not sample.runnable:
        return False
    lines = sample.doc.read_text(encoding="utf-8").splitlines()
    block: list[str] = []
    for command, actual in zip(sample.commands, run(sample), strict=True):
        block.append(f"$ {command.text}")
        block += regenerate(command.expected, actual)
    if lines[sample.start : sample.end] == block:
        return False
    lines[sample.start : sample.end] = block
    sample.doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def main(argv: Sequence[str]) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    if "--list" in argv:
        for s in samples():
            state = "run" if s.runnable else "shown"
            print(f"{s.where}: {state}: " + " ; ".join(c.text for c in s.commands))
        return 0
    if "--update" in argv:
        changed = 0
        for doc in DOCS:  # the document's samples again after each rewrite (lines move)
            index = 0
            while index < len(found := samples([doc])):
                changed += update(found[index])
                index += 1
        print(f"docs samples: {changed} rewritten")
        return 0
    found = [p for s in samples() for p in problems(s)]
    print("\n\n".join(found) if found else f"docs samples: {len(samples())} up to date")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
