"""What the release page shows of each step (pure): phase, attempts, duration, outputs, message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from appdeploy.api.durations import format_duration
from appdeploy.api.spec import AppDeploymentSpec, Step
from appdeploy.api.status import AppDeploymentStatus, StepPhase, StepStatus
from appdeploy.engine.gates import who_may_decide


@dataclass(frozen=True)
class StepView:
    """One step, as a row of the release page and a node of its DAG."""

    name: str
    type: str
    phase: str
    needs: tuple[str, ...]
    is_finally: bool
    attempts: int
    duration: str
    started: str
    finished: str
    message: str
    outputs: tuple[tuple[str, str], ...]
    job: str
    detail: str
    """A short line under the name in the DAG (``1/2 approvals``, ``attempt 2``, ``24h soak``)."""


def step_views(
    spec: AppDeploymentSpec, status: AppDeploymentStatus, now: datetime
) -> list[StepView]:
    """Every step of the spec (main DAG, then finally), with what status recorded of it."""
    recorded = {step.name: step for step in status.steps}
    views = []
    for is_finally, steps in ((False, spec.steps), (True, spec.finally_)):
        for step in steps:
            views.append(_view(step, recorded.get(step.name), is_finally, now))
    return views


def _view(step: Step, state: StepStatus | None, is_finally: bool, now: datetime) -> StepView:
    phase = state.phase if state is not None else StepPhase.PENDING
    return StepView(
        name=step.name,
        type=str(step.type),
        phase=str(phase),
        needs=tuple(step.needs),
        is_finally=is_finally,
        attempts=state.attempts if state is not None else 0,
        duration=_duration(state, now),
        started=_stamp(state.started_at if state else None),
        finished=_stamp(state.finished_at if state else None),
        message=state.message if state is not None else "",
        outputs=tuple(sorted((state.outputs if state is not None else {}).items())),
        job=(state.job or "") if state is not None else "",
        detail=_detail(step, state),
    )


def _detail(step: Step, state: StepStatus | None) -> str:
    if step.gate is not None:
        count = len(state.approvals) if state is not None else 0
        return f"{count}/{step.gate.required} · {who_may_decide(step.gate, state)}"
    if step.wait is not None:
        return f"soak {format_duration(step.wait.duration)}"
    if state is not None and state.attempts > 1:
        return f"attempt {state.attempts}"
    return ""


def _duration(state: StepStatus | None, now: datetime) -> str:
    if state is None or state.started_at is None:
        return ""
    end = state.finished_at or now
    return format_duration(max(end - state.started_at, timedelta(0)))


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else ""
