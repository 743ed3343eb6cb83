"""``podpath pods`` and ``podpath services``."""

from __future__ import annotations

from typing import Any

from podpath.analyze.inventory import pods_listing, services_listing
from podpath.cluster import Cluster
from podpath.commands.common import emit, with_inputs
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.scope import Scope
from podpath.render.table import join, render_table

FORMATS = ("table", "json", "name")


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
    columns = ["POD", "IPS", "NODE", "READY", "LABELS", "OWNER"]
    return render_table(None, columns, rows, optional=("LABELS", "OWNER", "NODE")) + note


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
    columns = ["SERVICE", "TYPE", "CLUSTER-IP", "PORTS", "LOAD-BALANCER", "READY", "DNS"]
    return render_table(None, columns, rows, optional=("DNS", "LOAD-BALANCER", "READY"))


def pods_in_scope(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The listing's pods in the namespaces of ``-n`` and selected by ``-l``."""
    kept = [p for p in data["pods"] if scope.keeps(p["pod"].split("/")[0], p["labels"])]
    return {**data, "pods": kept}


def services_in_scope(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    kept = [s for s in data["services"] if scope.keeps_name(s["service"])]
    return {**data, "services": kept}


def _names(data: dict[str, Any]) -> str:
    """``-o name``: one name a line, as the other commands take it (NS/POD, svc:NS/NAME)."""
    names = [p["pod"] for p in data.get("pods", [])]
    names += [f"svc:{s['service']}" for s in data.get("services", [])]
    return "".join(f"{n}\n" for n in names)


@command()
@output_option(FORMATS)
@with_inputs
def pods(cluster: Cluster, fmt: str, scope: Scope) -> None:
    """For each pod: its IPs, node, readiness, labels and owner workload."""
    data = pods_in_scope(pods_listing(cluster), scope)
    emit(render_as(fmt, data, table=_pods_table, name=_names))


@command()
@output_option(FORMATS)
@with_inputs
def services(cluster: Cluster, fmt: str, scope: Scope) -> None:
    """For each Service: its type, ClusterIP, ports and target ports, node ports,
    load-balancer address, ready endpoints and DNS name."""
    data = services_in_scope(services_listing(cluster), scope)
    emit(render_as(fmt, data, table=_services_table, name=_names))
