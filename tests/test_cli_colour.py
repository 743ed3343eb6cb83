"""Colour on a terminal only: severities, verdicts, diff signs; none when piped, under
NO_COLOR, with --no-color, or for data formats."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from podpath.render.colour import BOLD_RED, GREEN, RED, RESET, YELLOW, colourise, strip_colour

ROOT = Path(__file__).resolve().parents[1]
SHOP = str(ROOT / "examples" / "shop")
DIFF = [str(ROOT / "tests" / "data" / "diff" / side) for side in ("old", "new")]


def on_terminal(args: list[str], **env: str) -> str:
    """Standard output of the CLI run on a pseudo-terminal (as a user's shell runs it)."""
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "podpath.cli", *args],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**environ, **env, "PYTHONPATH": str(ROOT / "src")},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.parametrize(
    ("text", "coloured"),
    [
        (" ERROR      dns-egress-blocked", f" {BOLD_RED}ERROR{RESET}      dns-egress-blocked"),
        ("a -> b: DENIED (x)", f"a -> b: {RED}DENIED{RESET} (x)"),
        ("8080   allowed   NetworkPolicy/a", f"8080   {GREEN}allowed{RESET}   NetworkPolicy/a"),
        ("verdict: partial", f"verdict: {YELLOW}partial{RESET}"),
        ("ok   the storefront", f"{GREEN}ok{RESET}   the storefront"),
        ("FAIL checkout", f"{RED}FAIL{RESET} checkout"),
        ("NetworkPolicy/shop/allow-denied", "NetworkPolicy/shop/allow-denied"),  # in a name
        ("not-allowed-here", "not-allowed-here"),
        (" -   10.0.0.1   80", " -   10.0.0.1   80"),  # a '-' cell is no diff sign here
    ],
)
def test_colourise_marks_words_not_names(text: str, coloured: str) -> None:
    assert colourise(text) == coloured
    assert strip_colour(colourise(text)) == text


def test_diff_signs_are_coloured_in_a_diff() -> None:
    text = " +   ops/metrics   NodePort\n -   a -> b   80/TCP\n  ! Service x: y\n"
    assert colourise(text, signs=True) == (
        f" {GREEN}+{RESET}   ops/metrics   NodePort\n {RED}-{RESET}   a -> b   80/TCP\n"
        f"  {YELLOW}!{RESET} Service x: y\n"
    )


def test_terminal_gets_colour_and_pipes_do_not() -> None:
    doctor = on_terminal(["doctor", "-f", SHOP], COLUMNS="160")
    assert f"{BOLD_RED}ERROR{RESET}" in doctor
    diff = on_terminal(["diff", *DIFF])
    assert f"{RED}-{RESET}   ops/monitor" in diff and f"{GREEN}+{RESET}" in diff
    piped = subprocess.run(
        [sys.executable, "-m", "podpath.cli", "doctor", "-f", SHOP],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "160"},
        check=False,
    )
    assert "\x1b[" not in piped.stdout and "ERROR" in piped.stdout
    assert strip_colour(doctor).replace("\r\n", "\n") == piped.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["doctor", "-f", SHOP], {"NO_COLOR": "1"}),
        (["doctor", "-f", SHOP, "--no-color"], {}),
        (["doctor", "-f", SHOP, "-o", "json"], {}),
        (["diff", *DIFF, "--no-color"], {}),
    ],
    ids=["NO_COLOR", "--no-color", "json", "diff --no-color"],
)
def test_no_colour_when_asked_or_for_data(args: list[str], env: dict[str, str]) -> None:
    out = on_terminal(args, **env)
    assert out and "\x1b[" not in out
