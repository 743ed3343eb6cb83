"""``--help`` that helps: each command's own options and real examples first, the shared
options once, grouped ("Select", "Input"), and the installed docs page to read next.

Kept light (no cluster, no parser): the top-level ``podpath --help`` reads ``SUMMARIES``
without importing any command. Every example runs on this repository's examples/
(tests/test_cli_help.py runs them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import click

INPUT_KEYS = (
    "files",
    "kubeconfig",
    "context",
    "timeout",
    "pod_cidr",
    "service_cidr",
    "cluster_domain",
    "lb_pool",
    "nodes",
    "max_pods",
    "verbose",
    "strict",
    "no_color",
)
SCOPE_KEYS = ("namespaces", "all_namespaces", "selector")

SUMMARIES: dict[str, str] = {
    "check": "Check intended connectivity against an expectations file.",
    "completion": "Print the shell completion script for bash, zsh or fish.",
    "convert": "Write the Gateway API objects that do what the Ingresses do.",
    "diff": "Show what a change opens or closes, layer by layer.",
    "dns": "Resolve a name as a resolver inside a pod would.",
    "docs": "Show a documentation page, installed with podpath.",
    "doctor": "Find why traffic fails, most likely cause first.",
    "down": "Remove the network that podpath up made.",
    "exec": "Run a command in a pod's network namespace (after up).",
    "explain": "Explain which policies select a pod and who may reach it.",
    "graph": "Draw the allowed connectivity as a graph.",
    "matrix": "Show who may open a connection to whom, by policy.",
    "migrate": "Compare how two configurations answer the same requests.",
    "pods": "List the pods with their IPs, node, readiness and owner.",
    "probe": "Probe the network that up made and compare it with the model.",
    "report": "Show the whole network on one page.",
    "route": "Show where an HTTP request from outside the cluster goes.",
    "routes": "List the routing table of every Ingress and Gateway.",
    "services": "List the Services with their addresses, ports and endpoints.",
    "snapshot": "Save what was read as one YAML file that -f reads back.",
    "trace": "Trace one connection hop by hop, with each verdict and why.",
    "up": "Bring the modelled network up on this machine (root, Linux).",
}

SHOP = "-f examples/shop"
MIGRATION = "examples/ingress-nginx-migration"
EXAMPLES: dict[str, tuple[str, ...]] = {
    "check": (
        f"podpath check examples/expectations/shop.yaml {SHOP}",
        f"podpath check examples/expectations/shop.yaml {SHOP} -o json",
    ),
    "completion": (
        "podpath completion bash > ~/.local/share/bash-completion/completions/podpath",
        "podpath completion zsh > ~/.zfunc/_podpath",
        "podpath completion fish > ~/.config/fish/completions/podpath.fish",
    ),
    "diff": (
        "podpath diff tests/data/diff/old tests/data/diff/new",
        "podpath diff tests/data/diff/old tests/data/diff/new -n ops -o md",
        "podpath diff --live examples/shop --fail-on added-exposure",
    ),
    "dns": (
        f"podpath dns catalog.shop {SHOP}",
        f"podpath dns catalog --from shop/frontend {SHOP}",
        f"podpath dns --list -n payments {SHOP}",
    ),
    "convert": (
        f"podpath convert -f {MIGRATION}/before",
        f"podpath convert -f {MIGRATION}/before --gateway gateway-system/public > gw.yaml",
    ),
    "docs": ("podpath docs", "podpath docs policy"),
    "doctor": (
        f"podpath doctor {SHOP}",
        f"podpath doctor {SHOP} -n payments -o wide",
        f"podpath doctor {SHOP} --from shop/checkout --to svc:payments/payments --fix",
    ),
    "down": ("sudo podpath down",),
    "exec": ("sudo podpath exec shop/frontend -- curl -s catalog.shop",),
    "explain": (
        f"podpath explain shop/frontend {SHOP}",
        f"podpath explain frontend -n shop {SHOP} -o yaml",
    ),
    "graph": (
        f"podpath graph {SHOP} | dot -Tsvg > graph.svg",
        f"podpath graph {SHOP} -o mermaid",
        f"podpath graph {SHOP} -o html --output-file graph.html",
    ),
    "matrix": (
        f"podpath matrix {SHOP} -n data --port 5432",
        f"podpath matrix {SHOP} --by workload -l app=postgres",
        f"podpath matrix {SHOP} -o csv",
    ),
    "migrate": (
        f"podpath migrate {MIGRATION}/before {MIGRATION}/converted.yaml",
        f"podpath migrate {MIGRATION}/before {MIGRATION}/converted.yaml -o md",
    ),
    "pods": (
        f"podpath pods {SHOP} -n shop",
        f"podpath pods {SHOP} -l app=postgres -o wide",
        f"podpath pods {SHOP} -o name",
    ),
    "probe": ("sudo podpath probe", "sudo podpath probe -o json --no-services"),
    "report": (f"podpath report {SHOP}", f"podpath report {SHOP} --html report.html"),
    "route": (
        f"podpath route http://shop.example.com/ {SHOP}",
        f"podpath route https://shop.example.com/api/cart --method POST {SHOP}",
    ),
    "routes": (f"podpath routes {SHOP}", f"podpath routes {SHOP} -n monitoring -o md"),
    "services": (
        f"podpath services {SHOP}",
        f"podpath services {SHOP} -n shop -o wide",
        "podpath services --context kind-dev",
    ),
    "snapshot": (
        "podpath snapshot --context kind-dev --output-file cluster.yaml",
        f"podpath snapshot {SHOP} > snapshot.yaml",
    ),
    "trace": (
        f"podpath trace --from shop/frontend --to svc:shop/catalog {SHOP}",
        f"podpath trace --from frontend -n shop --to catalog.shop --port 80 {SHOP}",
        f"podpath trace --from internet --to https://shop.example.com/ {SHOP}",
    ),
    "up": ("sudo podpath up -f examples/shop",),
}

DOCS: dict[str, str] = {
    "check": "policy",
    "convert": "migrate",
    "migrate": "migrate",
    "diff": "ci",
    "dns": "dns",
    "doctor": "doctor",
    "down": "dataplane",
    "exec": "dataplane",
    "explain": "policy",
    "graph": "outputs",
    "matrix": "policy",
    "pods": "loading",
    "probe": "dataplane",
    "report": "outputs",
    "route": "routing",
    "routes": "routing",
    "services": "loading",
    "snapshot": "live",
    "trace": "trace",
    "up": "dataplane",
}


class Command(click.Command):
    """A command whose ``--help`` shows, in order: usage, description, examples, its own
    options, then the shared "Select" and "Input" options, then the docs page."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        summary = SUMMARIES.get(self.name or "")
        if summary:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(summary)
        self.format_help_text(ctx, formatter)
        examples = EXAMPLES.get(self.name or "", ())
        if examples:
            with formatter.section("Examples"):
                for line in examples:
                    formatter.write_text(line)
        self.format_options(ctx, formatter)
        topic = DOCS.get(self.name or "")
        if topic:
            formatter.write_paragraph()
            formatter.write_text(f"More: podpath docs {topic}")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        groups: dict[str, list[tuple[str, str]]] = {"Options": [], "Select": [], "Input": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            name = param.name or ""
            group = "Input" if name in INPUT_KEYS else "Select" if name in SCOPE_KEYS else "Options"
            groups[group].append(record)
        for title, records in groups.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def command(**settings: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """``@click.command`` with podpath's help layout (:class:`Command`)."""
    return functools.partial(click.command, cls=Command, **settings)()


def example_commands(names: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(command, example) for every example (of ``names``), as written in ``--help``."""
    return [(n, e) for n in sorted(names or EXAMPLES) for e in EXAMPLES.get(n, ())]
