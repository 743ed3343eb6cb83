"""``podpath docs [TOPIC]``: the documentation pages, installed with the package.

The pages are the repository's docs/*.md, shipped as package data (``podpath/docs`` is a link
to them in the source tree; a build copies the files), so that help texts can point to
``podpath docs TOPIC`` for pip users too.
"""

from __future__ import annotations

import sys
from importlib import resources
from importlib.resources.abc import Traversable

import click

from podpath.commands.help import command
from podpath.errors import InputError


def pages() -> dict[str, Traversable]:
    """Topic -> page, for every installed ``docs/*.md``."""
    folder = resources.files("podpath") / "docs"
    if not folder.is_dir():
        return {}
    return {
        p.name[: -len(".md")]: p
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".md")
    }


def title(page: Traversable) -> str:
    """A page's first heading, without the ``#``."""
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def _complete_topics(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [t for t in pages() if t.startswith(incomplete)]


@command()
@click.argument("topic", required=False, shell_complete=_complete_topics)
def docs(topic: str | None) -> None:
    """Print a documentation page (Markdown), or list the pages without TOPIC."""
    found = pages()
    if topic is None:
        width = max((len(t) for t in found), default=0)
        sys.stdout.write("".join(f"{t:<{width}}  {title(p)}\n" for t, p in found.items()))
        sys.stdout.write("\nRead one with: podpath docs TOPIC\n")
        return
    page = found.get(topic)
    if page is None:
        from podpath.commands.suggest import closest, did_you_mean

        hint = did_you_mean(closest(topic, found)) or f" (topics: {', '.join(found)})"
        raise InputError(f"no docs page {topic!r}{hint}", field="TOPIC")
    sys.stdout.write(page.read_text(encoding="utf-8"))
