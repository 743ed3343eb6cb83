"""``podpath graph``: the allowed connectivity as dot, mermaid, an interactive page, or JSON."""

from __future__ import annotations

import click

from podpath.analyze.graph import BY_CHOICES, build_graph, graph_json
from podpath.cluster import Cluster
from podpath.commands.common import emit, progress, to_json, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option
from podpath.render.escape import terminal_safe

FORMATS = ("dot", "mermaid", "html", "json")


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
def graph(cluster: Cluster, by: str, fmt: str, output: str | None) -> None:
    """Namespaces are groups, workloads are nodes and edges are labelled with ports;
    the internet and external CIDRs are nodes, and entry points are marked."""
    with progress("building the graph"):
        result = build_graph(cluster, by=by)
    for note in result.notes:
        click.echo(terminal_safe(f"podpath: warning: {note}"), err=True)
    if fmt == "json":
        text = to_json(graph_json(result))
    elif fmt == "mermaid":
        from podpath.render.mermaid import render_mermaid

        text = render_mermaid(result)
    elif fmt == "html":
        from podpath.render.html import render_graph_html

        text = render_graph_html(result)
    else:
        from podpath.render.dot import render_dot

        text = render_dot(result)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"podpath: wrote {output}", err=True)
    else:
        emit(text)
