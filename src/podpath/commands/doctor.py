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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml

from podpath.analyze.doctor import diagnose, rules
from podpath.analyze.doctor.context import BaselineConfig, baseline_from_config
from podpath.analyze.doctor.findings import FAIL_ON, fails
from podpath.commands.common import emit, input_options, load_from_options, split_inputs
from podpath.commands.provider import CONFIG_NAME, choice_from, find_config, provider_options
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


@click.command()
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMAT_NAMES), default="table", show_default=True
)
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
@click.option("--from", "src", default=None, help="Symptom mode: the traffic's source.")
@click.option("--to", "dst", default=None, help="Symptom mode: the traffic's destination.")
@click.option("--port", default=None, help="Symptom mode: PORT[/PROTO].")
@click.option("--fix", is_flag=True, help="Symptom mode: print the smallest policy that allows it.")
@provider_options
@input_options
def doctor(**kwargs: Any) -> None:
    """Run the networking troubleshooting checklist and the policy baseline; rank the findings."""
    opts = split_inputs(kwargs)
    src, dst = kwargs["src"], kwargs["dst"]
    if (kwargs["port"] or kwargs["fix"]) and not (src and dst):
        raise click.UsageError("--port and --fix need --from and --to")
    if bool(src) != bool(dst):
        raise click.UsageError("--from and --to go together")
    config = read_config(
        find_config(kwargs["config_path"], tuple(opts.get("files") or ())), kwargs["sensitive"]
    )
    cluster = load_from_options(opts)
    choice = choice_from(
        cluster, kwargs["provider"], kwargs["provider_params"], kwargs["config_path"]
    )
    now = datetime.now(UTC)  # certificate expiry: the clock is read here, at the edge
    findings = diagnose(
        cluster, baseline=config, steps=kwargs["steps"] or None, now=now, provider=choice
    )
    if src and dst:
        from podpath.commands.doctor_symptom import symptom_output

        text, failed = symptom_output(
            cluster, findings, src, dst, kwargs["port"], fix=kwargs["fix"], fmt=kwargs["fmt"]
        )
        emit(text)
        if failed and kwargs["fail_on"] != "never":
            sys.exit(1)
        return
    emit(render(kwargs["fmt"], findings, rules()))
    if fails(findings, kwargs["fail_on"]):
        sys.exit(1)
