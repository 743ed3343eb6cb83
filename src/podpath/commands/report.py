"""``podpath report``: the whole network on one page (terminal by default)."""

from __future__ import annotations

import click

from podpath.analyze.inventory import pods_listing, services_listing
from podpath.cluster import Cluster
from podpath.commands.common import emit, with_inputs
from podpath.commands.inventory import _pods_table, _services_table


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a self-contained HTML page (FILE.html) instead of the terminal report.",
)
@with_inputs
def report(cluster: Cluster, output: str | None = None) -> None:
    """The cluster's network on one page: namespaces, pods, services and DNS names.
    With -o FILE.html: services, routing table, reachability heatmap, doctor findings and
    the interactive graph on one self-contained page."""
    if output:
        from podpath.commands.report_html import write_report_html

        write_report_html(cluster, output)
        click.echo(f"podpath: wrote {output}", err=True)
        return
    parts = [
        f"podpath report: {len(cluster.namespaces)} namespaces, {len(cluster.nodes)} nodes, "
        f"{len(cluster.pods)} pods, {len(cluster.services)} services, "
        f"{len(cluster.network_policies)} network policies\n",
        "\n== Namespaces ==\n",
        "".join(f"  {n.name}\n" for n in cluster.namespaces),
        "\n== Pods ==\n",
        _pods_table(pods_listing(cluster)),
        "\n== Services ==\n",
        _services_table(services_listing(cluster)),
    ]
    emit("".join(parts))
