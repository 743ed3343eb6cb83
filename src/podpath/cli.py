"""The ``podpath`` command line: parse flags, call the library, render, map errors to exits.

Exit status (DESIGN.md): 0 done; 1 the answer is a failure the user asked to fail on;
2 bad input or usage, with one line naming the file, document and field.

Commands are loaded lazily (``COMMANDS`` maps a name to ``module:attribute``) so that the tool
starts fast and heavy dependencies load only for the command that needs them.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from podpath.errors import PodpathError

COMMANDS: dict[str, str] = {
    "matrix": "podpath.commands.matrix:matrix",
    "explain": "podpath.commands.explain:explain",
    "check": "podpath.commands.check:check",
    "pods": "podpath.commands.inventory:pods",
    "services": "podpath.commands.inventory:services",
    "report": "podpath.commands.report:report",
    "up": "podpath.commands.dataplane:up",
    "probe": "podpath.commands.dataplane:probe",
    "exec": "podpath.commands.dataplane:exec_",
    "down": "podpath.commands.dataplane:down",
    "route": "podpath.commands.routes:route",
    "routes": "podpath.commands.routes:routes",
    "doctor": "podpath.commands.doctor:doctor",
    "dns": "podpath.commands.dns:dns",
    "trace": "podpath.commands.trace:trace",
    "diff": "podpath.commands.diff:diff",
    "graph": "podpath.commands.graph:graph",
    "snapshot": "podpath.commands.snapshot:snapshot",
    "convert": "podpath.commands.convert:convert",
    "migrate": "podpath.commands.migrate:migrate",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="podpath")
def cli() -> None:
    """podpath: the network of a Kubernetes cluster, modelled exactly as Kubernetes defines it.

    Read manifests (-f FILE|DIR|-) or a live cluster (--kubeconfig), then ask who can reach
    whom (matrix, trace), where a request goes (route), what a name resolves to (dns), and
    why traffic fails (doctor).
    """


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: ``PodpathError`` -> one line on stderr and exit status 2."""
    try:
        return cli.main(args=argv, prog_name="podpath", standalone_mode=True)
    except PodpathError as exc:
        from podpath.render.escape import terminal_safe

        click.echo(f"podpath: error: {terminal_safe(str(exc))}", err=True)  # one line, inert
        sys.exit(2)
    except BrokenPipeError:  # `podpath ... | head`: the reader left; not an error
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
