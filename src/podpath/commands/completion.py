"""``podpath completion bash|zsh|fish``: the shell completion script, and the completers.

The script is click's (``_PODPATH_COMPLETE``): it completes commands, options and choices;
the completers below add namespaces and pod names, read from the ``-f`` files already on the
command line (never from a live cluster; on any problem they complete nothing).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

from podpath.commands.help import command

if TYPE_CHECKING:
    from podpath.cluster import Cluster

SHELLS = ("bash", "zsh", "fish")


def _cluster(ctx: click.Context) -> Cluster | None:
    """The cluster of the ``-f`` files given so far (None without them or on any error)."""
    files = ctx.params.get("files") or ()
    if not files or "-" in files:
        return None
    try:
        from podpath.api import load_cluster

        return load_cluster(list(files))
    except Exception:  # completion must never fail the shell
        return None


def complete_namespaces(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    cluster = _cluster(ctx)
    names = sorted(cluster.namespace_by_name) if cluster is not None else []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def pod_candidates(cluster: Cluster, *, services: bool = False) -> list[str]:
    """``NS/POD`` and ``NS/WORKLOAD`` names (and ``svc:NS/NAME`` with ``services``)."""
    from podpath.commands.suggest import pod_names

    names = [n for n in pod_names(cluster) if n.count("/") == 1]
    if services:
        names += [f"svc:{k}" for k in sorted(cluster.service_by_key)]
    return names


def complete_pods(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    cluster = _cluster(ctx)
    names = pod_candidates(cluster) if cluster is not None else []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def complete_destinations(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    cluster = _cluster(ctx)
    names = pod_candidates(cluster, services=True) if cluster is not None else []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def completion_script(shell: str, prog_name: str = "podpath") -> str:
    """click's completion script for ``shell``, calling ``prog_name``."""
    from click.shell_completion import get_completion_class

    from podpath.cli import cli

    cls: Any = get_completion_class(shell)
    complete_var = f"_{prog_name}_COMPLETE".replace("-", "_").upper()
    return str(cls(cli, {}, prog_name, complete_var).source())


@command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script for SHELL: commands, options, namespaces and pod names
    (from -f) complete with TAB."""
    sys.stdout.write(completion_script(shell).rstrip("\n") + "\n")
