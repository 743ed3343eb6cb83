"""What every command shares: the input options, loading, and rendering to standard output.

Input options (every command): ``-f/--file`` (repeatable: file, folder, or ``-``), or
``--kubeconfig PATH [--context NAME]`` for a live cluster; cluster parameters the manifests
do not carry (``--pod-cidr``, ``--service-cidr``, ``--cluster-domain``, ``--lb-pool``,
``--nodes``); ``--verbose`` lists skipped kinds and assumptions on standard error;
``--strict`` turns warnings into errors (exit 2).

Flag interactions, checked in :func:`load_from_options`: ``-f`` and ``--kubeconfig`` are
exclusive; ``--context`` without ``--kubeconfig`` uses the default kubeconfig; with neither
``-f`` nor a kubeconfig the command reads nothing and says so.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from podpath.cluster import Cluster
from podpath.cluster.settings import Settings
from podpath.errors import InputError
from podpath.normalize.workloads import MAX_PODS
from podpath.render.escape import terminal_safe
from podpath.sources.api_errors import LIVE_TIMEOUT

F = TypeVar("F", bound=Callable[..., Any])
DEFAULTS = Settings()

INPUT_KEYS = (
    "files",
    "kubeconfig",
    "context",
    "timeout",
    "pod_cidr",
    "service_cidr",
    "cluster_domain",
    "lb_pool",
    "nodes",
    "max_pods",
    "verbose",
    "strict",
)


def source_options(func: F) -> F:
    """Add ``-f/--file``, ``--kubeconfig`` and ``--context``."""
    return _apply(
        func,
        click.option(
            "-f",
            "--file",
            "files",
            multiple=True,
            metavar="PATH",
            help="Manifest file, folder (recursive) or - for stdin. Repeatable.",
        ),
        click.option(
            "--kubeconfig", type=str, default=None, help="Read a live cluster (read-only)."
        ),
        click.option("--context", type=str, default=None, help="kubeconfig context."),
        click.option(
            "--timeout",
            type=click.FloatRange(1, None),
            default=None,
            metavar="SECONDS",
            help=f"Deadline for the whole live read (default {LIVE_TIMEOUT:g}).",
        ),
    )


def cluster_options(func: F) -> F:
    """Add the cluster parameters the manifests do not carry, ``--verbose`` and ``--strict``."""
    return _apply(
        func,
        click.option(
            "--pod-cidr",
            default=DEFAULTS.pod_cidr,
            show_default=True,
            help="Cluster pod CIDR for pods without status.podIP.",
        ),
        click.option(
            "--service-cidr",
            default=DEFAULTS.service_cidr,
            show_default=True,
            help="Service CIDR for Services without spec.clusterIP.",
        ),
        click.option(
            "--cluster-domain",
            default=DEFAULTS.cluster_domain,
            show_default=True,
            help="Cluster DNS domain (the kubelet's clusterDomain).",
        ),
        click.option(
            "--lb-pool",
            default=DEFAULTS.lb_pool,
            show_default=True,
            help="Address pool for LoadBalancer Services without status.",
        ),
        click.option(
            "--nodes",
            type=click.IntRange(1, 100000),
            default=None,
            help="Number of nodes when the input declares none.",
        ),
        click.option(
            "--max-pods",
            type=click.IntRange(1, None),
            default=MAX_PODS,
            show_default=True,
            help="Refuse an input that expands to more pods (replicas, DaemonSets x nodes).",
        ),
        click.option("-v", "--verbose", is_flag=True, help="List skipped kinds and assumptions."),
        click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 2)."),
    )


def input_options(func: F) -> F:
    """Add the shared input options; they arrive in the command as keyword arguments."""
    return source_options(cluster_options(func))


def _apply(func: F, *options: Callable[[F], F]) -> F:
    """Apply click options so that ``--help`` lists them in the order given."""
    for option in reversed(options):
        func = option(func)
    return func


def split_inputs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Remove the input options from a command's kwargs and return them."""
    return {k: kwargs.pop(k) for k in INPUT_KEYS if k in kwargs}


def settings_from(opts: Mapping[str, Any]) -> Settings:
    return Settings(
        pod_cidr=opts.get("pod_cidr") or DEFAULTS.pod_cidr,
        service_cidr=opts.get("service_cidr") or DEFAULTS.service_cidr,
        cluster_domain=(opts.get("cluster_domain") or DEFAULTS.cluster_domain).strip(".").lower(),
        lb_pool=opts.get("lb_pool") or DEFAULTS.lb_pool,
    )


def load_from_options(opts: Mapping[str, Any]) -> Cluster:
    """Load and resolve the cluster the input options describe; report notes on stderr."""
    from podpath.api import load_cluster

    files = tuple(opts.get("files") or ())
    kubeconfig = opts.get("kubeconfig")
    if files and kubeconfig:
        raise InputError("use either -f/--file or --kubeconfig, not both")
    if not files and not kubeconfig and not opts.get("context"):
        raise InputError("no input: pass -f PATH (file, folder or -) or --kubeconfig PATH")
    with progress("loading") as status:
        cluster = load_cluster(
            files,
            kubeconfig=kubeconfig,
            context=opts.get("context"),
            timeout=opts.get("timeout"),
            settings=settings_from(opts),
            node_count=opts.get("nodes"),
            max_pods=opts.get("max_pods"),
            on_progress=status.update,
        )
    report_notes(cluster, verbose=bool(opts.get("verbose")), strict=bool(opts.get("strict")))
    return cluster


def report_notes(cluster: Cluster, *, verbose: bool, strict: bool) -> None:
    """Warnings always go to stderr; info notes (skipped kinds, assumptions) with --verbose."""
    warnings = [n for n in cluster.notes if n.severity in ("warning", "error")]
    for note in cluster.notes:
        if note.severity == "info" and not verbose:
            continue
        src, where = note.source, ""
        if src is not None and verbose:  # FILE:LINE for manifests (as doctor), live:KIND#N else
            live = src.path.startswith(("live:", "<"))
            where = f" ({src})" if live else f" ({src.path}:{src.line})"
        click.echo(terminal_safe(f"podpath: {note}{where}"), err=True)
    if strict and warnings:
        raise InputError(f"--strict: {len(warnings)} warning(s), first: {warnings[0].message}")


class progress:
    """A transient status line on a terminal; silent when stderr is not a terminal."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._status: Any = None

    def __enter__(self) -> progress:
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(f"{self.what}...")
            self._status.__enter__()
        return self

    def update(self, text: str) -> None:
        if self._status is not None:
            self._status.update(f"{self.what}: {text}")

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)


def parse_header(value: str) -> tuple[str, str]:
    """A ``--header NAME:VALUE`` option as (name, value), both stripped."""
    name, sep, val = value.partition(":")
    if not sep or not name.strip():
        raise InputError(f"--header {value!r}: expected NAME:VALUE", field="--header")
    return name.strip(), val.strip()


def to_json(data: Any) -> str:
    """Deterministic JSON (key order as built, two-space indent, trailing newline)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def format_option(formats: Mapping[str, Any], default: str = "table") -> Callable[[F], F]:
    """``--format`` restricted to a command's renderer registry."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(formats)),
        default=default,
        show_default=True,
        help="Output format.",
    )


def emit(text: str) -> None:
    """Write rendered output to stdout (exactly once per command); control characters but
    the layout's newlines and tabs are shown as escapes (JSON stays valid)."""
    text = terminal_safe(text, keep="\n\t")
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def with_inputs(func: F) -> F:
    """Decorator: add input options and pass a resolved ``cluster`` instead of them."""

    @input_options
    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        opts = split_inputs(kwargs)
        return func(cluster=load_from_options(opts), **kwargs)

    return wrapper  # type: ignore[return-value]


ASSUMPTION_NAMES = {
    "ipblock-matches-pod-ips": "ipblock_matches_pod_ips",
    "node-traffic-allowed": "node_traffic_allowed",
    "host-network-as-node": "host_network_as_node",
    "self-traffic-allowed": "self_traffic_allowed",
}


def assume_option(func: F) -> F:
    """``--assume NAME=on|off`` (repeatable): switch a documented policy assumption
    (docs/policy.md) for this run."""
    return click.option(
        "--assume",
        "assume",
        multiple=True,
        metavar="NAME=on|off",
        help="Switch a policy assumption: " + ", ".join(sorted(ASSUMPTION_NAMES)) + ".",
    )(func)


def assumptions_from(values: tuple[str, ...]) -> Any:
    """The engine's Assumptions with the ``--assume`` switches applied."""
    from dataclasses import replace

    from podpath.engine.policy_verdict import DEFAULT_ASSUMPTIONS

    changes: dict[str, bool] = {}
    for value in values:
        name, _, state = value.partition("=")
        field = ASSUMPTION_NAMES.get(name.strip())
        if field is None or state.strip().lower() not in ("on", "off", "true", "false"):
            raise InputError(
                f"--assume {value!r}: expected NAME=on|off with NAME one of "
                + ", ".join(sorted(ASSUMPTION_NAMES)),
                field="--assume",
            )
        changes[field] = state.strip().lower() in ("on", "true")
    return replace(DEFAULT_ASSUMPTIONS, **changes)
