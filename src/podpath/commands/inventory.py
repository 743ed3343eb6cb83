"""``podpath pods`` and ``podpath services``."""

from __future__ import annotations

from typing import Any

import click

from podpath.analyze.inventory import pods_listing, services_listing
from podpath.cluster import Cluster
from podpath.commands.common import emit, to_json, with_inputs
from podpath.render.table import join, render_table

FORMATS = ("table", "json")


def _pods_table(data: dict[str, Any]) -> str:
    rows = [
        [
            p["pod"],
            join(p["ips"]),
            p["node"] or "-",
            "yes*" if p["ready"] and p["ready_assumed"] else "yes" if p["ready"] else "no",
            join([f"{k}={v}" for k, v in p["labels"].items()], ","),
            p["owner"] or "-",
        ]
        for p in data["pods"]
    ]
    note = (
        "* no status: counted as ready\n"
        if any(p["ready"] and p["ready_assumed"] for p in data["pods"])
        else ""
    )
    return render_table(None, ["POD", "IPS", "NODE", "READY", "LABELS", "OWNER"], rows) + note


def _port_text(p: dict[str, Any]) -> str:
    text = f"{p['port']}/{p['protocol']}->{p['target_port']}"
    if p["node_port"]:
        text += f" (node {p['node_port']})"
    return text


def _ready_text(s: dict[str, Any]) -> str:
    ready = len(s["ready_endpoints"])
    return f"{ready}/{ready + len(s['not_ready_endpoints'])}"


def _services_table(data: dict[str, Any]) -> str:
    rows = []
    for s in data["services"]:
        cluster_ip = "None" if s["headless"] else join(s["cluster_ips"])
        if s["external_name"]:
            cluster_ip = f"-> {s['external_name']}"
        rows.append(
            [
                s["service"],
                s["type"] + (" (headless)" if s["headless"] else ""),
                cluster_ip,
                join([_port_text(p) for p in s["ports"]], "\n"),
                join(s["load_balancer"]),
                _ready_text(s),
                s["dns"],
            ]
        )
    return render_table(
        None, ["SERVICE", "TYPE", "CLUSTER-IP", "PORTS", "LOAD-BALANCER", "READY", "DNS"], rows
    )


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@with_inputs
def pods(cluster: Cluster, fmt: str) -> None:
    """Pods: IPs, node, readiness, labels and owner workload."""
    data = pods_listing(cluster)
    emit(to_json(data) if fmt == "json" else _pods_table(data))


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@with_inputs
def services(cluster: Cluster, fmt: str) -> None:
    """Services: type, ClusterIP, ports -> target ports, node ports, LB address, endpoints, DNS."""
    data = services_listing(cluster)
    emit(to_json(data) if fmt == "json" else _services_table(data))
