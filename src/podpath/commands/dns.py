"""``podpath dns NAME [--type A|AAAA|SRV|CNAME|PTR|TXT] [--from NS/POD]`` and
``podpath dns --list`` (every record of the zone)."""

from __future__ import annotations

from typing import Any

import click

from podpath.analyze.dns import dns_answer, dns_listing
from podpath.cluster import Cluster
from podpath.commands.common import emit, with_inputs
from podpath.commands.completion import complete_pods
from podpath.commands.help import command
from podpath.commands.output import output_option, render_as
from podpath.commands.scope import Scope
from podpath.commands.suggest import check_pod
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


@command()
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
    shell_complete=complete_pods,
    default=None,
    help="Resolve from this pod's resolv.conf (default: a pod in namespace default).",
)
@click.option("--list", "listing", is_flag=True, help="List every record of the cluster zone.")
@output_option(FORMATS)
@with_inputs
def dns(
    cluster: Cluster,
    name: str | None,
    qtype: str | None,
    source: str | None,
    listing: bool,
    fmt: str,
    scope: Scope,
) -> None:
    """NAME is resolved with the search list and ndots of a pod's resolv.conf, as
    the resolver inside that pod would; --list prints every record of the cluster zone."""
    if listing:
        data = dns_listing(cluster)
        if scope.namespaces:
            data = {**data, "records": [r for r in data["records"] if _in_scope(r, scope)]}
        emit(render_as(fmt, data, table=listing_table))
        return
    if not name:
        raise InputError("dns: give a NAME (or --list)")
    if source:
        source = scope.qualify(source)
        check_pod(cluster, source, "--from")
    answer = dns_answer(cluster, name, qtype, source)
    emit(render_as(fmt, answer, table=answer_table))


def _in_scope(record: dict[str, Any], scope: Scope) -> bool:
    """A zone record kept by ``-n``: one of the objects it comes from is in those namespaces."""
    return any(scope.keeps_name(o) for o in record.get("objects") or ())
