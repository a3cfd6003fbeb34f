"""What the release and gate pages (and their live updates) are rendered from (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appdeploy.api.status import Phase, StepPhase
from appdeploy.api.stored import read_release
from appdeploy.console.dag import render_dag
from appdeploy.console.gate_view import gate_panel
from appdeploy.console.person import Person
from appdeploy.console.steps_view import StepView, step_views


class NotAGate(LookupError):
    """The URL names a step that is not a gate of this release."""


def release_context(
    body: Mapping[str, Any], person: Person, now: datetime, patch: tuple[bool, str]
) -> dict[str, Any]:
    """Template values of the release page: summary, DAG, gates, actions, steps."""
    metadata = body.get("metadata") or {}
    namespace, name = str(metadata.get("namespace") or ""), str(metadata.get("name") or "")
    spec, status = read_release(body)
    raw = body.get("spec") or {}
    base = f"/releases/{namespace}/{name}"

    def link(step: StepView) -> str:
        return f"{base}/gates/{step.name}" if step.name in decided else f"#step-{step.name}"

    # Gates, and checks that ask a person when inconclusive: both are decided here.
    decided = {s.name for s in spec.steps if s.decision_gate()} if spec is not None else set()
    steps = step_views(spec, status, now) if spec is not None else []
    gates = (
        [
            gate_panel(body, spec, status, s.name, person=person, now=now)
            for s in spec.steps
            if s.decision_gate()
        ]
        if spec is not None
        else []
    )
    return {
        "namespace": namespace,
        "name": name,
        "app": str(raw.get("app") or ""),
        "version": str(raw.get("version") or ""),
        "phase": str(status.phase),
        "run": status.run,
        "message": status.message,
        "started": _stamp(status.started_at),
        "finished": _stamp(status.finished_at),
        "steps": steps,
        "dag": render_dag(steps, link),
        "gates": gates,
        "can_patch": patch[0],
        "patch_reason": patch[1],
        "retryable": status.phase is Phase.FAILED
        or any(s.phase is StepPhase.FAILED for s in status.steps),
        "cancellable": not status.phase.is_terminal,
        "person": person,
    }


def gate_context(
    body: Mapping[str, Any], gate: str, person: Person, now: datetime
) -> dict[str, Any]:
    """Template values of one gate's page; NotAGate when ``gate`` is not one."""
    metadata = body.get("metadata") or {}
    spec, status = read_release(body)
    if spec is None or not any(
        s.name == gate and s.decision_gate() for s in [*spec.steps, *spec.finally_]
    ):
        raise NotAGate(gate)
    return {
        "namespace": str(metadata.get("namespace") or ""),
        "name": str(metadata.get("name") or ""),
        "app": spec.app,
        "version": spec.version,
        "panel": gate_panel(body, spec, status, gate, person=person, now=now),
        "person": person,
    }


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else ""
