"""``podpath report``: the whole network on one page (terminal by default)."""

from __future__ import annotations

import click

from podpath.analyze.inventory import pods_listing, services_listing
from podpath.cluster import Cluster
from podpath.commands.common import emit, with_inputs
from podpath.commands.inventory import _pods_table, _services_table


@click.command()
@with_inputs
def report(cluster: Cluster) -> None:
    """The cluster's network on one page: namespaces, pods, services and DNS names."""
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
