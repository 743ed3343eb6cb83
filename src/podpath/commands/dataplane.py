"""``podpath up``, ``probe``, ``exec``, ``down``: the modelled network, for real, on this machine.

All four need root on Linux (with ``ip`` and ``nft``); otherwise they print one line and exit 2.
Each holds an exclusive lock on the state folder (:mod:`podpath.dataplane.statedir`) while it
uses it: a second one exits 2 naming the holder, or waits with ``--wait``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from podpath.commands.common import (
    emit,
    input_options,
    progress,
    report_notes,
    split_inputs,
    validate_inputs,
)
from podpath.commands.help import command
from podpath.commands.output import no_color_option, output_option, render_as
from podpath.commands.provider import choice_from, provider_options
from podpath.render.escape import terminal_safe

PROBE_FORMATS = ("table", "json")
MSG_NOT_UP = "no data plane is up: run `podpath up -f ...` first"


def _require(cmd: str, tools: tuple[tuple[str, str], ...] | None = None) -> None:
    from podpath.dataplane.netns import preflight

    problem = preflight(cmd) if tools is None else preflight(cmd, tools)
    if problem is not None:
        click.echo(problem, err=True)
        sys.exit(2)


def _fail(exc: Exception) -> None:
    click.echo(f"podpath: error: {terminal_safe(str(exc))}", err=True)
    sys.exit(2)


WAIT_OPTION = click.option(
    "--wait", is_flag=True, help="Wait for another podpath command holding the state folder."
)


def _state_path() -> Path:
    from podpath.dataplane.lifecycle import STATE_DIR

    return STATE_DIR


def _load_recorded(opts: dict[str, Any]) -> tuple[Any, Any]:
    """The input as ``up`` records it (JSON data) and the model rebuilt from that record: the
    very model ``probe`` and the agent rebuild later."""
    from podpath.api import load_raw
    from podpath.dataplane.recorded import rebuild, record_input

    inputs = validate_inputs(opts, command="up")
    for warning in inputs.warnings:
        click.echo(f"podpath: warning: {warning}", err=True)
    notes: list[Any] = []
    with progress("loading") as status:
        docs = load_raw(
            inputs.files,
            kubeconfig=inputs.kubeconfig,
            context=inputs.context,
            on_progress=status.update,
            notes=notes,
            live=inputs.live,
            timeout=inputs.timeout,
        )
        record = record_input(docs, inputs.settings, inputs.nodes, inputs.max_pods)
        cluster = rebuild(record)
    if notes:
        cluster = replace(cluster, notes=(*notes, *cluster.notes))
    report_notes(cluster, verbose=inputs.verbose, strict=inputs.strict)
    return record, cluster


@command()
@input_options
@provider_options
@WAIT_OPTION
def up(wait: bool, provider: str | None, provider_params: tuple[str, ...], **kwargs: Any) -> None:
    """It makes a network namespace per node and pod, Services in nftables,
    NetworkPolicies enforced (ingress and egress), cluster DNS, an Ingress/Gateway proxy in the
    controller pods and an `internet` client. With a provider profile its load balancers
    stand in front (pod-direct targets, the source they hand on, scheme, source ranges).
    It replaces an existing environment."""
    _require("up")
    from podpath.dataplane.lifecycle import up as do_up
    from podpath.dataplane.netns import DataplaneError
    from podpath.dataplane.statedir import locked

    record, cluster = _load_recorded(split_inputs(kwargs))
    choice = choice_from(cluster, provider, provider_params)
    with locked(_state_path(), create=True, wait=wait) as sd, progress("podpath up") as status:
        assert sd is not None
        try:
            state = do_up(cluster, record, sd, progress=status.update, provider=choice)
        except DataplaneError as exc:
            _fail(exc)
    for note in state["skipped"]:
        click.echo(f"podpath: skipped: {terminal_safe(str(note))}", err=True)
    prov = state.get("provider")
    if prov:
        clients = ", ".join(c[0] for c in prov["clients"])
        emit(
            f"up: {prov['name']} load balancers: {len(prov['frontends'])} frontends; "
            f"clients {clients} (podpath exec CLIENT -- CMD)"
        )
    both = " (IPv4 and IPv6)" if "ipv6" in state.get("families", ()) else ""
    emit(
        f"up: {len(state['pods'])} pods on {len(state['nodes'])} nodes{both}; "
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
@WAIT_OPTION
@no_color_option
def probe(
    fmt: str, timeout: float, concurrency: int, no_services: bool, wait: bool, no_color: bool
) -> None:
    """It opens real connections from every pod to every pod on every declared
    port, to every Service by DNS name and to the internet, and from the internet to every
    exposed address and route, and compares each with the model. Exit 1 on any disagreement."""
    _require("probe", (("ip", "iproute2"),))
    from podpath.dataplane.lifecycle import load_model, load_state
    from podpath.dataplane.probe import render_table, run_probe
    from podpath.dataplane.statedir import locked

    with locked(_state_path(), create=False, wait=wait) as sd:
        state = load_state(sd) if sd is not None else None
        if sd is None or state is None or not state.get("agent_pid"):
            _fail(RuntimeError(MSG_NOT_UP))
            return
        cluster = load_model(sd)
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
@WAIT_OPTION
def exec_(target: str, command: tuple[str, ...], wait: bool) -> None:
    """TARGET is NS/POD, a node, `internet`, or with a provider `edge` or a client's
    address; COMMAND runs in its network namespace with
    the pod's resolv.conf."""
    _require("exec", (("ip", "iproute2"),))
    from podpath.dataplane.lifecycle import load_state
    from podpath.dataplane.statedir import locked

    with locked(_state_path(), create=False, wait=wait) as sd:  # released at the exec
        state = load_state(sd) if sd is not None else None
    if state is None:
        _fail(RuntimeError(MSG_NOT_UP))
        return
    netns = None
    prov = state.get("provider") or {}
    clients = {c[0]: c[1] for c in prov.get("clients", [])} | (
        {"edge": prov["edge"]} if prov.get("edge") else {}
    )
    if target == "internet":
        netns = state["internet"]["netns"]
    elif target in clients:
        netns = clients[target]
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
@WAIT_OPTION
def down(wait: bool) -> None:
    """It removes everything `podpath up` made, also after a killed run."""
    _require("down", (("ip", "iproute2"),))
    from podpath.dataplane.lifecycle import down as do_down
    from podpath.dataplane.statedir import locked

    with locked(_state_path(), create=True, wait=wait) as sd:
        assert sd is not None
        removed = do_down(sd)
    emit(f"down: removed {len(removed)} namespaces")
