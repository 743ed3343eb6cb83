"""``podpath explain NS/POD [-o table|json|yaml]``: the policies that select a pod, whether it
is isolated per direction, and who may reach it / whom it may reach, on which ports."""

from __future__ import annotations

import click

from podpath.analyze.explain import explain_pod, explain_text
from podpath.cluster import Cluster
from podpath.commands.common import assume_option, assumptions_from, emit, with_inputs
from podpath.commands.completion import complete_pods
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.scope import Scope
from podpath.commands.suggest import check_pod


@command()
@click.argument("pod", metavar="NS/POD", shell_complete=complete_pods)
@output_option(("table", "json"))
@assume_option
@with_inputs
def explain(
    cluster: Cluster, pod: str, fmt: str, scope: Scope, assume: tuple[str, ...] = ()
) -> None:
    """It lists the NetworkPolicies and admin policies that select POD, whether it is
    isolated each way, and who may reach it (or whom it may reach) on which ports."""
    pod = scope.qualify(pod)
    check_pod(cluster, pod, "POD")
    data = explain_pod(cluster, pod, assumptions_from(assume))
    emit(render_as(fmt, data, table=explain_text))
