"""``podpath doctor``: run the troubleshooting checklist and the policy baseline.

Flags: ``--fail-on error|warning|never`` (exit 1 when a finding is at or above it; default
error), ``--format table|json|md|sarif``, ``--sensitive NS`` (repeatable), ``--config
podpath.yaml`` (default: ``./podpath.yaml``, else a ``podpath.yaml`` in a ``-f`` folder),
``--step NAME`` (repeatable: pods, services, dns, ingress, policy, baseline).

Symptom mode: ``--from SRC --to DST [--port P]`` traces that traffic and lists the findings
on its path, most likely cause first; ``--fix`` adds, for a denied path, the smallest
NetworkPolicy that allows exactly that traffic (verified with the policy engine).
Flag interactions: ``--port`` and ``--fix`` need ``--from`` and ``--to``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml

from podpath.analyze.doctor import diagnose, rules
from podpath.analyze.doctor.context import BaselineConfig, baseline_from_config
from podpath.analyze.doctor.findings import FAIL_ON, Finding, fails
from podpath.cluster import Cluster
from podpath.commands.common import (
    checked_scope,
    emit,
    input_options,
    load_inputs,
    split_inputs,
    validate_inputs,
)
from podpath.commands.completion import complete_destinations, complete_pods
from podpath.commands.help import command
from podpath.commands.output import derived, output_option
from podpath.commands.provider import CONFIG_NAME, choice_from, find_config, provider_options
from podpath.commands.scope import Scope
from podpath.errors import InputError
from podpath.model.core import SourceRef
from podpath.render.findings import FORMAT_NAMES, render

STEPS = ("pods", "services", "dns", "ingress", "policy", "baseline", "provider")


def read_config(path: Path | None, sensitive: tuple[str, ...]) -> BaselineConfig:
    config = BaselineConfig()
    if path is not None:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            config = baseline_from_config(raw, SourceRef(str(path), 0, 1))
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise InputError(f"invalid doctor config: {exc}", path=str(path)) from None
    if sensitive:
        merged = tuple(sorted(set(config.sensitive_namespaces) | set(sensitive)))
        config = BaselineConfig(
            sensitive_namespaces=merged,
            monitoring_namespaces=config.monitoring_namespaces,
            metrics_ports=config.metrics_ports,
            approved_namespaces=config.approved_namespaces,
            source=config.source,
        )
    return config


@command()
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@output_option(FORMAT_NAMES)
@click.option(
    "--sensitive", multiple=True, metavar="NS", help="A namespace that must follow the baseline."
)
@click.option(
    "--config",
    "config_path",
    default=None,
    metavar="PATH",
    help=f"Doctor config (default ./{CONFIG_NAME}, else one in a -f folder).",
)
@click.option(
    "--step", "steps", multiple=True, type=click.Choice(STEPS), help="Run only these steps."
)
@click.option(
    "--from",
    "src",
    default=None,
    shell_complete=complete_pods,
    help="Symptom mode: the traffic's source.",
)
@click.option(
    "--to",
    "dst",
    default=None,
    shell_complete=complete_destinations,
    help="Symptom mode: the traffic's destination.",
)
@click.option("--port", default=None, help="Symptom mode: PORT[/PROTO].")
@click.option("--fix", is_flag=True, help="Symptom mode: print the smallest policy that allows it.")
@provider_options
@input_options
def doctor(**kwargs: Any) -> None:
    """It runs the troubleshooting checklist (pods, Services, DNS, ingress, policy)
    and the policy baseline, and ranks the findings. With --from and --to it looks at one
    connection; --fix prints the smallest policy that allows it."""
    opts = split_inputs(kwargs)
    src, dst = kwargs["src"], kwargs["dst"]
    if (kwargs["port"] or kwargs["fix"]) and not (src and dst):
        raise click.UsageError("--port and --fix need --from and --to")
    if bool(src) != bool(dst):
        raise click.UsageError("--from and --to go together")
    config = read_config(
        find_config(kwargs["config_path"], tuple(opts.get("files") or ())), kwargs["sensitive"]
    )
    inputs = validate_inputs(opts, command="doctor")
    cluster = load_inputs(inputs)
    scope = checked_scope(inputs.scope, cluster)
    choice = choice_from(
        cluster, kwargs["provider"], kwargs["provider_params"], kwargs["config_path"]
    )
    now = datetime.now(UTC)  # certificate expiry: the clock is read here, at the edge
    found = diagnose(
        cluster, baseline=config, steps=kwargs["steps"] or None, now=now, provider=choice
    )
    findings = tuple(findings_in_scope(found, scope, cluster))
    if src and dst:
        from podpath.commands.doctor_symptom import symptom_output
        from podpath.commands.suggest import check_pod_or_service

        check_pod_or_service(cluster, src, "--from")
        check_pod_or_service(cluster, dst, "--to")

        outcome: list[bool] = []

        def symptom(fmt: str) -> str:
            text, failed = symptom_output(
                cluster, findings, src, dst, kwargs["port"], fix=kwargs["fix"], fmt=fmt
            )
            outcome.append(failed)
            return text

        emit(derived(kwargs["fmt"], symptom))
        failed = outcome[-1]
        if failed and kwargs["fail_on"] != "never":
            sys.exit(1)
        return
    emit(derived(kwargs["fmt"], lambda fmt: render(fmt, findings, rules())))
    if fails(findings, kwargs["fail_on"]):
        sys.exit(1)


def findings_in_scope(findings: Sequence[Finding], scope: Scope, cluster: Cluster) -> list[Finding]:
    """The findings ``-n``/``-l`` keep: on an object of those namespaces and, with ``-l``, on
    a selected pod or a workload with a selected pod (other findings are not about pods)."""
    if scope.is_everything:
        return list(findings)
    selected: set[str] = set()
    if scope.selector is not None:
        for pod in cluster.pods:
            if scope.selects(pod.labels):
                selected.add(f"Pod/{pod.key}")
                if pod.owner is not None:
                    selected.add(f"{pod.owner.kind}/{pod.namespace}/{pod.owner.name}")
    return [
        f
        for f in findings
        if scope.keeps_name(f.object) and (scope.selector is None or f.object in selected)
    ]
