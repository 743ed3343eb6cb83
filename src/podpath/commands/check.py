"""``podpath check EXPECTATIONS.yaml [-o table|json|yaml]``: intended connectivity checked
statically; exit 1 when an expectation does not hold (the violating pairs are listed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml

from podpath.analyze.check import parse_expectations, run_checks
from podpath.cluster import Cluster
from podpath.commands.common import assume_option, assumptions_from, emit, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.errors import InputError
from podpath.render.check import check_table


@command()
@click.argument("expectations", metavar="EXPECTATIONS.yaml")
@output_option(("table", "json"))
@assume_option
@with_inputs
def check(cluster: Cluster, expectations: str, fmt: str, assume: tuple[str, ...] = ()) -> None:
    """EXPECTATIONS.yaml lists connections that must be allowed or denied
    (podpath docs policy). Exit 1 when one does not hold; the pairs that break it are listed."""
    path = Path(expectations)
    try:
        data = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read", path=expectations) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", path=expectations) from None
    result = run_checks(cluster, parse_expectations(data, expectations), assumptions_from(assume))
    workloads = {p.key: p.workload_key for p in cluster.pods}
    emit(render_as(fmt, result, table=lambda data: check_table(data, workloads)))
    if result["failed"]:
        sys.exit(1)
