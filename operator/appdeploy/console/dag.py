"""The release's DAG as SVG (pure), steps coloured by phase, each linking to its details.

A layered drawing: a step's column is the length of the longest chain of
needs before it, so every edge points right; finally steps sit in a column of
their own after the DAG. Every text is escaped (release fields are written by
whoever may edit a release) and nothing carries a ``style`` attribute: colours
come from classes in the console's stylesheet, which the page's CSP allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from appdeploy.console.steps_view import StepView

NODE_WIDTH, NODE_HEIGHT = 200, 54
COLUMN_GAP, ROW_GAP, MARGIN = 64, 18, 12
NAME_LIMIT, DETAIL_LIMIT = 24, 32


def columns_of(steps: Sequence[StepView]) -> dict[str, int]:
    """Each step's column: 0 without needs, else one more than its deepest need."""
    by_name = {step.name: step for step in steps if not step.is_finally}
    column: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str] = frozenset()) -> int:
        if name in column:
            return column[name]
        needs = [n for n in by_name[name].needs if n in by_name and n not in seen]
        column[name] = 1 + max((depth(n, seen | {name}) for n in needs), default=-1)
        return column[name]

    for name in by_name:
        depth(name)
    last = max(column.values(), default=-1)
    for step in steps:
        if step.is_finally:
            column[step.name] = last + 1
    return column


def render_dag(steps: Sequence[StepView], link: Callable[[StepView], str]) -> Markup:
    """The SVG of ``steps``; ``link(step)`` is where clicking a node leads."""
    column = columns_of(steps)
    rows: dict[int, int] = {}
    place: dict[str, tuple[int, int]] = {}
    for step in steps:
        col = column[step.name]
        row = rows.get(col, 0)
        rows[col] = row + 1
        place[step.name] = (
            MARGIN + col * (NODE_WIDTH + COLUMN_GAP),
            MARGIN + row * (NODE_HEIGHT + ROW_GAP),
        )
    width = MARGIN * 2 + (max(column.values(), default=0) + 1) * (NODE_WIDTH + COLUMN_GAP)
    height = MARGIN * 2 + max(rows.values(), default=1) * (NODE_HEIGHT + ROW_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dag" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="release steps">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'class="arrowhead"/></marker></defs>',
    ]
    parts += _edges(steps, place)
    parts += [_node(step, place[step.name], link(step)) for step in steps]
    parts.append("</svg>")
    return Markup("".join(parts))


def _edges(steps: Sequence[StepView], place: dict[str, tuple[int, int]]) -> list[str]:
    edges = []
    for step in steps:
        x2, y2 = place[step.name]
        y2 += NODE_HEIGHT // 2
        for need in step.needs:
            if need not in place:
                continue
            x1, y1 = place[need]
            x1, y1 = x1 + NODE_WIDTH, y1 + NODE_HEIGHT // 2
            bend = (x2 - x1) // 2
            edges.append(
                f'<path class="edge" d="M {x1} {y1} C {x1 + bend} {y1}, {x2 - bend} {y2}, '
                f'{x2} {y2}" marker-end="url(#arrow)"/>'
            )
    return edges


def _node(step: StepView, at: tuple[int, int], href: str) -> str:
    x, y = at
    classes = f"node phase-{step.phase} type-{step.type}" + (" finally" if step.is_finally else "")
    title = escape(f"{step.name}: {step.phase}" + (f" — {step.message}" if step.message else ""))
    return (
        f'<a href="{escape(href)}" class="node-link" data-step="{escape(step.name)}">'
        f'<g class="{escape(classes)}" data-phase="{escape(step.phase)}">'
        f"<title>{title}</title>"
        f'<rect x="{x}" y="{y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="8"/>'
        f'<text x="{x + 12}" y="{y + 21}" class="name">{escape(_short(step.name, NAME_LIMIT))}'
        "</text>"
        f'<text x="{x + 12}" y="{y + 40}" class="detail">'
        f"{escape(_short(_subline(step), DETAIL_LIMIT))}</text>"
        "</g></a>"
    )


def _subline(step: StepView) -> str:
    # The type shows in the node's outline (class type-gate, type-wait); the line is for state.
    return step.phase + (f" · {step.detail}" if step.detail else "")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
