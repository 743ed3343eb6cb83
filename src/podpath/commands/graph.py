"""``podpath graph``: the allowed connectivity as dot, SVG (Graphviz), mermaid, an interactive
page, or JSON."""

from __future__ import annotations

import shutil
import subprocess

import click

from podpath.analyze.graph import BY_CHOICES, Graph, build_graph, graph_around, graph_json
from podpath.cluster import Cluster
from podpath.commands.common import emit, progress, to_json, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option
from podpath.commands.scope import Scope
from podpath.errors import UnsupportedError
from podpath.render.escape import terminal_safe

FORMATS = ("dot", "svg", "mermaid", "html", "json")
DOT_TIMEOUT = 600
NO_DOT = (
    "--format svg needs Graphviz's dot on PATH (apt-get install graphviz, brew install "
    "graphviz); without it use --format html (the interactive page) or --format dot"
)


@command()
@click.option(
    "--by",
    type=click.Choice(BY_CHOICES),
    default="workload",
    show_default=True,
    help="One node per workload, pod or namespace.",
)
@output_option(FORMATS, default="dot", derive=False)
@click.option(
    "--output-file",
    "output",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to FILE instead of standard output.",
)
@with_inputs
def graph(cluster: Cluster, by: str, fmt: str, output: str | None, scope: Scope) -> None:
    """Namespaces are groups, workloads are nodes and edges are labelled with ports;
    the internet and external CIDRs are nodes, and entry points are marked. With -n/-l, the
    nodes of those pods, their edges and the nodes at the other end."""
    if fmt == "svg" and shutil.which("dot") is None:
        raise UnsupportedError(NO_DOT)  # before the work, not after it
    with progress("building the graph"):
        result = build_graph(cluster, by=by)
    if not scope.is_everything:
        pods = frozenset(p.key for p in cluster.pods if scope.keeps(p.namespace, p.labels))
        result = graph_around(result, pods)
    for note in result.notes:
        click.echo(terminal_safe(f"podpath: warning: {note}"), err=True)
    text = render(result, fmt)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"podpath: wrote {output}", err=True)
    else:
        emit(text)


def render(graph: Graph, fmt: str) -> str:
    """The graph in one of FORMATS."""
    if fmt == "json":
        return to_json(graph_json(graph))
    if fmt == "mermaid":
        from podpath.render.mermaid import render_mermaid

        return render_mermaid(graph)
    if fmt == "html":
        from podpath.render.html import render_graph_html

        return render_graph_html(graph)
    from podpath.render.dot import render_dot

    text = render_dot(graph)
    return graphviz_svg(text) if fmt == "svg" else text


def graphviz_svg(dot_text: str) -> str:
    """``dot -Tsvg`` of ``dot_text``; UnsupportedError (exit 2) without Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        raise UnsupportedError(NO_DOT)
    done = subprocess.run(
        [exe, "-Tsvg"],
        input=dot_text,
        capture_output=True,
        text=True,
        timeout=DOT_TIMEOUT,
        check=False,
    )
    if done.returncode != 0 or "</svg>" not in done.stdout:
        last = (done.stderr.strip().splitlines() or ["no output"])[0]
        raise UnsupportedError(f"Graphviz dot failed (exit {done.returncode}): {last}")
    return done.stdout
