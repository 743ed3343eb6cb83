"""``podpath explain NS/POD [--format text|json]``: the policies that select a pod, whether it
is isolated per direction, and who may reach it / whom it may reach, on which ports."""

from __future__ import annotations

import click

from podpath.analyze.explain import explain_pod, explain_text
from podpath.cluster import Cluster
from podpath.commands.common import assume_option, assumptions_from, emit, to_json, with_inputs


@click.command()
@click.argument("pod", metavar="NS/POD")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@assume_option
@with_inputs
def explain(cluster: Cluster, pod: str, fmt: str, assume: tuple[str, ...] = ()) -> None:
    """Explain the NetworkPolicy and admin-tier view of one pod."""
    data = explain_pod(cluster, pod, assumptions_from(assume))
    emit(to_json(data) if fmt == "json" else explain_text(data))
