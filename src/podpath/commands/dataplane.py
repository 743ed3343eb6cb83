"""``podpath up``, ``probe``, ``exec``, ``down``: the modelled network, for real, on this machine.

All four need root on Linux (with ``ip`` and ``nft``); otherwise they print one line and exit 2.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from podpath.commands.common import emit, progress, with_inputs
from podpath.commands.help import command
from podpath.commands.output import no_color_option, output_option, render_as

PROBE_FORMATS = ("table", "json")


def _require(cmd: str, tools: tuple[tuple[str, str], ...] | None = None) -> None:
    from podpath.dataplane.netns import preflight

    problem = preflight(cmd) if tools is None else preflight(cmd, tools)
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(2)


def _fail(exc: Exception) -> None:
    click.echo(f"podpath: error: {exc}", err=True)
    sys.exit(2)


@command()
@with_inputs
def up(cluster: Any) -> None:
    """It makes a network namespace per node and pod, Services in nftables,
    NetworkPolicies enforced (ingress and egress), cluster DNS, an Ingress/Gateway proxy in the
    controller pods and an `internet` client. It replaces an existing environment."""
    _require("up")
    from podpath.dataplane.lifecycle import up as do_up
    from podpath.dataplane.netns import DataplaneError

    with progress("podpath up") as status:
        try:
            state = do_up(cluster, progress=status.update)
        except DataplaneError as exc:
            _fail(exc)
    for note in state["skipped"]:
        click.echo(f"podpath: skipped: {note}", err=True)
    emit(
        f"up: {len(state['pods'])} pods on {len(state['nodes'])} nodes; "
        f"DNS at {state['dns_ip']}; internet client {state['internet']['ip']} "
        f"(podpath exec internet -- CMD); podpath probe to compare with the model"
    )


@command()
@output_option(PROBE_FORMATS)
@click.option(
    "--timeout",
    type=click.FloatRange(0.05, 30.0),
    default=1.0,
    show_default=True,
    help="Seconds per connection attempt.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 4096),
    default=256,
    show_default=True,
    help="Connection attempts in flight at once.",
)
@click.option("--no-services", is_flag=True, help="Only pod-to-pod connections.")
@no_color_option
def probe(fmt: str, timeout: float, concurrency: int, no_services: bool, no_color: bool) -> None:
    """It opens real connections from every pod to every pod on every declared
    port, to every Service by DNS name and to the internet, and from the internet to every
    exposed address and route, and compares each with the model. Exit 1 on any disagreement."""
    _require("probe", (("ip", "iproute2"),))
    from podpath.dataplane.lifecycle import load_model, load_state
    from podpath.dataplane.probe import render_table, run_probe

    state = load_state()
    if state is None or not state.get("agent_pid"):
        _fail(RuntimeError("no data plane is up: run `podpath up -f ...` first"))
        return
    cluster = load_model()
    with progress("probing") as status:
        result = run_probe(
            cluster,
            state,
            timeout=timeout,
            concurrency=concurrency,
            services=not no_services,
            progress=status.update,
        )
    emit(render_as(fmt, result, table=render_table))
    sys.exit(1 if result["disagreements"] else 0)


@command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("target")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def exec_(target: str, command: tuple[str, ...]) -> None:
    """TARGET is NS/POD or `internet`; COMMAND runs in its network namespace with
    the pod's resolv.conf."""
    _require("exec", (("ip", "iproute2"),))
    from podpath.dataplane.lifecycle import load_state

    state = load_state()
    if state is None:
        _fail(RuntimeError("no data plane is up: run `podpath up -f ...` first"))
        return
    netns = None
    if target == "internet":
        netns = state["internet"]["netns"]
    else:
        netns = next((p["netns"] for p in state["pods"] if p["key"] == target), None)
        netns = netns or next((n["netns"] for n in state["nodes"] if n["name"] == target), None)
    if netns is None:
        _fail(RuntimeError(f"no pod {target!r} in the data plane (NS/NAME, a node or internet)"))
        return
    args = ["ip", "netns", "exec", netns, *command]
    sys.stdout.flush()
    os.execvp("ip", args)


@command()
def down() -> None:
    """It removes everything `podpath up` made, also after a killed run."""
    _require("down", (("ip", "iproute2"),))
    from podpath.dataplane.lifecycle import down as do_down

    removed = do_down()
    emit(f"down: removed {len(removed)} namespaces")
