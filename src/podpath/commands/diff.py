"""``podpath diff OLD NEW``: what NEW changes in every layer of the network.

OLD and NEW are each a path as with ``-f`` (a file, a folder read recursively, or ``-``).
With ``--live`` only one path is given: OLD is the live cluster (``--kubeconfig``/``--context``)
and the path is NEW, i.e. "what would applying these manifests change".

Flag interactions: ``--live`` needs exactly one path, without it two are needed; the cluster
parameters (``--pod-cidr`` ...) apply to both sides. ``--fail-on added-exposure`` exits 1 when
NEW exposes something new outside the cluster, ``--fail-on any`` when anything changed.
"""

from __future__ import annotations

from typing import Any

import click

from podpath.analyze.diff import BY_CHOICES, added_exposure, diff_clusters, has_changes
from podpath.cluster import Cluster
from podpath.commands.common import (
    cluster_options,
    emit,
    progress,
    report_notes,
    settings_from,
    to_json,
)
from podpath.render.escape import terminal_safe
from podpath.render.md_diff import diff_markdown, diff_table

FORMATS = ("table", "json", "md")
FAIL_ON = ("never", "added-exposure", "any")


def load_side(path: str | None, opts: dict[str, Any], what: str) -> Cluster:
    """One side of the diff: a manifest path, or the live cluster when ``path`` is None."""
    from podpath.api import load_cluster

    with progress(f"loading {what}"):
        if path is None:
            cluster = load_cluster(
                (),
                kubeconfig=opts["kubeconfig"],
                context=opts["context"],
                settings=settings_from(opts),
                node_count=opts["nodes"],
            )
        else:
            cluster = load_cluster([path], settings=settings_from(opts), node_count=opts["nodes"])
    report_notes(cluster, verbose=opts["verbose"], strict=opts["strict"])
    return cluster


@click.command()
@click.argument("paths", nargs=-1, metavar="OLD NEW")
@click.option("--live", is_flag=True, help="OLD is the live cluster (--kubeconfig); give NEW only.")
@click.option("--kubeconfig", default=None, help="kubeconfig of the live cluster (with --live).")
@click.option("--context", default=None, help="kubeconfig context (with --live).")
@click.option(
    "--by",
    type=click.Choice(BY_CHOICES),
    default="pod",
    show_default=True,
    help="Name connection endpoints by pod or by workload (NS/KIND/NAME).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="never",
    show_default=True,
    help="Exit 1 on new exposure outside the cluster, or on any change.",
)
@cluster_options
def diff(paths: tuple[str, ...], live: bool, by: str, fmt: str, fail_on: str, **opts: Any) -> None:
    """What NEW changes, layer by layer: connections (with the policies that cause them),
    Services and their exposure, routes and DNS names.

    \b
    podpath diff old/ new/                      # two manifest trees
    podpath diff --live --kubeconfig ~/.kube/config new/
    podpath diff base.yaml head.yaml --format md --fail-on added-exposure
    """
    want = 1 if live else 2
    if len(paths) != want:
        raise click.UsageError(
            "--live takes one path (NEW)" if live else "diff takes two paths: OLD NEW"
        )
    if not live and (opts["kubeconfig"] or opts["context"]):
        raise click.UsageError("--kubeconfig/--context need --live")
    old = load_side(None if live else paths[0], opts, "old")
    new = load_side(paths[-1], opts, "new")
    with progress("comparing"):
        notes: list[str] = []
        result = diff_clusters(old, new, by=by, notes=notes)
    for note in notes:
        click.echo(terminal_safe(f"podpath: warning: {note}"), err=True)
    exposure = added_exposure(result)
    if fmt == "json":
        emit(to_json(result))
    elif fmt == "md":
        emit(diff_markdown(result, exposure))
    else:
        emit(diff_table(result, exposure))
    if (fail_on == "any" and has_changes(result)) or (fail_on == "added-exposure" and exposure):
        raise SystemExit(1)
