"""The release DAG as Mermaid (for Markdown, GitHub renders it) and Graphviz DOT.

Shapes carry the step type so the picture reads without a legend: run steps
are boxes, gates hexagons (a decision by people), waits rounded (time
passing). Finally steps sit in their own box, reached by dashed "always"
edges from the steps that end the DAG. Node order and edge order follow the
text rendering, so the output is deterministic and diffs stay small.
"""

from __future__ import annotations

from appdeploy.api.spec import StepType
from appdeploy.cli.graph_model import GraphNode, ReleaseGraph
from appdeploy.cli.graph_text import FINALLY_TITLE

_MERMAID_SHAPES = {
    StepType.RUN: ('["', '"]'),
    StepType.GATE: ('{{"', '"}}'),
    StepType.WAIT: ('("', '")'),
    StepType.CHECK: ('[/"', '"/]'),
}
_DOT_SHAPES = {
    StepType.RUN: "shape=box",
    StepType.GATE: "shape=hexagon",
    StepType.WAIT: 'shape=box, style="rounded"',
    StepType.CHECK: "shape=parallelogram",
}


def render_mermaid(graph: ReleaseGraph) -> str:
    """A ``flowchart TD`` with gates as hexagons and waits as rounded boxes."""
    lines = ["flowchart TD"]
    lines += [f"  {_mermaid_node(node)}" for node in graph.steps]
    lines += [f"  {_id(need)} --> {_id(node.name)}" for node in graph.steps for need in node.needs]
    if graph.finally_:
        lines.append(f'  subgraph finally ["{FINALLY_TITLE}"]')
        lines += [f"    {_mermaid_node(node)}" for node in graph.finally_]
        lines += [
            f"    {_id(need)} --> {_id(node.name)}"
            for node in graph.finally_
            for need in node.needs
        ]
        lines.append("  end")
        lines += [
            f"  {_id(last.name)} -.->|always| {_id(first.name)}"
            for last in graph.last_steps()
            for first in graph.first_finally()
        ]
    lines += [
        "  classDef gate fill:#fff4d6,stroke:#b7791f",
        "  classDef wait fill:#e6f0ff,stroke:#2b6cb0",
    ]
    for kind in (StepType.GATE, StepType.WAIT):
        names = [_id(node.name) for node in (*graph.steps, *graph.finally_) if node.type is kind]
        if names:
            lines.append(f"  class {','.join(names)} {kind}")
    return "\n".join(lines) + "\n"


def _mermaid_node(node: GraphNode) -> str:
    opening, closing = _MERMAID_SHAPES[node.type]
    label = node.name if node.type is StepType.RUN else f"{node.name}<br/>{node.marker}"
    return _id(node.name) + opening + label.replace('"', "#quot;") + closing


def _id(name: str) -> str:
    # Step names are DNS labels, so this is unique; the prefix keeps Mermaid
    # keywords such as "end" from being read as syntax.
    return "s_" + name.replace("-", "_")


def render_dot(graph: ReleaseGraph) -> str:
    """A Graphviz ``digraph``: ``appdeploy graph FILE --format dot | dot -Tsvg > release.svg``."""
    lines = [f"digraph {_quote(graph.name)} {{", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    lines += [f"  {_dot_node(node)}" for node in graph.steps]
    lines += [
        f"  {_quote(need)} -> {_quote(node.name)};" for node in graph.steps for need in node.needs
    ]
    if graph.finally_:
        lines += [
            "  subgraph cluster_finally {",
            f"    label={_quote(FINALLY_TITLE)};",
            "    style=dashed;",
        ]
        lines += [f"    {_dot_node(node)}" for node in graph.finally_]
        lines += [
            f"    {_quote(need)} -> {_quote(node.name)};"
            for node in graph.finally_
            for need in node.needs
        ]
        lines.append("  }")
        lines += [
            f'  {_quote(last.name)} -> {_quote(first.name)} [style=dashed, label="always"];'
            for last in graph.last_steps()
            for first in graph.first_finally()
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node(node: GraphNode) -> str:
    label = _escape(node.name)
    if node.type is not StepType.RUN:
        label += "\\n" + _escape(node.marker)  # DOT's own line break inside a label
    return f'{_quote(node.name)} [label="{label}", {_DOT_SHAPES[node.type]}];'


def _quote(text: str) -> str:
    return f'"{_escape(text)}"'


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
