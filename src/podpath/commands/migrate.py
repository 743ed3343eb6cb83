"""``podpath migrate OLD NEW [--fail-on difference|never] [--format table|json|md]``: the
requests whose answer changes between two configurations, and whether the new entry point's
pods are admitted by the backends' NetworkPolicies as the old one's were
(:mod:`podpath.analyze.migrate`).

OLD and NEW are paths as ``diff`` takes them. When NEW holds only routing objects (what
``convert`` prints: Gateways, routes, ReferenceGrants), every other object is taken from OLD
(Services, pods, policies, Secrets, classes) and listed under ``taken_from_old``; a Gateway
whose pods are in neither side gets a Deployment labelled
``gateway.networking.k8s.io/gateway-name`` in its namespace (as provisioning implementations
create one), listed under ``assumed``. Exit 1 when requests differ (``--fail-on difference``,
the default), else 0; 2 on bad input.
"""

from __future__ import annotations

from typing import Any

import click

from podpath.analyze.migrate import migrate as compare
from podpath.cluster import Cluster, resolve
from podpath.commands.common import cluster_options, emit, progress, report_notes
from podpath.commands.help import command
from podpath.commands.output import no_color_option, output_option, render_as
from podpath.engine.entrypoints import entry_points
from podpath.errors import InputError
from podpath.model.core import SourceRef
from podpath.normalize import normalize
from podpath.render.table import render_table
from podpath.sources.manifests import RawDoc, load_paths

ROUTE_OBJECTS = frozenset(
    {
        "Ingress",
        "Gateway",
        "HTTPRoute",
        "GRPCRoute",
        "TLSRoute",
        "TCPRoute",
        "UDPRoute",
        "ReferenceGrant",
    }
)
ROUTING_ONLY = ROUTE_OBJECTS | {"GatewayClass", "IngressClass", "Secret", "Namespace"}
CLUSTER_SCOPED = frozenset({"Namespace", "IngressClass", "GatewayClass", "Node"})
FORMATS = ("table", "json", "md")


def identity(doc: RawDoc) -> tuple[str, str, str]:
    kind = str(doc.data.get("kind", ""))
    meta = doc.data.get("metadata") or {}
    ns = "" if kind in CLUSTER_SCOPED else str(meta.get("namespace") or "default")
    return kind, ns, str(meta.get("name", ""))


def fill_from_old(old: list[RawDoc], new: list[RawDoc]) -> tuple[list[RawDoc], list[str]]:
    """NEW, completed with OLD's non-route objects when NEW holds only routing objects."""
    if any(str(d.data.get("kind")) not in ROUTING_ONLY for d in new):
        return new, []
    have = {identity(d) for d in new}
    taken = [
        d for d in old if str(d.data.get("kind")) not in ROUTE_OBJECTS and identity(d) not in have
    ]
    names = [f"{k}/{ns + '/' if ns else ''}{n}" for k, ns, n in (identity(d) for d in taken)]
    return [*new, *taken], names


def gateway_pods(cluster: Cluster) -> tuple[list[RawDoc], list[str]]:
    """A Deployment for every Gateway without pods (module docstring)."""
    docs: list[RawDoc] = []
    assumed: list[str] = []
    for ep in entry_points(cluster):
        if ep.kind != "Gateway" or ep.pods:
            continue
        ns, _, name = ep.name.partition("/")
        labels = {"gateway.networking.k8s.io/gateway-name": name}
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"namespace": ns, "name": f"{name}-gateway", "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "proxy", "image": "gateway-proxy"}]},
                },
            },
        }
        docs.append(RawDoc(deployment, SourceRef("(assumed by migrate)", len(docs))))
        assumed.append(
            f"Deployment/{ns}/{name}-gateway: the pods of Gateway {ep.name}, as a "
            "provisioning GatewayClass creates them"
        )
    return docs, assumed


def load_sides(
    old_path: str, new_path: str, opts: dict[str, Any]
) -> tuple[Cluster, Cluster, list[str], list[str]]:
    from podpath.commands.common import settings_from

    settings = settings_from(opts)
    with progress("loading OLD and NEW"):
        old_docs, new_docs = load_paths([old_path]), load_paths([new_path])
        old = resolve(normalize(old_docs, node_count=opts["nodes"]), settings)
        docs, taken = fill_from_old(old_docs, new_docs)
        new = resolve(normalize(docs, node_count=opts["nodes"]), settings)
        extra, assumed = gateway_pods(new)
        if extra:
            new = resolve(normalize([*docs, *extra], node_count=opts["nodes"]), settings)
    for cluster in (old, new):
        report_notes(cluster, verbose=opts["verbose"], strict=opts["strict"])
    return old, new, taken, assumed


def _answer_text(a: dict[str, Any]) -> str:
    backend = a["backend"]
    target = (
        f"{backend.get('service') or backend.get('resource')}:{backend.get('port', '')}"
        if backend
        else "-"
    )
    extra = a["location"] or (a["path"] if a["path"] else "")
    return f"{a['entry_point'] or '(none)'} {a['status']} {target} {extra}".rstrip()


def _request_text(r: dict[str, Any]) -> str:
    parts = [r["method"], r["url"]]
    parts += [f"{k}: {v}" for k, v in r["headers"].items()]
    parts += [f"cookie {k}={v}" for k, v in r["cookies"].items()]
    if r["client_ip"]:
        parts.append(f"from {r['client_ip']}")
    return " ".join(parts)


def render_text(data: dict[str, Any], md: bool) -> str:
    head = (
        f"podpath migrate: {data['checked']} requests, {len(data['differences'])} differ "
        f"({', '.join(data['old_entry_points'])} -> {', '.join(data['new_entry_points'])})"
    )
    rows = [
        [
            _request_text(d["request"]),
            ", ".join(d["what"]),
            _answer_text(d["old"]),
            _answer_text(d["new"]),
        ]
        for d in data["differences"]
    ]
    cols = ["REQUEST", "DIFFERS IN", "OLD", "NEW"]
    policy = [
        [p["backend"], p["old_entry_pods"], p["new_entry_pods"], "; ".join(p["because"])]
        for p in data["policy"]
    ]
    pcols = ["BACKEND", "OLD ENTRY PODS", "NEW ENTRY PODS", "BECAUSE"]
    lines = [head, ""]
    for title, c, r in (
        ("Differences", cols, rows),
        ("NetworkPolicy admission of the entry points", pcols, policy),
    ):
        if md:
            lines += [f"### {title}", "", "| " + " | ".join(c) + " |", "|" + "---|" * len(c)]
            lines += [
                "| " + " | ".join(x.replace("|", "\\|") for x in row) + " |" for row in r
            ] or ["| (none) |"]
            lines.append("")
        else:
            lines += [f"== {title} ==", render_table(None, c, r) if r else "  (none)", ""]
    for what, items in (("taken from OLD", data["taken_from_old"]), ("assumed", data["assumed"])):
        if items:
            lines.append(f"{what}: {', '.join(items)}")
    return "\n".join(lines).rstrip() + "\n"


@command()
@click.argument("paths", nargs=2, metavar="OLD NEW")
@output_option(FORMATS)
@click.option(
    "--fail-on",
    type=click.Choice(("difference", "never")),
    default="difference",
    show_default=True,
    help="Exit 1 when some request is answered differently.",
)
@cluster_options
@no_color_option
def migrate(paths: tuple[str, str], fmt: str, fail_on: str, **opts: Any) -> None:
    """OLD and NEW are manifest paths: the requests answered differently in NEW (status,
    backend, path, redirect Location, TLS), and whether NetworkPolicies admit the new entry
    point's pods."""
    if len(paths) != 2:
        raise InputError("migrate takes OLD and NEW")
    old, new, taken, assumed = load_sides(paths[0], paths[1], opts)
    data = compare(old, new, tuple(taken))
    data["assumed"] = assumed
    emit(
        render_as(
            fmt,
            data,
            table=lambda d: render_text(d, False),
            others={"md": lambda d: render_text(d, True)},
        )
    )
    if fail_on == "difference" and data["differences"]:
        raise SystemExit(1)
