"""ReleasePolicies in the operator: judged on every pass, failing closed (docs/policies.md).

The webhook refuses a release that breaks a Deny policy, but it may have been
off, or the policy may have come later; so ``plan`` judges again with the
same ``judge`` on every pass:

- a new run whose spec breaks a Deny policy does not start: the release is
  ``Invalid`` with reason ``PolicyViolation`` (``frozen.plan_invalid``);
- a new run while the policies are not known does not start either
  (``plan_unknown``): ``PolicyBlocked=True``, reason ``PoliciesUnknown``;
- a running run is never invalidated: what a policy tightened mid-run would
  refuse is held step by step (``policy_holds``), with ``PolicyBlocked=True``;
- ``status.policies`` records each policy's verdict on the run; a Warn
  verdict and a break-glass override each get one Warning Event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from appdeploy.api.policy import Enforcement
from appdeploy.api.spec import AppDeploymentSpec, StepType
from appdeploy.api.spec_hash import spec_hash
from appdeploy.api.status import (
    POLICIES_LIMIT,
    AppDeploymentStatus,
    ConditionStatus,
    Phase,
    PolicyOutcome,
    PolicyResult,
    StepPhase,
)
from appdeploy.engine.actions import EventType, Plan, PostEvent
from appdeploy.engine.frozen import plan_invalid
from appdeploy.engine.gate_conditions import WantedCondition, not_awaiting_approval
from appdeploy.engine.inputs import Observed, Release
from appdeploy.engine.policy_guard import PolicyGuard
from appdeploy.engine.policy_holds import BlockReason
from appdeploy.engine.policy_judgement import judge
from appdeploy.engine.reasons import Reason
from appdeploy.engine.state import RunState
from appdeploy.engine.summary import conditions_for

POLICY_BLOCKED = "PolicyBlocked"
"""The condition type: True while a policy keeps a step (or the run) from starting."""
HOLDS_SHOWN = 5
MESSAGE_LIMIT = 4096
"""Far below metav1.Condition's 32768: the cache's reasons for unknown policies can be long."""
RECHECK = timedelta(seconds=60)
"""A held release is judged again this often, besides every policy and namespace event."""


def guard_for(release: Release, spec: AppDeploymentSpec, observed: Observed) -> PolicyGuard | None:
    """This pass's judgement of ``spec`` by the policies in force; None when not enforced."""
    facts = observed.policies
    if facts is None:
        return None
    if facts.unknown:
        return PolicyGuard(facts.unknown, None, ())
    judgement = judge(
        spec,
        facts.applicable,
        break_glass=observed.break_glass,
        spec_hash=spec_hash(release.spec),
    )
    enforced = tuple(
        policy
        for policy in facts.applicable
        if policy.spec.enforcement is Enforcement.DENY and policy.name not in judgement.overridden
    )
    return PolicyGuard("", judgement, enforced)


def refuse_run(
    release: Release, previous: AppDeploymentStatus, guard: PolicyGuard | None, now: datetime
) -> Plan | None:
    """The plan instead of starting a new run the policies refuse or cannot judge, or None."""
    if guard is None:
        return None
    if guard.unknown:
        return plan_unknown(release, previous, guard, now)
    assert guard.judgement is not None
    if not guard.judgement.denied:
        return None
    denied = guard.judgement.denied
    # status.policies is the record of a run that ran, and moves with it to history: a
    # refused spec never ran, so the previous run keeps its own verdicts (the refusal is
    # in the message, PolicyBlocked and the Event); with no run before, there is nothing
    # to mislabel, and the verdict is shown.
    results = list(guard.judgement.results) if previous.run is None else previous.policies
    text = f"run {release.generation} does not start: {denied[0]}" + (
        f" (and {len(denied) - 1} more)" if len(denied) > 1 else ""
    )
    blocked = WantedCondition(
        POLICY_BLOCKED, ConditionStatus.TRUE, BlockReason.POLICY_VIOLATION, text
    )
    return plan_invalid(
        release,
        previous,
        denied,
        now,
        reason=Reason.POLICY_VIOLATION,
        policies=results,
        conditions=[blocked],
    )


def unknown_message(guard: PolicyGuard) -> str:
    """``the ReleasePolicies in force are not known (…)``."""
    return f"the ReleasePolicies in force are not known ({guard.unknown})"


def plan_unknown(
    release: Release, previous: AppDeploymentStatus, guard: PolicyGuard, now: datetime
) -> Plan:
    """A new run waits until the policies are known: nothing created, deleted or consumed.

    As with an invalid spec, the previous run's steps are left as they were
    (its Jobs untouched) until a run of the new spec can start.
    """
    message = (
        f"run {release.generation} has not started: {unknown_message(guard)}; "
        "it starts once they are"
    )[:MESSAGE_LIMIT]
    status = previous.model_copy(deep=True)
    status.observed_generation = release.generation
    status.phase = Phase.PENDING
    status.message = message
    status.waiting_on = ""
    blocked = WantedCondition(
        POLICY_BLOCKED, ConditionStatus.TRUE, BlockReason.POLICIES_UNKNOWN, message
    )
    status.conditions = conditions_for(
        Phase.PENDING,
        message,
        release.generation,
        previous.conditions,
        now,
        gates=[not_awaiting_approval(str(Phase.PENDING)), blocked],
    )
    actions: tuple[PostEvent, ...] = ()
    if _entering(previous, blocked):
        actions = (PostEvent(EventType.WARNING, Reason.POLICY_BLOCKED, message),)
    return Plan(status=status, actions=actions, requeue_after=RECHECK)


def record_policies(state: RunState, before: list[PolicyResult]) -> None:
    """``status.policies`` from this pass; one Event per new Warn verdict and break-glass.

    ``before`` is what the run recorded at its previous pass (empty for a new
    run), so an Event goes out once, not at every pass. Holds of steps that
    moved on in this pass (skipped, cancelled) are dropped first; a check held between
    measurements stays held.
    """
    for name in list(state.held):
        step = state.step(name)
        measuring = step.type is StepType.CHECK and step.phase is StepPhase.RUNNING
        if step.phase not in (StepPhase.PENDING, StepPhase.RETRYING) and not measuring:
            del state.held[name]
    guard = state.policy
    if guard is None or guard.judgement is None:
        return  # not enforced, or unknown: the last verdict stands
    results = list(guard.judgement.results[:POLICIES_LIMIT])
    state.status.policies = results
    old = {result.policy: result for result in before}
    for result in results:
        if old.get(result.policy) == result:
            continue
        if result.outcome is PolicyOutcome.VIOLATED and result.enforcement == Enforcement.WARN:
            state.warn(
                Reason.POLICY_VIOLATION,
                f"ReleasePolicy {result.policy} (Warn) is violated, and the run goes on: "
                + "; ".join(result.violations),
            )
    overridden = [
        result
        for result in results
        if result.outcome is PolicyOutcome.OVERRIDDEN
        and (old.get(result.policy) is None or old[result.policy].break_glass != result.break_glass)
    ]
    if overridden and (glass := overridden[0].break_glass) is not None:
        names = ", ".join(result.policy for result in overridden)
        groups = f" ({', '.join(glass.groups)})" if glass.groups else ""
        state.warn(
            Reason.BREAK_GLASS,
            f"break-glass by {glass.user}{groups} overrides ReleasePolicy {names}: {glass.reason}",
        )


def policy_conditions(state: RunState, before: AppDeploymentStatus) -> list[WantedCondition]:
    """``PolicyBlocked``, and its Event when it starts.

    Present once a policy covers the release (or the policies are unknown),
    and kept, False, after the last one went away, so that a lifted hold can
    be waited for; absent when policies are not enforced or never applied.
    """
    guard = state.policy
    if guard is None:
        return []
    holds = list(state.held.values())
    if guard.unknown:
        message = f"{unknown_message(guard)}: no run step starts a Job until they are"
        if holds:
            message += "; held: " + ", ".join(state.held)
        reason: str = BlockReason.POLICIES_UNKNOWN
    elif holds:
        message = "; ".join(hold.message for hold in holds[:HOLDS_SHOWN])
        if len(holds) > HOLDS_SHOWN:
            message += f"; and {len(holds) - HOLDS_SHOWN} more held"
        reason = holds[0].reason
    elif (guard.judgement is not None and guard.judgement.results) or _had(before):
        return [WantedCondition(POLICY_BLOCKED, ConditionStatus.FALSE, BlockReason.NOT_BLOCKED)]
    else:
        return []  # no policy covers it, and none did: no condition to watch
    blocked = WantedCondition(POLICY_BLOCKED, ConditionStatus.TRUE, reason, message[:MESSAGE_LIMIT])
    if _entering(before, blocked):
        state.warn(Reason.POLICY_BLOCKED, blocked.message)
    return [blocked]


def wakeup(state: RunState, requeue: timedelta | None) -> timedelta | None:
    """A held release is looked at again within ``RECHECK``, whatever else it waits for."""
    if state.held or (state.policy is not None and state.policy.unknown):
        return RECHECK if requeue is None else min(requeue, RECHECK)
    return requeue


def _had(previous: AppDeploymentStatus) -> bool:
    return any(c.type == POLICY_BLOCKED for c in previous.conditions)


def _entering(previous: AppDeploymentStatus, blocked: WantedCondition) -> bool:
    old = next((c for c in previous.conditions if c.type == POLICY_BLOCKED), None)
    return old is None or old.status != blocked.status or old.message != blocked.message
