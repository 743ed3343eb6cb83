"""``podpath diff OLD NEW``: what NEW changes in every layer of the network.

OLD and NEW are each a path as with ``-f`` (a file, a folder read recursively, or ``-``).
With ``--live`` only one path is given: OLD is the live cluster (``--kubeconfig``/``--context``)
and the path is NEW, i.e. "what would applying these manifests change".

Flag interactions: ``--live`` needs exactly one path, without it two are needed; the cluster
parameters (``--pod-cidr`` ...) apply to both sides; ``-n NS`` keeps the changes that touch
NS (a connection from or to it, its Services, routes and DNS names); ``--fail-on`` looks at
what is kept. ``--fail-on added-exposure`` exits 1 when
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
    scope_options,
    settings_from,
)
from podpath.commands.help import command
from podpath.commands.output import no_color_option, output_option, render_as
from podpath.commands.scope import Scope
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
                live=True,
            )
        else:
            cluster = load_cluster([path], settings=settings_from(opts), node_count=opts["nodes"])
    report_notes(cluster, verbose=opts["verbose"], strict=opts["strict"])
    return cluster


@command()
@click.argument("paths", nargs=-1, metavar="OLD NEW")
@click.option(
    "--live",
    is_flag=True,
    help="OLD is the live cluster (--kubeconfig, else kubectl's current context); give NEW.",
)
@click.option("--kubeconfig", default=None, help="kubeconfig of the live cluster (with --live).")
@click.option("--context", default=None, help="kubeconfig context (with --live).")
@click.option(
    "--by",
    type=click.Choice(BY_CHOICES),
    default="pod",
    show_default=True,
    help="Name connection endpoints by pod or by workload (NS/KIND/NAME).",
)
@output_option(FORMATS)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="never",
    show_default=True,
    help="Exit 1 on new exposure outside the cluster, or on any change.",
)
@scope_options
@cluster_options
@no_color_option
def diff(paths: tuple[str, ...], live: bool, by: str, fmt: str, fail_on: str, **opts: Any) -> None:
    """OLD and NEW are paths as -f takes them. The connections NEW opens or closes
    come with the policies that cause them, then Services and their exposure, routes and DNS
    names. With --live, OLD is the live cluster."""
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
    if opts.get("selector"):
        click.echo(
            "podpath: warning: -l is ignored by diff (it selects pods and workloads)", err=True
        )
    namespaces = () if opts.get("all_namespaces") else tuple(opts.get("namespaces") or ())
    if namespaces:
        result = diff_in_scope(result, Scope(namespaces), new.settings.cluster_domain)
    exposure = added_exposure(result)
    emit(
        render_as(
            fmt,
            result,
            table=lambda r: diff_table(r, exposure),
            others={"md": lambda r: diff_markdown(r, exposure)},
        )
    )
    if (fail_on == "any" and has_changes(result)) or (fail_on == "added-exposure" and exposure):
        raise SystemExit(1)


def diff_in_scope(result: dict[str, Any], scope: Scope, domain: str) -> dict[str, Any]:
    """The changes that touch the scope's namespaces: connections from or to them, their
    Services and routes, DNS names under ``NS.svc``/``NS.pod`` of the zone."""

    def keep(entry: dict[str, Any]) -> bool:
        names = [entry.get(k) for k in ("from", "to", "service", "object") if entry.get(k)]
        if "name" in entry and not names:
            return scope.has_namespace(_dns_namespace(str(entry["name"]), domain))
        return any(scope.keeps_name(str(n)) for n in names)

    return {
        layer: (
            {kind: [e for e in items if keep(e)] for kind, items in changes.items()}
            if isinstance(changes, dict)
            else changes
        )
        for layer, changes in result.items()
    }


def _dns_namespace(name: str, domain: str) -> str | None:
    """The namespace of a cluster DNS name (``...NS.svc.ZONE.`` or ``...NS.pod.ZONE.``)."""
    suffix = f".{domain.strip('.')}."
    labels = name[: -len(suffix)].split(".") if name.endswith(suffix) else []
    return labels[-2] if len(labels) >= 2 and labels[-1] in ("svc", "pod") else None
