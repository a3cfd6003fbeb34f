"""The release DAG as plain text, for terminals, code review and CI logs.

Steps are grouped by stage (everything in one stage may run at once), each
with its marker and what it needs, so a reviewer reads the release top to
bottom the way it will run. ASCII only: CI logs and Windows consoles vary.
"""

from __future__ import annotations

from collections.abc import Sequence

from appdeploy.cli.graph_model import GraphNode, ReleaseGraph

FINALLY_TITLE = "finally (after the steps, whatever the outcome)"
# Markers longer than this (gates with many approvers) push their "needs"
# further right instead of pushing every row's.
MARKER_COLUMN_MAX = 36


def render_text(graph: ReleaseGraph) -> str:
    """Stages of steps, then the finally steps; columns aligned across both."""
    everything = [*graph.steps, *graph.finally_]
    name_width = max(len(node.name) for node in everything)
    marker_width = min(max(len(node.marker) for node in everything) + 2, MARKER_COLUMN_MAX)
    lines = [f"{graph.name}: {graph.app} {graph.version}", ""]
    lines += _stages(graph.steps, name_width, marker_width)
    if graph.finally_:
        lines += ["", FINALLY_TITLE]
        lines += [_row(node, name_width, marker_width) for node in graph.finally_]
    return "\n".join(lines) + "\n"


def _stages(nodes: Sequence[GraphNode], name_width: int, marker_width: int) -> list[str]:
    lines: list[str] = []
    stage = 0
    for node in nodes:
        if node.stage != stage:
            stage = node.stage
            lines.append(f"stage {stage}")
        lines.append(_row(node, name_width, marker_width))
    return lines


def _row(node: GraphNode, name_width: int, marker_width: int) -> str:
    needs = f"  needs {', '.join(node.needs)}" if node.needs else ""
    row = f"  {node.name:<{name_width}}  {f'[{node.marker}]':<{marker_width}}{needs}"
    return row.rstrip()
