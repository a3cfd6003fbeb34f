"""``plan``: the one decision function of appdeploy.

Given the AppDeployment as stored, what the operator observed for it, and the
current time, return the new status, the actions that make the cluster match
it, and when to look again. The order inside one pass is fixed: judge the
spec by the ReleasePolicies in force (a new run they refuse or cannot judge
does not start: ``policy_runs``), start or supersede the run, follow Jobs,
apply cancel, retry and gate decisions, take every step as far as it can go
(a step the policies hold stays), delete orphaned Jobs, record the policies'
verdicts, then summarise.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from appdeploy.api.problems import InvalidSpec, Problem, problems_from
from appdeploy.api.status import AppDeploymentStatus, Phase, PolicyResult
from appdeploy.api.timestamps import utc_seconds
from appdeploy.api.tolerant import validate_known
from appdeploy.api.validation import parse_spec, release_name_problems
from appdeploy.engine.actions import Plan
from appdeploy.engine.frozen import INVALID_MESSAGE_LIMIT, plan_invalid, plan_unreadable
from appdeploy.engine.gate_conditions import (
    approval_conditions,
    waiting_gates,
)
from appdeploy.engine.gates import ALREADY_RECORDED, handle_decision, refusal
from appdeploy.engine.identities import identity_problems
from appdeploy.engine.inputs import Observed, ObservedDecision, Release, Settings
from appdeploy.engine.notify_events import notifications_condition, notify_transitions
from appdeploy.engine.policy_runs import (
    guard_for,
    policy_conditions,
    record_policies,
    refuse_run,
    wakeup,
)
from appdeploy.engine.progress import advance
from appdeploy.engine.requests import handle_cancel, handle_retry
from appdeploy.engine.run_steps import trusted_jobs
from appdeploy.engine.runs import delete_orphans, start_run
from appdeploy.engine.state import RunState
from appdeploy.engine.summary import (
    conditions_for,
    derive_phase,
    next_wakeup,
    run_message,
    stalled_because,
    transition_events,
)
from appdeploy.engine.verification import reverify_gates

# Templates are expanded offline and checked at admission; resolving them when a
# run starts (a snapshot in status, drift) is not built yet. Until it is, a release
# that names a template runs nothing rather than an empty DAG that "succeeds".
TEMPLATES_NOT_RESOLVED = (
    "this operator does not resolve templates when a run starts yet (docs/templates.md); "
    "apply the expanded release instead: appdeploy render FILE --templates DIR"
)


def plan(
    release: Release,
    observed: Observed,
    now: datetime,
    settings: Settings | None = None,
) -> Plan:
    """Decide the release's next status and actions; never raises for any stored spec."""
    now = utc_seconds(now)
    settings = settings or Settings()
    try:
        previous = read_status(release.status)
    except UnreadableStatus as unreadable:
        return plan_unreadable(release, unreadable, now)
    try:
        if problems := release_name_problems(release.name):
            raise InvalidSpec(problems)
        spec = parse_spec(release.spec, settings.pod_policy, remind_floor=settings.remind_floor)
        if spec.template_ref is not None:
            raise InvalidSpec([Problem("spec.templateRef", TEMPLATES_NOT_RESOLVED)])
        if problems := identity_problems(release.namespace, spec, settings.operator_username):
            raise InvalidSpec(problems)
    except InvalidSpec as invalid:
        return plan_invalid(release, previous, invalid.problems, now)

    guard = guard_for(release, spec, observed)
    state = RunState(
        release=release,
        spec=spec,
        status=previous.model_copy(deep=True),
        now=now,
        settings=settings,
        jobs=trusted_jobs(
            release,
            observed.jobs,
            previous,
            frozenset(step.name for step in spec.all_steps() if step.check is not None),
        ),
        refused={job.name: job.message for job in observed.refused_jobs},
        policy=guard,
    )
    if previous.run != release.generation or not _matches(state):
        if (refused := refuse_run(release, previous, guard, now)) is not None:
            return refused
        start_run(state, previous, observed.author)
        before: dict[str, Any] = {}
        before_phase = Phase.PENDING
        before_policies: list[PolicyResult] = []
    else:
        before = {s.name: (s.phase, s.attempts, s.job_refused) for s in previous.steps}
        before_phase = derive_phase(previous.steps)
        before_policies = previous.policies
        reverify_gates(state)

    advance(state)
    if observed.cancel is not None:
        handle_cancel(state, observed.cancel)
    if observed.retry is not None:
        handle_retry(state, observed.retry)
    for decision in sorted(observed.decisions, key=lambda d: d.annotation):
        handle_decision(state, decision)
    advance(state)
    delete_orphans(state, observed.jobs)
    record_policies(state, before_policies)

    status = state.status
    status.observed_generation = release.generation
    status.phase = derive_phase(status.steps)
    status.message = run_message(state, status.phase)
    if status.phase.is_terminal:
        status.finished_at = status.finished_at or now
    status.waiting_on = ", ".join(waiting_gates(state))
    status.conditions = conditions_for(
        status.phase,
        status.message,
        release.generation,
        previous.conditions,
        now,
        stalled=stalled_because(status),
        gates=[
            *approval_conditions(state, str(status.phase)),
            *notifications_condition(state, observed.channels),
            *policy_conditions(state, previous),
        ],
    )
    transition_events(state, before, before_phase)
    notify_transitions(state, before, before_phase)
    requeue = wakeup(state, next_wakeup(state))
    return Plan(status=status, actions=tuple(state.actions), requeue_after=requeue)


def check_decision(
    release: Release, decision: ObservedDecision, now: datetime, settings: Settings | None = None
) -> str:
    """Why ``decision`` would be refused by the planner right now, or "" if it would count.

    The admission webhook asks this before the decision is stored, so a refused
    approval never reaches the release; the planner asks the same question later.
    """
    settings = settings or Settings()
    try:
        spec = parse_spec(release.spec, settings.pod_policy, remind_floor=settings.remind_floor)
    except InvalidSpec as invalid:
        return f"the release is invalid ({invalid}); fix its spec first"
    try:
        status = read_status(release.status)
    except UnreadableStatus as unreadable:
        return f"{unreadable}; decisions wait until it can be read"
    if status.run != release.generation:
        return "the release's new spec has not started running yet; try again in a moment"
    state = RunState(
        release=release,
        spec=spec,
        status=status,
        now=utc_seconds(now),
        settings=settings,
        jobs={},
    )
    reason = refusal(state, decision)
    return "you already approved it" if reason == ALREADY_RECORDED else reason


class UnreadableStatus(Exception):
    """The stored status cannot be read even with unknown fields ignored."""


def read_status(raw: Mapping[str, Any] | None) -> AppDeploymentStatus:
    """The stored status, unknown fields ignored; UnreadableStatus naming the field otherwise.

    Never an empty status in place of an unreadable one: that would restart the
    run and drop its approvals.
    """
    if not raw:
        return AppDeploymentStatus()
    try:
        return validate_known(AppDeploymentStatus, raw)
    except ValidationError as error:
        problems = problems_from(error, "status")
        detail = "; ".join(str(problem) for problem in problems[:INVALID_MESSAGE_LIMIT])
        raise UnreadableStatus(f"the stored status cannot be read: {detail}") from None


def _matches(state: RunState) -> bool:
    # A status whose steps do not match the spec (hand-edited, or from an old
    # operator version) cannot be continued; the run restarts and adopts Jobs.
    names = [step.name for step in state.spec.all_steps()]
    return [step.name for step in state.status.steps] == names
