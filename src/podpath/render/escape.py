"""Escaping at the edges, in one place: text for a terminal, a Markdown table cell, a CSV cell.

Object names, certificate names and API-server messages come from whoever wrote the input;
they must not steer the terminal, break a Markdown table or run as a spreadsheet formula.

- :func:`terminal_safe`: every C0 control character (``\\x00``-``\\x1f``, ESC among them),
  DEL, every C1 control character (``\\x80``-``\\x9f``: 8-bit CSI/OSC) and the Unicode bidi
  and line-separator controls are shown as visible escapes. C0 become ``\\x1b``-style escapes;
  DEL, C1 and the others ``\\u009b``-style, which are also valid inside a JSON string, so the
  pass may run over rendered JSON too. Newlines and tabs the renderer laid out are kept when
  asked (``keep="\\n\\t"``); a single message keeps none.
- :func:`md_escape` / :func:`md_code`: a GitHub-flavoured Markdown table cell: ``|`` and
  ``\\`` escaped, raw HTML (``<``, ``>``) made text, newlines as ``<br>``.
- :func:`csv_cell` / :func:`csv_row`: RFC 4180 quoting through :mod:`csv`, and a cell that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so a
  spreadsheet shows it instead of evaluating it (OWASP "CSV Injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

_CONTROLS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROLS}]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"


def _pattern(keep: str) -> re.Pattern[str]:
    if not keep:
        return _CONTROL
    return re.compile(f"(?![{re.escape(keep)}])[{_CONTROLS}]")  # re caches compiled patterns


def terminal_safe(text: str, keep: str = "") -> str:
    """``text`` with every control character but those in ``keep`` shown as an escape
    (``"\\x1b[2J"`` -> ``"\\\\x1b[2J"``); text without any is returned as it is."""
    pattern = _pattern(keep)
    if pattern.search(text) is None:  # the usual case: one C-level scan, no copy
        return text
    return pattern.sub(_visible, text)


def md_escape(text: str) -> str:
    """Escape text for a GitHub-flavoured Markdown table cell (controls shown as escapes)."""
    return (
        terminal_safe(text, keep="\n")
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", "<br>")
    )


def md_code(text: str) -> str:
    """A code span inside a table cell (only ``|`` needs escaping there; no HTML inside)."""
    safe = terminal_safe(text, keep="\n")
    return "`" + safe.replace("|", "\\|").replace("`", "'").replace("\n", " ") + "`"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a ``'``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(cells: Iterable[object]) -> str:
    """One CSV line (``\\n``-terminated), quoted by :mod:`csv`, every cell :func:`csv_cell`."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([csv_cell(c) for c in cells])
    return buf.getvalue()
