"""Moving steps forward: DAG readiness, failure propagation, finally steps, waits.

``advance`` repeats until nothing changes, so one planning pass takes every
step as far as the observed facts allow (a zero-length wait, a gate approved
in this pass, or a Job already adopted all ripple through at once). A run
step the ReleasePolicies in force hold (``policy_holds``) stays where it is;
check steps are followed in ``check_steps``.
"""

from __future__ import annotations

from appdeploy.api.spec import Step, StepType
from appdeploy.api.status import StepPhase, StepStatus
from appdeploy.api.timestamps import later
from appdeploy.engine.check_steps import follow_check, settle_check, start_check
from appdeploy.engine.gates import open_gate, settle_gate
from appdeploy.engine.handoffs import escalate_due
from appdeploy.engine.policy_holds import holds
from appdeploy.engine.run_steps import finish, follow_job, retry_is_due, start_attempt
from appdeploy.engine.state import RunState


def advance(state: RunState) -> None:
    """Take every step as far as it can go now."""
    limit = 4 * len(state.status.steps) + 4
    for _ in range(limit):
        changed = False
        for spec in state.spec.all_steps():
            changed |= _advance_step(state, spec, state.step(spec.name))
        if not changed:
            return


def _advance_step(state: RunState, spec: Step, status: StepStatus) -> bool:
    failed = state.main_failed() if not state.is_finally(spec.name) else None
    match status.phase:
        case StepPhase.PENDING:
            return _start_if_ready(state, spec, status)
        case StepPhase.RUNNING if spec.type is StepType.RUN:
            return follow_job(state, spec, status)
        case StepPhase.RUNNING | StepPhase.WAITING if spec.type is StepType.CHECK:
            if failed is not None:
                finish(state, status, StepPhase.CANCELLED, f"stopped: {failed.name} failed")
                return True
            if status.phase is StepPhase.WAITING:
                return settle_check(state, spec, status)
            return follow_check(state, spec, status)
        case StepPhase.RETRYING:
            if failed is not None:
                finish(
                    state, status, StepPhase.CANCELLED, f"retry not attempted: {failed.name} failed"
                )
                return True
            if retry_is_due(state, status) and not holds(state, spec, status):
                start_attempt(state, spec, status)
                return True
            return False
        case StepPhase.RUNNING:
            if failed is not None:
                finish(state, status, StepPhase.CANCELLED, f"stopped: {failed.name} failed")
                return True
            if status.deadline is not None and state.now >= status.deadline:
                finish(state, status, StepPhase.SUCCEEDED, "", status.deadline)
                return True
            return False
        case StepPhase.WAITING:
            if failed is not None:
                finish(state, status, StepPhase.CANCELLED, f"not decided: {failed.name} failed")
                return True
            escalate_due(state, spec, status)
            return settle_gate(state, spec, status)
        case _:
            return False


def _start_if_ready(state: RunState, spec: Step, status: StepStatus) -> bool:
    if state.is_finally(spec.name):
        if not state.main_done():
            return False
    elif (failed := state.main_failed()) is not None:
        finish(state, status, StepPhase.SKIPPED, f"not run: {failed.name} failed")
        return True
    needs = [state.step(need) for need in spec.needs]
    blocked = next(
        (need for need in needs if need.phase.is_done and need.phase is not StepPhase.SUCCEEDED),
        None,
    )
    if blocked is not None:
        finish(state, status, StepPhase.SKIPPED, f"not run: {blocked.name} {blocked.phase.lower()}")
        return True
    if not all(need.phase is StepPhase.SUCCEEDED for need in needs):
        return False
    if spec.type is StepType.RUN:
        if holds(state, spec, status):
            return False
        start_attempt(state, spec, status)
    elif spec.type is StepType.GATE:
        open_gate(state, spec, status)
    elif spec.type is StepType.CHECK:
        start_check(state, spec, status)
    else:
        assert spec.wait is not None
        status.phase = StepPhase.RUNNING
        status.started_at = state.now
        status.deadline = later(state.now, spec.wait.duration)
    return True
