"""What the status says about the whole run: phase, one-line message, conditions, Events.

The phase is derived from the step phases alone, so it can never disagree
with them. Conditions follow kstatus: Ready (succeeded), Reconciling (still
moving), Stalled (ended without success, invalid, or blocked by a Job the
API server refuses, and then not Reconciling, as kstatus reads it), then
AwaitingApproval and one per gate (``gate_conditions``); their
``lastTransitionTime`` moves only when their status flips.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from appdeploy.api.spec import StepType
from appdeploy.api.status import (
    AppDeploymentStatus,
    Condition,
    ConditionStatus,
    Phase,
    StepPhase,
    StepStatus,
)
from appdeploy.api.timestamps import format_timestamp, later
from appdeploy.engine.actions import EventType
from appdeploy.engine.gate_conditions import WantedCondition
from appdeploy.engine.gates import describe_waiting_gate, who_may_decide
from appdeploy.engine.handoffs import next_handoff
from appdeploy.engine.reasons import Reason
from appdeploy.engine.run_steps import attempt_deadline
from appdeploy.engine.state import RunState

READY, RECONCILING, STALLED = "Ready", "Reconciling", "Stalled"
INVALID_REASON = "InvalidSpec"
JOB_REFUSED_REASON = "JobRefused"


def derive_phase(steps: Sequence[StepStatus]) -> Phase:
    """The run's phase from its steps' phases (main and finally alike)."""
    phases = [step.phase for step in steps]
    if not phases or all(phase is StepPhase.PENDING for phase in phases):
        return Phase.PENDING
    if all(phase.is_done for phase in phases):
        if StepPhase.FAILED in phases:
            return Phase.FAILED
        if StepPhase.CANCELLED in phases:
            return Phase.CANCELLED
        return Phase.SUCCEEDED
    moving = {StepPhase.RUNNING, StepPhase.RETRYING}
    if StepPhase.WAITING in phases and not moving.intersection(phases):
        return Phase.AWAITING_APPROVAL
    return Phase.RUNNING


def run_message(state: RunState, phase: Phase) -> str:
    """One line saying what the release waits on, or how it ended."""
    steps = state.status.steps
    if phase is Phase.SUCCEEDED:
        return f"{state.spec.app} {state.spec.version} released: all {len(steps)} steps succeeded"
    if phase in (Phase.FAILED, Phase.CANCELLED):
        wanted = StepPhase.FAILED if phase is Phase.FAILED else StepPhase.CANCELLED
        first = next(step for step in steps if step.phase is wanted)
        return f"{first.name} {wanted.lower()}: {first.message}" if first.message else first.name
    parts: list[str] = []
    running = [s.name for s in steps if s.phase is StepPhase.RUNNING and s.type is StepType.RUN]
    if running:
        parts.append("running " + ", ".join(running))
    for status in steps:
        at = format_timestamp(status.deadline or status.next_attempt_at or state.now)
        if (hold := state.held.get(status.name)) is not None:
            parts.append(hold.message)
        elif status.phase is StepPhase.WAITING:
            parts.append(describe_waiting_gate(state, state.spec_step(status.name), status))
        elif status.phase is StepPhase.RUNNING and status.type is StepType.CHECK:
            parts.append(f"{status.name}: {status.message}")
        elif status.phase is StepPhase.RUNNING and status.type is StepType.WAIT:
            parts.append(f"{status.name}: waiting until {at}")
        elif status.phase is StepPhase.RETRYING and status.job_refused:
            parts.append(f"{status.name}: {status.job_refused}; trying again at {at}")
        elif status.phase is StepPhase.RETRYING:
            parts.append(f"{status.name}: retrying at {at}")
    return "; ".join(parts) or "starting"


def stalled_because(status: AppDeploymentStatus) -> str:
    """Why the run cannot move without someone fixing something, or "" (a refused Job)."""
    refused = next((step for step in status.steps if step.job_refused), None)
    return f"step {refused.name}: {refused.job_refused}" if refused else ""


def conditions_for(
    phase: Phase,
    message: str,
    generation: int,
    previous: Sequence[Condition],
    now: datetime,
    *,
    stalled: str = "",
    gates: Sequence[WantedCondition] = (),
    invalid_reason: str = INVALID_REASON,
) -> list[Condition]:
    """Ready, Reconciling, Stalled, then ``gates``, keeping transition times that did not flip.

    ``stalled`` (from ``stalled_because``) makes Stalled true with reason JobRefused;
    ``gates`` are AwaitingApproval and the per-gate conditions (``approval_conditions``);
    ``invalid_reason`` is the reason when Invalid (``PolicyViolation`` for a policy's).
    """
    reason = invalid_reason if phase is Phase.INVALID else str(phase)
    wanted = {
        READY: phase is Phase.SUCCEEDED,
        RECONCILING: not phase.is_terminal and not stalled,
        STALLED: phase in (Phase.FAILED, Phase.CANCELLED, Phase.INVALID) or bool(stalled),
    }
    summary = []
    for kind, true in wanted.items():
        refused = kind == STALLED and bool(stalled)
        summary.append(
            WantedCondition(
                kind,
                ConditionStatus.TRUE if true else ConditionStatus.FALSE,
                JOB_REFUSED_REASON if refused else reason,
                stalled if refused else (message if kind == READY or true else ""),
            )
        )
    before = {condition.type: condition for condition in previous}
    conditions = []
    for condition in [*summary, *gates]:
        old = before.get(condition.type)
        unchanged = old is not None and old.status == condition.status
        conditions.append(
            Condition(
                type=condition.type,
                status=condition.status,
                reason=condition.reason,
                message=condition.message,
                observed_generation=generation,
                last_transition_time=old.last_transition_time if old and unchanged else now,
            )
        )
    return conditions


def transition_events(
    state: RunState, before: dict[str, tuple[StepPhase, int, str]], before_phase: Phase
) -> None:
    """One Event per step transition (or new Job refusal) and per change of the run's phase."""
    for status in state.status.steps:
        old = before.get(status.name)
        if old is not None and old == (status.phase, status.attempts, status.job_refused):
            continue
        _step_event(state, status)
    phase = state.status.phase
    if phase != before_phase:
        if phase is Phase.SUCCEEDED:
            state.post(EventType.NORMAL, Reason.RUN_SUCCEEDED, state.status.message)
        elif phase is Phase.FAILED:
            state.warn(Reason.RUN_FAILED, state.status.message)
        elif phase is Phase.CANCELLED:
            state.post(EventType.NORMAL, Reason.RUN_CANCELLED, state.status.message)


def _step_event(state: RunState, status: StepStatus) -> None:
    name, detail = status.name, f": {status.message}" if status.message else ""
    until = format_timestamp(status.deadline) if status.deadline else ""
    match status.phase:
        case StepPhase.RUNNING if status.type is StepType.RUN:
            state.post(
                EventType.NORMAL,
                Reason.STEP_STARTED,
                f"{name} started: attempt {status.attempts}, Job {status.job}",
            )
        case StepPhase.RUNNING if status.type is StepType.CHECK:
            state.post(EventType.NORMAL, Reason.STEP_STARTED, f"{name}: {status.message}")
        case StepPhase.RUNNING:
            state.post(EventType.NORMAL, Reason.STEP_STARTED, f"{name} waits until {until}")
        case StepPhase.WAITING:
            gate = describe_gate_opening(state, status)
            state.post(EventType.NORMAL, Reason.GATE_WAITING, gate)
        case StepPhase.SUCCEEDED:
            state.post(EventType.NORMAL, Reason.STEP_SUCCEEDED, f"{name} succeeded{detail}")
        case StepPhase.FAILED:
            state.warn(Reason.STEP_FAILED, f"{name} failed{detail}")
        case StepPhase.RETRYING if status.job_refused:
            state.warn(Reason.JOB_REFUSED, f"step {name}: {status.job_refused}")
        case StepPhase.RETRYING:
            state.warn(Reason.STEP_RETRYING, f"{name}{detail}")
        case StepPhase.SKIPPED:
            state.post(EventType.NORMAL, Reason.STEP_SKIPPED, f"{name} skipped{detail}")
        case StepPhase.CANCELLED:
            state.post(EventType.NORMAL, Reason.STEP_CANCELLED, f"{name} cancelled{detail}")
        case StepPhase.PENDING:
            pass


def describe_gate_opening(state: RunState, status: StepStatus) -> str:
    """``qa-signoff waits for 2 approvals from group qa until T: <description>``."""
    gate = state.spec_step(status.name).decision_gate()
    assert gate is not None
    until = format_timestamp(status.deadline) if status.deadline else "no deadline"
    text = f"{status.name} waits for {gate.required} approval(s) from {who_may_decide(gate)}"
    return f"{text} until {until}" + (f": {status.message}" if status.message else "")


def next_wakeup(state: RunState) -> timedelta | None:
    """How long until the next time-based change (retry, deadline, end of wait, timeout)."""
    moments: list[datetime] = []
    for status in state.status.steps:
        if status.name in state.held:
            continue  # due already; policy_runs.wakeup looks again
        if status.phase is StepPhase.RETRYING and status.next_attempt_at is not None:
            moments.append(status.next_attempt_at)
        elif status.phase is StepPhase.RUNNING and status.type is StepType.CHECK:
            if status.next_attempt_at is not None:
                moments.append(status.next_attempt_at)  # the next measurement is due
        elif status.phase in (StepPhase.WAITING, StepPhase.RUNNING) and status.deadline:
            moments.append(status.deadline)
        elif status.phase is StepPhase.RUNNING and status.type is StepType.RUN:
            spec = state.spec_step(status.name)
            job = state.jobs.get((status.name, status.attempts))
            if job is not None and (deadline := attempt_deadline(state, spec, job)):
                moments.append(deadline)
            elif (status.name, status.attempts) in state.started:
                moments.append(later(state.now, state.run_timeout(spec)))
    moments += next_handoff(state)
    if not moments:
        return None
    return max(min(moments) - state.now, timedelta(0))
