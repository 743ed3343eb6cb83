"""The connectivity graph as a Mermaid flowchart (renders in GitHub Markdown).

Node ids are ``n0``, ``n1``... in the graph's order (Mermaid ids cannot hold ``/``); labels
are quoted with ``#quot;`` for double quotes. Namespaces are subgraphs; entry points have a
thick amber border and a dashed edge from ``internet``.
"""

from __future__ import annotations

from podpath.analyze.graph import Graph
from podpath.render.dot import entry_kinds


def label(text: str) -> str:
    """A Mermaid quoted label (``"`` -> ``#quot;``, ``<``/``>`` as entities)."""
    escaped = text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return '"' + escaped.replace("\n", " ") + '"'


def _shape(kind: str, text: str) -> str:
    return f"(({label(text)}))" if kind in ("internet", "cidr") else f"[{label(text)}]"


def render_mermaid(graph: Graph) -> str:
    ids = {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}
    out = ["flowchart LR\n"]
    for i, group in enumerate(graph.groups):
        out.append(f"  subgraph ns{i}[{label('namespace ' + group)}]\n")
        out.extend(
            f"    {ids[n.id]}{_shape(n.kind, n.label)}\n" for n in graph.nodes if n.group == group
        )
        out.append("  end\n")
    out.extend(f"  {ids[n.id]}{_shape(n.kind, n.label)}\n" for n in graph.nodes if n.group is None)
    for node in graph.nodes:
        if node.entry:
            kinds = ", ".join(entry_kinds(node))
            out.append(f"  {ids['internet']} -. {label(kinds)} .-> {ids[node.id]}\n")
    for edge in graph.edges:
        out.append(f"  {ids[edge.source]} -->|{label(', '.join(edge.ports))}| {ids[edge.target]}\n")
    entries = [ids[n.id] for n in graph.nodes if n.entry]
    if entries:
        out.append("  classDef entry stroke:#d97706,stroke-width:3px\n")
        out.append(f"  class {','.join(entries)} entry\n")
    external = [ids[n.id] for n in graph.nodes if n.kind in ("internet", "cidr")]
    if external:
        out.append("  classDef external fill:#fde2e2\n")
        out.append(f"  class {','.join(external)} external\n")
    return "".join(out)
