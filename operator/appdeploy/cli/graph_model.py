"""The release DAG as the ``graph`` command draws it: stages, markers and edges.

Built once from a validated spec and shared by the text, Mermaid and DOT
renderings, so the three never disagree on what a gate requires or which
steps can run in parallel. A step's *stage* is one more than the latest
stage among its needs: steps in the same stage may run at the same time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from appdeploy.api.durations import format_duration
from appdeploy.api.spec import AppDeploymentSpec, GateSpec, OnTimeout, Step, StepType

DAY_SECONDS = 86400


@dataclass(frozen=True)
class GraphNode:
    """One step, with what it is in a few words."""

    name: str
    type: StepType
    marker: str
    """``run``, ``gate: 2 of group qa, within 48h`` or ``wait 24h``."""
    needs: tuple[str, ...]
    stage: int


@dataclass(frozen=True)
class ReleaseGraph:
    """The steps and the finally steps of one release, in stage then declaration order."""

    name: str
    app: str
    version: str
    steps: tuple[GraphNode, ...]
    finally_: tuple[GraphNode, ...]

    def last_steps(self) -> list[GraphNode]:
        """The steps nothing needs: the DAG ends when they do, then finally steps start."""
        needed = {need for node in self.steps for need in node.needs}
        return [node for node in self.steps if node.name not in needed]

    def first_finally(self) -> list[GraphNode]:
        """Finally steps that need no other finally step: they start when the DAG ends."""
        return [node for node in self.finally_ if not node.needs]


def release_graph(name: str, spec: AppDeploymentSpec) -> ReleaseGraph:
    """The graph of a validated release (``needs`` known and acyclic)."""
    gate_timeout = spec.defaults.gate_timeout
    return ReleaseGraph(
        name=name,
        app=spec.app,
        version=spec.version,
        steps=_nodes(spec.steps, gate_timeout),
        finally_=_nodes(spec.finally_, gate_timeout),
    )


def _nodes(steps: Sequence[Step], gate_timeout: timedelta) -> tuple[GraphNode, ...]:
    needs = {step.name: step.needs for step in steps}
    stages: dict[str, int] = {}

    def stage(name: str) -> int:
        if name not in stages:
            stages[name] = 1 + max((stage(need) for need in needs[name]), default=0)
        return stages[name]

    nodes = [
        GraphNode(
            step.name, step.type, marker(step, gate_timeout), tuple(step.needs), stage(step.name)
        )
        for step in steps
    ]
    # sorted() is stable: within a stage, steps keep the order they are written in.
    return tuple(sorted(nodes, key=lambda node: node.stage))


def marker(step: Step, default_gate_timeout: timedelta) -> str:
    """What the step does, e.g. ``gate: 2 of group qa, within 48h``."""
    if step.gate is not None:
        timeout = default_gate_timeout if step.timeout is None else step.timeout
        return f"gate: {gate_requirement(step.gate)}, within {readable_duration(timeout)}" + (
            _gate_extras(step.gate)
        )
    if step.wait is not None:
        return f"wait {readable_duration(step.wait.duration)}"
    if step.check is not None:
        every = step.check.interval
        spread = f" every {readable_duration(every)}" if every and step.check.count > 1 else ""
        return f"check: {'/'.join(step.check.provider.kinds())}, {step.check.count}x{spread}"
    return "run"


def readable_duration(value: timedelta) -> str:
    """``48h`` rather than ``2d``: soaks and deadlines are thought of in hours below a week."""
    days, rest = divmod(int(value.total_seconds()), DAY_SECONDS)
    if days >= 7 and rest == 0:
        return f"{days}d"
    hours, rest = divmod(int(value.total_seconds()), 3600)
    if hours and rest == 0:
        return f"{hours}h"
    return (
        f"{hours}h{format_duration(timedelta(seconds=rest))}" if hours else format_duration(value)
    )


def gate_requirement(gate: GateSpec) -> str:
    """Who must approve: ``2 of group qa``, ``1 of alice, bob or groups qa, mobile-qa``."""
    groups = gate.approvers.groups
    who = list(gate.approvers.users)
    if groups:
        who.append(f"{'group' if len(groups) == 1 else 'groups'} {', '.join(groups)}")
    listed = who[0] if len(who) == 1 else f"{', '.join(who[:-1])} or {who[-1]}"
    return f"{gate.required} of {listed}"


def _gate_extras(gate: GateSpec) -> str:
    extras = ""
    if gate.distinct_from:
        extras += f", not by approvers of {', '.join(gate.distinct_from)}"
    if gate.on_timeout is OnTimeout.APPROVE:
        extras += ", approves itself at the deadline"
    return extras
