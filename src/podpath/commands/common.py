"""What every command shares: the input and scope options, their validation, loading.

Input options (every command that reads a cluster; ``--help`` groups them under "Input"):
``-f/--file`` (repeatable: file, folder, or ``-``), or ``--kubeconfig PATH`` and
``--context NAME`` for a live cluster; the cluster parameters the manifests do not carry
(``--pod-cidr``, ``--service-cidr``, ``--cluster-domain``, ``--lb-pool``, ``--nodes``);
``-v/--verbose`` lists skipped kinds and assumptions on standard error; ``--strict`` turns
warnings into errors (exit 2); ``--no-color``. Scope options ("Select"), as kubectl's:
``-n/--namespace NS`` (repeatable), ``-A/--all-namespaces``, ``-l/--selector SELECTOR``.
Output: ``-o/--output FORMAT`` is ``--format`` (:mod:`podpath.commands.output`).

Flag interactions, all checked in :func:`validate_inputs`:

- ``-f`` and ``--kubeconfig`` are exclusive (exit 2); ``--context`` with ``-f`` is ignored
  (a warning says so).
- With neither ``-f`` nor ``--kubeconfig``, the cluster of the current context (or
  ``--context``) of kubectl's configuration is read, read-only: every file of
  ``KUBECONFIG`` merged as kubectl merges them, else ``~/.kube/config``
  (:mod:`podpath.sources.kubeconfig`); inside a pod without them, the in-cluster service
  account. With none of these, one line says how to give input (exit 2).
- ``-n``/``-A``/``-l`` filter what is printed; the cluster is always read and evaluated whole
  (a policy in another namespace still decides). Without ``-n`` every namespace is shown
  (as ``-A``); ``-A`` with ``-n`` shows every namespace (a warning says ``-n`` is ignored). A
  ``-n`` namespace the cluster lacks is an error naming the closest ones.
- ``-l`` selects pods and workloads by their labels: commands that list neither ignore it
  (a warning says so). With one ``-n NS``, a name without ``NS/`` given where a pod is
  expected (``explain POD``, ``trace --from``) is looked up in NS.
- A command body that takes no ``scope`` argument ignores ``-n``/``-l`` with a warning.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from podpath.cluster import Cluster
from podpath.cluster.settings import Settings
from podpath.commands.help import INPUT_KEYS, SCOPE_KEYS
from podpath.commands.output import emit, format_option, no_color_option, to_json
from podpath.commands.progress import progress as progress
from podpath.commands.scope import Scope, parse_label_selector
from podpath.errors import InputError
from podpath.normalize.workloads import MAX_PODS
from podpath.render.escape import terminal_safe
from podpath.sources.api_errors import LIVE_TIMEOUT

__all__ = ["emit", "format_option", "to_json"]  # re-exported: commands import them from here

F = TypeVar("F", bound=Callable[..., Any])
DEFAULTS = Settings()

MSG_NO_INPUT = (
    "no input: pass -f PATH (a file, a folder, or - for stdin), or --kubeconfig PATH, "
    "or set KUBECONFIG (no ~/.kube/config found)"
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
            type=click.Path(),  # completes file names
            help="Manifest file, folder (recursive) or - for stdin. Repeatable.",
        ),
        click.option(
            "--kubeconfig",
            type=str,
            default=None,
            metavar="PATH",
            help="Read the live cluster of this kubeconfig file only, read only. Default, "
            "without -f: the files of KUBECONFIG merged, else ~/.kube/config.",
        ),
        click.option(
            "--context", type=str, default=None, metavar="NAME", help="The kubeconfig context."
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(1, None),
            default=None,
            metavar="SECONDS",
            help=f"Deadline for the whole live read (default {LIVE_TIMEOUT:g}).",
        ),
    )


def _complete_namespaces(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
    from podpath.commands.completion import complete_namespaces

    return complete_namespaces(ctx, param, incomplete)


def scope_options(func: F) -> F:
    """Add kubectl's ``-n/--namespace``, ``-A/--all-namespaces`` and ``-l/--selector``."""
    return _apply(
        func,
        click.option(
            "-n",
            "--namespace",
            "namespaces",
            multiple=True,
            metavar="NS",
            shell_complete=_complete_namespaces,
            help=(
                "Show only objects of this namespace (repeatable). With -f, one -n is also "
                "the namespace of objects that name none (as kubectl apply -n)."
            ),
        ),
        click.option(
            "-A",
            "--all-namespaces",
            is_flag=True,
            help="Show every namespace (the default).",
        ),
        click.option(
            "-l",
            "--selector",
            default=None,
            metavar="SELECTOR",
            help="Show only pods and workloads with these labels (e.g. app=web,tier!=db).",
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
    """Add the shared input and scope options; they arrive as keyword arguments."""
    return scope_options(source_options(cluster_options(no_color_option(func))))


def _apply(func: F, *options: Callable[[F], F]) -> F:
    """Apply click options so that ``--help`` lists them in the order given."""
    for option in reversed(options):
        func = option(func)
    return func


def split_inputs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Remove the input and scope options from a command's kwargs and return them."""
    return {k: kwargs.pop(k) for k in (*INPUT_KEYS, *SCOPE_KEYS) if k in kwargs}


@dataclass(frozen=True)
class Inputs:
    """The validated input options: where to read, the cluster parameters, the scope."""

    files: tuple[str, ...] = ()
    kubeconfig: str | None = None
    context: str | None = None
    live: bool = False
    settings: Settings = DEFAULTS
    nodes: int | None = None
    max_pods: int | None = None
    timeout: float | None = None
    verbose: bool = False
    strict: bool = False
    scope: Scope = Scope()
    warnings: tuple[str, ...] = field(default=())


SELECTOR_COMMANDS = frozenset({"pods", "matrix", "graph", "doctor", "report"})


def validate_inputs(
    opts: Mapping[str, Any], *, command: str | None = None, environ: Mapping[str, str] | None = None
) -> Inputs:
    """Check the input and scope options together (the rules are the module docstring's) and
    return them validated; ignored combinations come back as ``warnings``."""
    files = tuple(opts.get("files") or ())
    kubeconfig, context = opts.get("kubeconfig"), opts.get("context")
    warnings: list[str] = []
    if files and kubeconfig:
        raise InputError("use either -f/--file or --kubeconfig, not both")
    if files and context:
        warnings.append("--context is ignored with -f (it names a kubeconfig context)")
        context = None
    live = not files
    if live and not kubeconfig and not _default_config_available(environ):
        raise InputError(MSG_NO_INPUT)
    namespaces = tuple(dict.fromkeys(opts.get("namespaces") or ()))
    if opts.get("all_namespaces") and namespaces:
        warnings.append("-n is ignored with -A/--all-namespaces")
        namespaces = ()
    text = opts.get("selector")
    selector = parse_label_selector(text) if text is not None else None
    if selector is not None and command is not None and command not in SELECTOR_COMMANDS:
        warnings.append(f"-l is ignored by {command} (it selects pods and workloads)")
        selector = None
    return Inputs(
        files=files,
        kubeconfig=kubeconfig,
        context=context,
        live=live,
        settings=settings_from(opts),
        nodes=opts.get("nodes"),
        max_pods=opts.get("max_pods"),
        timeout=opts.get("timeout"),
        verbose=bool(opts.get("verbose")),
        strict=bool(opts.get("strict")),
        scope=Scope(namespaces, selector),
        warnings=tuple(warnings),
    )


def _default_config_available(environ: Mapping[str, str] | None) -> bool:
    """A kubeconfig of the default chain exists, or we run inside a pod (in-cluster)."""
    import os

    from podpath.sources.kubeconfig import default_kubeconfig_exists

    env = os.environ if environ is None else environ
    return default_kubeconfig_exists(env) or bool(env.get("KUBERNETES_SERVICE_HOST"))


def settings_from(opts: Mapping[str, Any]) -> Settings:
    return Settings(
        pod_cidr=opts.get("pod_cidr") or DEFAULTS.pod_cidr,
        service_cidr=opts.get("service_cidr") or DEFAULTS.service_cidr,
        cluster_domain=(opts.get("cluster_domain") or DEFAULTS.cluster_domain).strip(".").lower(),
        lb_pool=opts.get("lb_pool") or DEFAULTS.lb_pool,
    )


def load_from_options(opts: Mapping[str, Any], *, command: str | None = None) -> Cluster:
    """Load and resolve the cluster the input options describe; report notes on stderr."""
    return load_inputs(validate_inputs(opts, command=command or _command_name()))


def load_inputs(inputs: Inputs) -> Cluster:
    """Load and resolve the cluster of validated inputs; warnings and notes go to stderr."""
    from podpath.api import load_cluster

    for warning in inputs.warnings:
        click.echo(f"podpath: warning: {warning}", err=True)
    with progress("loading") as status:
        cluster = load_cluster(
            inputs.files,
            kubeconfig=inputs.kubeconfig,
            context=inputs.context,
            timeout=inputs.timeout,
            settings=inputs.settings,
            node_count=inputs.nodes,
            max_pods=inputs.max_pods,
            on_progress=status.update,
            live=inputs.live,
            namespace=inputs.scope.default_namespace if inputs.files else None,
        )
    report_notes(cluster, verbose=inputs.verbose, strict=inputs.strict)
    return cluster


def checked_scope(scope: Scope, cluster: Cluster) -> Scope:
    """The scope, once its namespaces are known to exist (else an error with the closest)."""
    from podpath.commands.suggest import check_namespace

    for ns in scope.namespaces:
        check_namespace(cluster, ns, "--namespace")
    return scope


def _command_name() -> str | None:
    ctx = click.get_current_context(silent=True)
    return ctx.info_name if ctx is not None else None


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


def parse_header(value: str) -> tuple[str, str]:
    """A ``--header NAME:VALUE`` option as (name, value), both stripped."""
    name, sep, val = value.partition(":")
    if not sep or not name.strip():
        raise InputError(f"--header {value!r}: expected NAME:VALUE", field="--header")
    return name.strip(), val.strip()


def with_inputs(func: F) -> F:
    """Decorator: add the input and scope options and pass a resolved ``cluster`` (and, to a
    function with a ``scope`` parameter, the checked :class:`Scope`) instead of them."""
    takes_scope = "scope" in inspect.signature(func).parameters

    @input_options
    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        opts = split_inputs(kwargs)
        name = _command_name()
        inputs = validate_inputs(opts, command=name)
        cluster = load_inputs(inputs)
        scope = checked_scope(inputs.scope, cluster)
        if takes_scope:
            kwargs["scope"] = scope
        elif not scope.is_everything:
            click.echo(f"podpath: warning: -n/-l are ignored by {name}", err=True)
        return func(cluster=cluster, **kwargs)

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
