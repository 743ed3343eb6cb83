"""Terminal tables, rendered to a string so output stays deterministic and pipeable.

Width: ``COLUMNS`` when set, else the terminal's width on a terminal; piped, tables take their
natural width up to ``PIPE_WIDTH`` columns, so that each row stays on one line for grep and
diff. Within the width, a table never breaks a word, a header or a ``file:line``: columns
wrap only at blanks, each at least as wide as its longest word; when even that does not fit,
the command's low-value columns (``optional``, least valuable first) are dropped. Under
:func:`wide_tables` (``-o wide``) no column is dropped: the table takes its natural width.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar

from rich.cells import cell_len

from podpath.render.escape import terminal_safe

PIPE_WIDTH = 400
EDGE = 2  # the box's left and right edge
GAP = 3  # between two columns: padding, separator, padding
_WIDE: ContextVar[bool] = ContextVar("podpath_wide_tables", default=False)


@contextlib.contextmanager
def wide_tables() -> Iterator[None]:
    """Within this block, tables keep every column at its natural width (``-o wide``)."""
    token = _WIDE.set(True)
    try:
        yield
    finally:
        _WIDE.reset(token)


def render_table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    optional: Sequence[str] = (),
) -> str:
    """A table with a header row; cells are strings (newlines allowed). ``optional`` names
    the columns that may be dropped to fit ``width``, the first dropped first; when the rest
    still does not fit, each row's first cell goes on a line of its own (:func:`folded`).
    Cells are plain text, never rich markup, and control characters in them are shown as
    escapes (:func:`~podpath.render.escape.terminal_safe`)."""
    title = terminal_safe(str(title), keep="\n") if title is not None else None
    columns = [terminal_safe(str(c), keep="\n") for c in columns]
    rows = [[terminal_safe(str(c), keep="\n") for c in row] for row in rows]
    wide = _WIDE.get()
    width = PIPE_WIDTH if wide else (width or output_width())
    keep = list(range(len(columns)))
    dropped: list[int] = []
    for name in [] if wide else optional:
        if fits(columns, rows, keep, width) or name not in columns:
            continue
        dropped.append(list(columns).index(name))
        keep.remove(dropped[-1])
    if len(keep) > 1 and not fits(columns, rows, keep, width):
        if not fits(columns, rows, keep[1:], width - INDENT):
            if len(keep) > BAND_COLUMNS and fits(columns, rows, keep[:2], width):
                return banded(title, columns, rows, keep, width)
            return expanded(title, columns, rows, keep, width)
        for i in reversed(dropped):  # folded, there may be room for some of them again
            more = sorted([*keep, i])
            if fits(columns, rows, more[1:], width - INDENT):
                keep = more
        return folded(title, columns, rows, keep, width)
    text = _render(title, columns, rows, keep, column_widths(columns, rows, keep, width))
    return "\n".join(text) + "\n"


def _render(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    keep: Sequence[int],
    widths: Mapping[int, int],
    *,
    header: bool = True,
) -> list[str]:
    """The lines of the kept columns at the given widths, laid out as rich's ``SIMPLE_HEAD``
    box draws them (an edge column each side, three columns between cells, a rule under the
    header; cells wrapped at blanks, a word longer than its column folded), without
    importing rich's console (start-up time)."""
    lines = [title, ""] if title is not None else []
    if header:
        lines += _row_lines([columns[i] for i in keep], [widths[i] for i in keep])
        lines.append(" " + "─" * (sum(widths[i] for i in keep) + GAP * (len(keep) - 1)))
    for row in rows:
        lines += _row_lines([str(row[i]) for i in keep], [widths[i] for i in keep])
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:  # blank last rows, as rich's output was trimmed
        lines.pop()
    return lines


def _row_lines(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    wrapped = [_wrap_cell(cell, width) for cell, width in zip(cells, widths, strict=True)]
    height = max((len(w) for w in wrapped), default=0)
    out = []
    for k in range(height):
        parts = []
        for lines, width in zip(wrapped, widths, strict=True):
            text = lines[k] if k < len(lines) else ""
            parts.append(text + " " * (width - cell_len(text)))
        out.append(" " + "   ".join(parts))
    return out


def _wrap_cell(cell: str, width: int) -> list[str]:
    """A cell's lines at ``width``: its own lines, each wrapped at blanks; a word longer than
    the width is folded (the layout makes columns wide enough that none is)."""
    out: list[str] = []
    for line in cell.split("\n"):
        out += textwrap.wrap(
            line, width=max(width, 1), break_long_words=True, break_on_hyphens=False
        ) or [""]
    return out


INDENT = 4


def folded(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    keep: Sequence[int],
    width: int,
) -> str:
    """The narrow layout: each row's first cell on a line of its own, its other cells on the
    lines below, indented, in columns that wrap only at blanks."""
    first, rest = keep[0], list(keep[1:])
    widths = column_widths(columns, rows, rest, width - INDENT)
    pad = " " * (INDENT - 1)
    head = _render(None, columns, [], rest, widths)
    lines = ([title] if title else []) + [f" {columns[first]}", pad + head[0]]
    lines.append(" " + "─" * (max(len(line) for line in lines) - 1))
    for row in rows:
        lines.append(f" {row[first]}")
        lines.extend(
            pad + line for line in _render(None, columns, [row], rest, widths, header=False)
        )
    return "\n".join(line.rstrip() for line in lines) + "\n"


BAND_COLUMNS = 4  # a table with more columns than this is a grid: it may be cut in bands


def banded(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    keep: Sequence[int],
    width: int,
) -> str:
    """A wide grid in bands: the first column, then as many of the next columns as fit,
    one band after the other (as a wide data frame is printed)."""
    bands: list[list[int]] = []
    for i in keep[1:]:
        if bands and fits(columns, rows, [keep[0], *bands[-1], i], width):
            bands[-1].append(i)
        else:
            bands.append([i])
    parts = []
    for n, band in enumerate(bands):
        cols = [keep[0], *band]
        head = title if n == 0 else None
        if not fits(columns, rows, cols, width):  # one column too wide beside the first
            parts.append(folded(head, columns, rows, cols, width).rstrip("\n"))
            continue
        parts.append(
            "\n".join(_render(head, columns, rows, cols, column_widths(columns, rows, cols, width)))
        )
    return "\n\n".join(parts) + "\n"


def expanded(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    keep: Sequence[int],
    width: int,
) -> str:
    """The narrowest layout: each row's first cell on a line, each other cell's lines below
    it, indented, wrapped at blanks (a wrapped line continues two columns further in)."""
    pad = " " * INDENT
    lines = ([title] if title else []) + [f" {columns[keep[0]]}"]
    lines += [pad + columns[i] for i in keep[1:]]
    lines.append(" " + "─" * (max(len(line) for line in lines) - 1))
    for row in rows:
        lines.append(f" {row[keep[0]]}")
        for i in keep[1:]:
            lines += wrap_lines(str(row[i]), width - INDENT, indent=pad)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def wrap_lines(text: str, width: int, *, indent: str = "", more: str = "  ") -> list[str]:
    """``text``'s lines, each wrapped at blanks to ``width`` (after ``indent``); a word
    longer than the width stays whole; continuation lines are indented by ``more``."""
    out: list[str] = []
    for line in text.splitlines() or [""]:
        lead = line[: len(line) - len(line.lstrip(" "))]
        out += textwrap.wrap(
            line,
            width=max(width, 1),
            initial_indent=indent,
            subsequent_indent=indent + lead + more,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [indent]
    return out


def fit_lines(text: str, width: int) -> str:
    """Every line of ``text`` longer than ``width`` wrapped at blanks (hanging indent)."""
    out: list[str] = []
    for line in text.splitlines():
        out += [line] if cell_len(line) <= width else wrap_lines(line, width)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _cells(columns: Sequence[str], rows: Sequence[Sequence[str]], i: int) -> list[str]:
    return [columns[i], *(str(r[i]) for r in rows)]


def min_width(columns: Sequence[str], rows: Sequence[Sequence[str]], i: int) -> int:
    """The longest word of a column (header included): narrower would break it."""
    return max((cell_len(w) for c in _cells(columns, rows, i) for w in c.split()), default=1)


def natural_width(columns: Sequence[str], rows: Sequence[Sequence[str]], i: int) -> int:
    """The longest line of a column: wider is never needed."""
    return max(
        (cell_len(line) for c in _cells(columns, rows, i) for line in c.splitlines()), default=1
    )


def fits(
    columns: Sequence[str], rows: Sequence[Sequence[str]], keep: Sequence[int], width: int
) -> bool:
    """Whether the kept columns fit ``width`` without breaking a word."""
    need = sum(min_width(columns, rows, i) for i in keep) + EDGE + GAP * (len(keep) - 1)
    return need <= width


def fits_output(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> bool:
    """Whether a table of every column fits the output width unfolded (always under
    :func:`wide_tables`): for renderers that have a narrower layout of their own."""
    return _WIDE.get() or fits(columns, rows, range(len(columns)), output_width())


def column_widths(
    columns: Sequence[str], rows: Sequence[Sequence[str]], keep: Sequence[int], width: int
) -> dict[int, int]:
    """Each kept column's width: its natural width when all fit; else every column starts at
    its longest word and the room left goes, in turn, to the column that lacks the most."""
    low = {i: min_width(columns, rows, i) for i in keep}
    high = {i: max(natural_width(columns, rows, i), low[i]) for i in keep}
    room = width - EDGE - GAP * (len(keep) - 1)
    if sum(high.values()) <= room:
        return high
    widths = dict(low)
    spare = room - sum(widths.values())
    while spare > 0:
        lacking = [i for i in keep if widths[i] < high[i]]
        if not lacking:
            break
        i = max(lacking, key=lambda k: (high[k] - widths[k], -k))
        step = max(1, min(spare, high[i] - widths[i]) // max(1, len(lacking)))
        widths[i] += step
        spare -= step
    return widths


def terminal_width() -> int | None:
    """The width asked for (``COLUMNS``) or the terminal's; None when piped without one."""
    width = output_width()
    return None if width == PIPE_WIDTH and not os.environ.get("COLUMNS") else width


def output_width() -> int:
    """``COLUMNS`` when set (as ``ls`` and rich read it), else the terminal's width when
    standard output is one, else ``PIPE_WIDTH``."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return max(40, shutil.get_terminal_size((160, 40)).columns)
    return PIPE_WIDTH


def join(values: Sequence[object], sep: str = ", ", empty: str = "-") -> str:
    return sep.join(str(v) for v in values) if values else empty
