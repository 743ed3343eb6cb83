"""The connectivity graph as Graphviz DOT: namespaces as clusters, entry points marked.

Deterministic: nodes and edges in the graph's (sorted) order. Solid edges are allowed
connections labelled with their ports (their tooltips name the policies); dashed edges from
``internet`` are entry points (LoadBalancer, NodePort, Ingress, Gateway), which say how
traffic enters, not that policy allows it.

Written for the Graphviz people have, back to 2.43 (Debian 12, Ubuntu 22.04): its old
ranking fails on edges between clusters ("trouble in init_rank", exit 1, a cut-off SVG), so
the graph asks for ``newrank=true``; every id and label is a double-quoted string (no HTML
labels), cluster names are ``cluster_<n>``.
"""

from __future__ import annotations

from podpath.analyze.graph import Graph, GraphNode

MAX_TOOLTIP = 800


_CONTROL = {c: " " for c in range(32) if c != 10} | {127: " "}


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``, other
    control characters as spaces, and ``&`` as ``&amp;`` (Graphviz decodes HTML entities in
    every label, so a literal ``&lt;`` would otherwise print as ``<``)."""
    text = text.translate(_CONTROL).replace("&", "&amp;")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def entry_kinds(node: GraphNode) -> list[str]:
    """The kinds of entry points (``LoadBalancer``, ``NodePort``, ``Ingress`` ...) of a node."""
    kinds: list[str] = []
    for mark in node.entry:
        kind = mark.split(" ", 1)[0]
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _node_line(node: GraphNode, indent: str) -> str:
    attrs = [f"label={quote(node.label)}"]
    if node.kind == "internet":
        attrs += ["shape=ellipse", 'fillcolor="#fde2e2"']
    elif node.kind == "cidr":
        attrs += ["shape=ellipse", 'fillcolor="#eeeeee"']
    if node.entry:
        attrs += ["peripheries=2", 'fillcolor="#fff3cd"']
        attrs.append(f"tooltip={quote(chr(10).join(node.entry)[:MAX_TOOLTIP])}")
    return f"{indent}{quote(node.id)} [{', '.join(attrs)}];\n"


def render_dot(graph: Graph) -> str:
    out = [
        "digraph podpath {\n",
        '  graph [rankdir=LR, newrank=true, fontname="Helvetica", fontsize=11];\n',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica",'
        " fontsize=10];\n",
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];\n',
    ]
    for i, group in enumerate(graph.groups):
        out.append(f"  subgraph cluster_{i} {{\n")
        out.append(f"    label={quote('namespace ' + group)};\n")
        out.append('    style="rounded"; color="#8aa4c8";\n')
        out.extend(_node_line(n, "    ") for n in graph.nodes if n.group == group)
        out.append("  }\n")
    out.extend(_node_line(n, "  ") for n in graph.nodes if n.group is None)
    for node in graph.nodes:
        if node.entry:
            out.append(
                f'  "internet" -> {quote(node.id)} [style=dashed, color="#d97706",'
                f" label={quote(', '.join(entry_kinds(node)))}];\n"
            )
    for edge in graph.edges:
        ports = quote(", ".join(edge.ports))
        why = "\n".join(f"{port}: {', '.join(refs)}" for port, refs in edge.reasons)
        out.append(
            f"  {quote(edge.source)} -> {quote(edge.target)}"
            f" [label={ports}, tooltip={quote(why[:MAX_TOOLTIP])}];\n"
        )
    out.append("}\n")
    return "".join(out)
