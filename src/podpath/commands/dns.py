"""``podpath dns NAME [--type A|AAAA|SRV|CNAME|PTR|TXT] [--from NS/POD]`` and
``podpath dns --list`` (every record of the zone)."""

from __future__ import annotations

from typing import Any

import click

from podpath.analyze.dns import dns_answer, dns_listing
from podpath.cluster import Cluster
from podpath.commands.common import emit, to_json, with_inputs
from podpath.engine.dns import RECORD_TYPES
from podpath.errors import InputError
from podpath.render.table import join, render_table

FORMATS = ("table", "json")


def answer_table(data: dict[str, Any]) -> str:
    """The answer as a header, the names asked, and the records."""
    rc = data["resolv_conf"]
    origin = data["from"] or "a ClusterFirst pod in namespace default"
    lines = [
        f"{data['query']} {data['type']} from {origin}: {data['rcode']}"
        + (f" (forwarded upstream: {data['upstream_name']})" if data["upstream"] else ""),
        f"resolv.conf: nameserver {join(rc['nameservers'], ' ')}; search {join(rc['search'], ' ')};"
        f" options {join(rc['options'], ' ')} (dnsPolicy {rc['policy']})",
        "tried: " + join(data["tried"], " -> "),
    ]
    lines += [f"note: {n}" for n in data["notes"]]
    text = "\n".join(lines) + "\n"
    if data["answers"]:
        rows = [[a["name"], a["type"], a["data"], join(a["objects"])] for a in data["answers"]]
        text += render_table(None, ["NAME", "TYPE", "DATA", "FROM"], rows)
    return text


def listing_table(data: dict[str, Any]) -> str:
    rows = [[r["name"], r["type"], r["data"], r["rule"]] for r in data["records"]]
    return render_table(f"zone {data['zone']}", ["NAME", "TYPE", "DATA", "RULE"], rows)


@click.command()
@click.argument("name", required=False)
@click.option(
    "--type",
    "qtype",
    type=click.Choice(RECORD_TYPES, case_sensitive=False),
    default=None,
    help="Record type (default A; PTR when NAME is an IP address).",
)
@click.option(
    "--from",
    "source",
    metavar="NS/POD",
    default=None,
    help="Resolve from this pod's resolv.conf (default: a pod in namespace default).",
)
@click.option("--list", "listing", is_flag=True, help="List every record of the cluster zone.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@with_inputs
def dns(
    cluster: Cluster,
    name: str | None,
    qtype: str | None,
    source: str | None,
    listing: bool,
    fmt: str,
) -> None:
    """What NAME resolves to, as a resolver inside a pod would do it (search list, ndots)."""
    if listing:
        data = dns_listing(cluster)
        emit(to_json(data) if fmt == "json" else listing_table(data))
        return
    if not name:
        raise InputError("dns: give a NAME (or --list)")
    answer = dns_answer(cluster, name, qtype, source)
    emit(to_json(answer) if fmt == "json" else answer_table(answer))
