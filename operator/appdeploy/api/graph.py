"""The release DAG: order, cycles, ancestors and descendants of steps.

Pure functions over ``{step: needs}`` maps, shared by validation (which must
name a cycle) and by the planner (which must know what a retry re-runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def find_cycle(needs: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle as a closed path (``[build, sign, build]``), or None if the graph is a DAG.

    Unknown names in ``needs`` are ignored; they are reported elsewhere.
    """
    visiting: list[str] = []
    state: dict[str, str] = {}

    def visit(node: str) -> list[str] | None:
        state[node] = "visiting"
        visiting.append(node)
        for parent in needs.get(node, ()):
            if parent not in needs:
                continue
            if state.get(parent) == "visiting":
                return [*visiting[visiting.index(parent) :], parent]
            if parent not in state and (cycle := visit(parent)) is not None:
                return cycle
        visiting.pop()
        state[node] = "done"
        return None

    for node in needs:
        if node not in state and (cycle := visit(node)) is not None:
            # Show the path in the direction work flows: need -> dependent.
            return list(reversed(cycle))
    return None


def ancestors(needs: Mapping[str, Sequence[str]], node: str) -> set[str]:
    """Every step that must succeed before ``node`` can start (transitively)."""
    seen: set[str] = set()
    stack = list(needs.get(node, ()))
    while stack:
        parent = stack.pop()
        if parent in seen or parent not in needs:
            continue
        seen.add(parent)
        stack.extend(needs[parent])
    return seen


def descendants(needs: Mapping[str, Sequence[str]], nodes: Iterable[str]) -> set[str]:
    """Every step downstream of any of ``nodes`` (not including them)."""
    children: dict[str, list[str]] = {name: [] for name in needs}
    for child, parents in needs.items():
        for parent in parents:
            children.setdefault(parent, []).append(child)
    seen: set[str] = set()
    stack = [child for node in nodes for child in children.get(node, [])]
    while stack:
        child = stack.pop()
        if child not in seen:
            seen.add(child)
            stack.extend(children.get(child, []))
    return seen
