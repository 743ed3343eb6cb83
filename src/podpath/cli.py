"""The ``podpath`` command line: parse flags, call the library, render, map errors to exits.

Exit status (DESIGN.md): 0 done; 1 the answer is a failure the user asked to fail on;
2 bad input or usage, with one line naming the file, document and field.

Commands are loaded lazily (``COMMANDS`` maps a name to ``module:attribute``) so that the tool
starts fast and heavy dependencies load only for the command that needs them.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any

import click

from podpath import __version__
from podpath.commands.help import SUMMARIES
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
    "docs": "podpath.commands.docs:docs",
    "completion": "podpath.commands.completion:completion",
    "convert": "podpath.commands.convert:convert",
    "migrate": "podpath.commands.migrate:migrate",
}
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("What is there", ("pods", "services", "routes", "report")),
    ("Who can reach whom", ("matrix", "trace", "explain", "check", "graph")),
    ("Where a request goes, what a name resolves to", ("route", "dns")),
    ("From Ingress to Gateway API", ("convert", "migrate")),
    ("Why it fails, what a change does", ("doctor", "diff")),
    ("The real network on this machine (root, Linux)", ("up", "probe", "exec", "down")),
    ("Tools", ("snapshot", "completion", "docs")),
)


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use; an unknown command names
    the closest ones."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            from podpath.commands.suggest import closest, did_you_mean

            hint = did_you_mean(closest(name, COMMANDS, n=3))
            raise click.UsageError(f"no command {name!r}{hint}", ctx)
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        command.short_help = SUMMARIES.get(cmd_name, command.short_help)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands by section with their one-sentence summaries, without importing any
        command (``podpath --help`` stays fast)."""
        for title, names in SECTIONS:
            with formatter.section(title):
                formatter.write_dl([(n, SUMMARIES[n]) for n in names])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="podpath")
def cli() -> None:
    """podpath models the network of a Kubernetes cluster exactly as Kubernetes defines it.

    It reads manifests (-f FILE|DIR|-) or a live cluster (kubectl's current context, or
    --kubeconfig), and answers who can reach whom, where a request goes, what a name resolves
    to, and why traffic fails. Every command takes kubectl's -n, -A, -l and -o.

    Start with: podpath doctor -f DIR. Read more: podpath docs (the installed pages).
    """


def main(argv: list[str] | None = None) -> Any:
    """Console entry point. Errors are one line on stderr, ``podpath: error: ...``, with exit
    status 2: ``PodpathError`` (bad input) and click's usage errors alike (an unknown
    command or option, a bad value: with click's or podpath's "did you mean")."""
    try:
        code = cli.main(args=argv, prog_name="podpath", standalone_mode=False)
    except PodpathError as exc:
        from podpath.render.escape import terminal_safe

        click.echo(f"podpath: error: {terminal_safe(str(exc))}", err=True)  # one line, inert
        sys.exit(2)
    except click.exceptions.NoArgsIsHelpError as exc:  # `podpath` alone: the help
        click.echo(exc.format_message())
        sys.exit(0)
    except click.UsageError as exc:
        click.echo(f"podpath: error: {usage_line(exc)}", err=True)
        sys.exit(2)
    except click.ClickException as exc:  # e.g. a click.Path that does not exist
        click.echo(f"podpath: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:  # Ctrl-C
        click.echo("podpath: aborted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `podpath ... | head`: the reader left; not an error
        sys.stderr.close()
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)


def usage_line(exc: click.UsageError) -> str:
    """A click usage error as one line: the message and where help is."""
    from podpath.commands.suggest import did_you_mean

    message = " ".join(exc.format_message().split())
    match = re.search(r"\.? \(?Did you mean (?:one of: )?(.*?)\??\)?$", message)
    if match:
        names = [n.strip(" '") for n in match.group(1).split(",")]
        message = message[: match.start()] + did_you_mean(names)
    message = message.rstrip(".")
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    path = exc.ctx.command_path if exc.ctx is not None else "podpath"
    return f"{message} (see '{path} --help')"


if __name__ == "__main__":  # pragma: no cover
    main()
