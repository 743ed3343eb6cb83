"""Output formats and writing to standard output, the same for every command.

``-o/--output`` is ``--format`` (kubectl's flag): a command names its renderers and gets
``yaml`` wherever it has ``json`` (the same data) and ``wide`` wherever it has ``table``
(every column, none dropped to fit the terminal). ``text`` is read as ``table`` (the name
some commands used). A value that looks like a file name is refused with the option that
writes a file (``--output-file``, ``--html``).

Colour: on a terminal, :func:`emit` colours severities, verdicts and diff signs
(:mod:`podpath.render.colour`); never when standard output is not a terminal, under
``NO_COLOR`` (https://no-color.org: set and not empty), or with ``--no-color``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
Renderer = Callable[[Any], str]

ALIASES = {"text": "table"}
DERIVED = {"json": "yaml", "table": "wide"}
MSG_FILE_NOT_FORMAT = (
    "-o/--output is the output format ({choices}); to write a file, use {file_option} {value}"
)


def expand_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """A command's formats with the derived ones (``yaml`` after ``json``, ``wide`` after
    ``table``), in order, without duplicates."""
    out: list[str] = []
    for name in formats:
        out.append(name)
        if name in DERIVED:
            out.append(DERIVED[name])
    return tuple(dict.fromkeys(out))


class FormatChoice(click.Choice):  # type: ignore[type-arg]
    """``click.Choice`` that reads ``text`` as ``table`` and explains a file name given to -o."""

    def __init__(self, choices: Sequence[str], file_option: str) -> None:
        super().__init__(list(choices))
        self.file_option = file_option

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        lowered = text.lower()
        if lowered in ALIASES and ALIASES[lowered] in self.choices:
            return ALIASES[lowered]
        if lowered not in self.choices and ("." in text or "/" in text):
            self.fail(
                MSG_FILE_NOT_FORMAT.format(
                    choices="|".join(map(str, self.choices)),
                    file_option=self.file_option,
                    value=text,
                ),
                param,
                ctx,
            )
        return super().convert(lowered, param, ctx)


def output_option(
    formats: Sequence[str],
    default: str = "table",
    *,
    file_option: str = "--output-file",
    derive: bool = True,
) -> Callable[[F], F]:
    """``-o/--output/--format FORMAT``, restricted to the command's renderers (and, with
    ``derive``, the derived ``yaml``/``wide``)."""
    names = expand_formats(formats) if derive else tuple(formats)
    return click.option(
        "-o",
        "--output",
        "--format",
        "fmt",
        type=FormatChoice(names, file_option),
        default=default,
        show_default=True,
        metavar="FORMAT",
        help="Output format: " + "|".join(names) + " (kubectl's -o).",
    )


def format_option(formats: Mapping[str, Any] | Sequence[str], default: str = "table") -> Any:
    """``-o/--format`` over a renderer registry's names (kept for the commands that use it)."""
    return output_option(sorted(formats), default)


def to_json(data: Any) -> str:
    """Deterministic JSON (key order as built, two-space indent, trailing newline)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_yaml(data: Any) -> str:
    """The JSON data as YAML (key order as built), for ``-o yaml``."""
    import yaml

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(
        yaml.dump(
            data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
        )
    )


def render_as(
    fmt: str,
    data: Any,
    *,
    table: Renderer | None = None,
    name: Renderer | None = None,
    json_data: Callable[[Any], Any] | None = None,
    others: Mapping[str, Renderer] | None = None,
) -> str:
    """Render ``data`` in ``fmt``: ``json``/``yaml`` from the data (``json_data`` maps it first
    when the table's data is not the JSON's), ``table``/``wide`` with ``table`` (``wide`` with
    no column dropped to fit), ``name`` with ``name``, anything else from ``others``."""
    if fmt in ("json", "yaml"):
        payload = json_data(data) if json_data is not None else data
        return to_json(payload) if fmt == "json" else to_yaml(payload)
    if fmt in ("table", "wide") and table is not None:
        from podpath.render.table import wide_tables

        if fmt == "wide":
            with wide_tables():
                return table(data)
        return table(data)
    if fmt == "name" and name is not None:
        return name(data)
    if others and fmt in others:
        return others[fmt](data)
    raise click.UsageError(f"format {fmt!r} is not available here")


def derived(fmt: str, render: Callable[[str], str]) -> str:
    """``render(fmt)`` for a renderer that knows only the base formats: ``yaml`` from its
    ``json``, ``wide`` as its ``table`` with no column dropped."""
    if fmt == "yaml":
        return to_yaml(json.loads(render("json")))
    if fmt == "wide":
        from podpath.render.table import wide_tables

        with wide_tables():
            return render("table")
    return render(fmt)


PLAIN_FORMATS = frozenset({"json", "yaml", "csv", "sarif", "md", "html", "dot", "mermaid", "name"})


def colour_wanted() -> bool:
    """Colour only on a terminal, without ``NO_COLOR`` and without ``--no-color``, and only
    for the human formats (a table; never data a program reads)."""
    if os.environ.get("NO_COLOR"):
        return False
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        if ctx.params.get("no_color") or ctx.color is False:
            return False
        if ctx.params.get("fmt") in PLAIN_FORMATS:
            return False
    return sys.stdout.isatty()


def emit(text: str) -> None:
    """Write rendered output to stdout (exactly once per command); control characters but the
    layout's newlines and tabs are shown as escapes. A table's text is fitted
    to the terminal (or ``COLUMNS``): lines longer are wrapped at blanks; and coloured on a
    terminal."""
    from podpath.render.escape import terminal_safe

    text = terminal_safe(text, keep="\n\t")  # control characters as escapes; JSON stays valid
    if text and not text.endswith("\n"):
        text += "\n"
    ctx = click.get_current_context(silent=True)
    if text and (ctx is None or ctx.params.get("fmt", "table") == "table"):
        from podpath.render.table import fit_lines, terminal_width

        width = terminal_width()
        text = fit_lines(text, width) if width else text
    if text and colour_wanted():
        from podpath.render.colour import colourise

        text = colourise(text, signs=ctx is not None and ctx.info_name == "diff")
    sys.stdout.write(text)


def no_color_option(func: F) -> F:
    return click.option(
        "--no-color",
        "no_color",
        is_flag=True,
        help="No colour (also when piped, or with NO_COLOR set).",
    )(func)
