"""The retry and cancel annotations (DESIGN.md §5).

Cancel stops the active run: every unfinished DAG step becomes Cancelled
(its Job is then deleted as an orphan) and the finally steps still run, so
notifications go out. A second cancel while finally steps run stops those too.
Retry re-opens an ended run: the named step (or every failed one), everything
downstream of it, every DAG step that did not succeed, and the finally steps
run again, with fresh approvals.
"""

from __future__ import annotations

from appdeploy.api.approvals import comment_problem
from appdeploy.api.graph import descendants
from appdeploy.api.problems import did_you_mean
from appdeploy.api.status import ActionKind, StepPhase, StepStatus
from appdeploy.engine.actions import EventType, RemoveAnnotation
from appdeploy.engine.inputs import ObservedRequest
from appdeploy.engine.reasons import Reason
from appdeploy.engine.run_steps import finish
from appdeploy.engine.state import RunState
from appdeploy.engine.summary import derive_phase
from appdeploy.engine.verification import record, signed_run_problem

RETRY_FAILED = "failed"


def unverified(state: RunState, request: ObservedRequest, reason: Reason, what: str) -> bool:
    """Refuse (with a Warning) a request whose author is unknown or whose signature is wrong."""
    problem = request.problem or comment_problem(request.value)
    if not problem and request.verified and (wrong := signed_run_problem(request.run, state.run)):
        problem = f"{wrong}; ask again"
    if not problem and not request.verified and not state.settings.trust_unverified_approvals:
        problem = (
            "the identity is not verified (the admission webhook did not sign it); "
            "enable the webhook, or run the operator with --trust-unverified-approvals"
        )
    if problem:
        state.warn(reason, f"{what} by {request.user or 'someone'} refused: {problem}")
    return bool(problem)


def _record(state: RunState, kind: ActionKind, target: str, request: ObservedRequest) -> None:
    comment = request.value.strip() if kind is ActionKind.CANCEL else ""
    record(
        state,
        kind,
        target=target,
        user=request.user,
        groups=request.groups,
        comment=comment,
        at=request.at,
        verified=request.verified,
    )


def handle_cancel(state: RunState, request: ObservedRequest) -> None:
    """Cancel the active run, or refuse when it has already ended."""
    state.actions.append(RemoveAnnotation(request.annotation))
    if unverified(state, request, Reason.CANCEL_REFUSED, "cancel"):
        return
    phase = derive_phase(state.status.steps)
    if phase.is_terminal:
        state.warn(Reason.CANCEL_REFUSED, f"cancel refused: run {state.run} already {phase}")
        return
    reason = request.value.strip() or "no reason given"
    targets = [s for s in state.main_steps() if not s.phase.is_done]
    if not targets:
        targets = [s for s in state.finally_steps() if not s.phase.is_done]
    for status in targets:
        finish(state, status, StepPhase.CANCELLED, f"cancelled: {reason}")
    _record(state, ActionKind.CANCEL, "", request)
    who = f" by {request.user}" if request.user else ""
    state.post(
        EventType.NORMAL, Reason.CANCEL_ACCEPTED, f"run {state.run} cancelled{who}: {reason}"
    )


def handle_retry(state: RunState, request: ObservedRequest) -> None:
    """Re-open an ended run from a step (or from every failed step), or refuse."""
    state.actions.append(RemoveAnnotation(request.annotation))
    if unverified(state, request, Reason.RETRY_REFUSED, "retry"):
        return
    phase = derive_phase(state.status.steps)
    if not phase.is_terminal:
        state.warn(
            Reason.RETRY_REFUSED,
            f"retry refused: run {state.run} is {phase}; retry applies once it has ended",
        )
        return
    target = request.value.strip()
    if target == RETRY_FAILED:
        chosen = [s.name for s in state.status.steps if s.phase is StepPhase.FAILED]
        if not chosen:
            state.warn(Reason.RETRY_REFUSED, "retry refused: no step failed in this run")
            return
    else:
        names = [s.name for s in state.status.steps]
        if target not in names:
            state.warn(
                Reason.RETRY_REFUSED,
                f'retry refused: no step named "{target}"{did_you_mean(target, names)}; '
                'name a step or write "failed"',
            )
            return
        chosen = [target]
    reset = _steps_to_rerun(state, chosen)
    for status in state.status.steps:
        if status.name in reset:
            _reset(status)
    state.status.finished_at = None
    _record(state, ActionKind.RETRY, target, request)
    who = f" (asked by {request.user})" if request.user else ""
    state.post(
        EventType.NORMAL,
        Reason.RETRY_ACCEPTED,
        f"retrying {', '.join(chosen)} ({len(reset)} steps will run again){who}",
    )


def _steps_to_rerun(state: RunState, chosen: list[str]) -> set[str]:
    main = {step.name: step.needs for step in state.spec.steps}
    final = {step.name: step.needs for step in state.spec.finally_}
    reset = set(chosen) | descendants(main, chosen) | descendants(final, chosen)
    if any(name in main for name in chosen):
        reset |= {s.name for s in state.main_steps() if s.phase is not StepPhase.SUCCEEDED}
        reset |= set(final)
    return reset


def _reset(status: StepStatus) -> None:
    status.phase = StepPhase.PENDING
    status.attempts_before_retry = status.attempts
    status.started_at = None
    status.finished_at = None
    status.deadline = None
    status.next_attempt_at = None
    status.job_refused = ""
    status.message = ""
    status.outputs = {}
    status.approvals = []
    status.rejection = None
