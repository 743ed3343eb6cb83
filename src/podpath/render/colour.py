"""Colour for a terminal: severities, verdicts, check results and diff signs.

Applied to finished text (after layout, so widths are unchanged: escape codes take no
columns), only when :func:`podpath.commands.output.colour_wanted` says so: on a terminal,
without ``NO_COLOR``, without ``--no-color``, and never to JSON, YAML or CSV.

- red: ``ERROR``, ``DENIED``/``denied``, ``FAIL``, ``UNREACHABLE``/``unreachable``, a ``-``
  diff sign; green: ``ALLOWED``/``allowed``, ``ANSWERED``, ``ok``, a ``+`` diff sign; yellow:
  ``WARNING``, ``PARTIAL``/``partial``, ``UNKNOWN``, ``!`` (new exposure); dim: ``INFO``.
"""

from __future__ import annotations

import re

RED, GREEN, YELLOW, DIM, BOLD_RED = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[2m", "\x1b[1;31m"
RESET = "\x1b[0m"

WORDS: dict[str, str] = {
    "ERROR": BOLD_RED,
    "DENIED": RED,
    "denied": RED,
    "FAIL": RED,
    "UNREACHABLE": RED,
    "unreachable": RED,
    "ALLOWED": GREEN,
    "allowed": GREEN,
    "ANSWERED": GREEN,
    "WARNING": YELLOW,
    "PARTIAL": YELLOW,
    "partial": YELLOW,
    "UNKNOWN": YELLOW,
    "INFO": DIM,
}
_WORD_RE = re.compile(
    r"(?<![\w/.-])(" + "|".join(sorted(WORDS, key=len, reverse=True)) + r")(?![\w/-])"
)
_SIGN_RE = re.compile(r"^(\s*)([+\-!])(\s{2,}|\s(?=\S))", re.MULTILINE)
_OK_RE = re.compile(r"^ok(?= )", re.MULTILINE)
SIGNS = {"+": GREEN, "-": RED, "!": YELLOW}


def colourise(text: str, *, signs: bool = False) -> str:
    """``text`` with ANSI colour around the words of the module docstring and, with
    ``signs`` (a diff), the ``+``/``-``/``!`` that start a line."""
    text = _WORD_RE.sub(lambda m: f"{WORDS[m.group(1)]}{m.group(1)}{RESET}", text)
    if not signs:
        return _OK_RE.sub(f"{GREEN}ok{RESET}", text)
    text = _SIGN_RE.sub(
        lambda m: f"{m.group(1)}{SIGNS[m.group(2)]}{m.group(2)}{RESET}{m.group(3)}", text
    )
    return _OK_RE.sub(f"{GREEN}ok{RESET}", text)


def strip_colour(text: str) -> str:
    """``text`` without the ANSI colour codes :func:`colourise` adds."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
