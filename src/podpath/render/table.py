"""Terminal tables (rich), rendered to a string so output stays deterministic and pipeable.

On a terminal, tables fit its width (long cells fold); piped, they take their natural width
up to ``PIPE_WIDTH`` columns, so that each row stays on one line for grep and diff."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from podpath.render.escape import terminal_safe


def render_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
) -> str:
    """A table with a header row; cells are strings (newlines allowed). Cells are plain text,
    never rich markup, and control characters in them are shown as escapes
    (:func:`~podpath.render.escape.terminal_safe`)."""
    width = width or output_width()
    table = Table(
        title=_cell(title) if title is not None else None,
        box=box.SIMPLE_HEAD,
        header_style="bold",
        title_justify="left",
        pad_edge=False,
    )
    for col in columns:
        table.add_column(_cell(col), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(c) for c in row))
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None, force_terminal=False, soft_wrap=False).print(
        table
    )
    lines = [line.rstrip() for line in buf.getvalue().splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


PIPE_WIDTH = 400


def _cell(text: str) -> Text:
    return Text(terminal_safe(str(text), keep="\n"))


def output_width() -> int:
    """The terminal's width when standard output is one, else ``PIPE_WIDTH``."""
    if sys.stdout.isatty():
        return max(80, shutil.get_terminal_size((160, 40)).columns)
    return PIPE_WIDTH


def join(values: Sequence[object], sep: str = ", ", empty: str = "-") -> str:
    return sep.join(str(v) for v in values) if values else empty
