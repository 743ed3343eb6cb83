"""``podpath convert -f DIR [--gateway-class NAME] [--gateway NS/NAME] [--ingress-class NAME]``:
print Gateway API objects (YAML, one document each) doing what the Ingresses of an
ingress-nginx class do (:mod:`podpath.analyze.convert`); what Gateway API cannot express, or
expresses approximately, goes to standard error, one line each naming the annotation and the
object. Exit 0; 2 on bad input. Check the result with ``podpath migrate DIR converted.yaml``.
"""

from __future__ import annotations

from typing import Any

import click
import yaml

from podpath.analyze.convert import convert_ingresses
from podpath.cluster import Cluster
from podpath.commands.common import emit, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option


class _NoAliases(yaml.SafeDumper):
    """Repeated rule fragments are written out, not as YAML anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(objects: tuple[dict[str, Any], ...]) -> str:
    return yaml.dump_all(objects, Dumper=_NoAliases, sort_keys=False, default_flow_style=False)


@command()
@click.option(
    "--gateway-class",
    default=None,
    metavar="NAME",
    help="gatewayClassName of the Gateways (default: the IngressClass's name).",
)
@click.option(
    "--gateway",
    default=None,
    metavar="NS/NAME",
    help="One shared Gateway (default: one per Ingress namespace, named after the class).",
)
@click.option(
    "--ingress-class", default=None, metavar="NAME", help="Convert this IngressClass only."
)
@output_option(("yaml",), default="yaml", derive=False)
@with_inputs
def convert(
    cluster: Cluster,
    gateway_class: str | None,
    gateway: str | None,
    ingress_class: str | None,
    fmt: str = "yaml",
) -> None:
    """It writes the Gateway API objects (YAML) that do what the Ingresses, and their
    ingress-nginx annotations, do; what cannot be expressed is named on standard error."""
    result = convert_ingresses(
        cluster, gateway_class=gateway_class, gateway=gateway, ingress_class=ingress_class
    )
    for line in result.notes:
        click.echo(f"podpath: convert: {line}", err=True)
    emit(to_yaml(result.objects).rstrip("\n"))
