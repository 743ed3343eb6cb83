"""Terminal tables (rich), rendered to a string so output stays deterministic and pipeable."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table


def render_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int = 160,
) -> str:
    """A table with a header row; cells are strings (newlines allowed)."""
    table = Table(
        title=title, box=box.SIMPLE_HEAD, header_style="bold", title_justify="left", pad_edge=False
    )
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
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


def join(values: Sequence[object], sep: str = ", ", empty: str = "-") -> str:
    return sep.join(str(v) for v in values) if values else empty
