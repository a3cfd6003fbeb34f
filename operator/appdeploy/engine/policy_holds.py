"""Which run steps the ReleasePolicies in force keep from starting now, and why.

Asked just before a run step would start its next attempt (Pending, or
Retrying once its backoff passed), on every pass, by the policy as it is at
that pass (docs/policies.md, "In the operator"):

- policies unknown: every run step is held (fail closed: nothing says which
  steps are protected); gates and waits go on, since they start no Job;
- a Deny policy the spec now breaks (tightened or created mid-run): each
  step it protects is held until the policy is relaxed or the spec fixed;
- otherwise each required gate of each Deny policy protecting the step must
  have passed by approvals that conform: signed by the webhook for this run
  (``--trust-unverified-approvals`` does not count here), at least
  ``minRequired`` distinct people, members of ``approverGroups`` when set,
  none of whom decided a ``distinctFrom`` gate; a gate passed at its deadline
  (``onTimeout: Approve``) has no such approvals.

A step already running is never stopped, and a Job that already exists for
the next attempt (created just before a crash) is adopted, not held: a
policy judges what starts, and killing a half-done upload would leave a
store in a state nobody chose. Pure.
"""

from __future__ import annotations

from enum import StrEnum

from appdeploy.api.policy import ReleasePolicy, RequiredGate
from appdeploy.api.spec import Step, StepType
from appdeploy.api.status import StepPhase, StepStatus
from appdeploy.engine.gates import SERVICE_ACCOUNT_PREFIX
from appdeploy.engine.policies import protected_steps
from appdeploy.engine.policy_guard import Hold
from appdeploy.engine.state import RunState
from appdeploy.engine.verification import approval_verifies


class BlockReason(StrEnum):
    """The reason of the ``PolicyBlocked`` condition."""

    NOT_BLOCKED = "NotBlocked"
    POLICY_VIOLATION = "PolicyViolation"
    """A Deny policy the spec breaks protects the step."""
    APPROVALS_NOT_CONFORMING = "ApprovalsNotConforming"
    """A required gate passed without the approvals the policy asks for."""
    POLICIES_UNKNOWN = "PoliciesUnknown"


def holds(state: RunState, spec: Step, status: StepStatus) -> bool:
    """True (and ``state.held`` says why) when the step's next attempt may not start now."""
    if (spec.name, status.attempts + 1) in state.jobs:
        state.held.pop(spec.name, None)  # already running: adopted, never held
        return False
    hold = hold_for(state, spec)
    if hold is None:
        state.held.pop(spec.name, None)
        return False
    state.held[spec.name] = hold
    return True


def hold_for(state: RunState, spec: Step) -> Hold | None:
    """Why the policies in force keep run or check step ``spec`` from starting a Job, or None."""
    guard = state.policy
    if guard is None or spec.type not in (StepType.RUN, StepType.CHECK):
        return None
    if guard.unknown:
        message = (
            f"{spec.name} is held: the ReleasePolicies in force are not known "
            f"({guard.unknown}); no Job starts until they are"
        )
        return Hold(BlockReason.POLICIES_UNKNOWN, message)
    assert guard.judgement is not None
    for policy in guard.enforced:
        protected = next(
            (
                found
                for found in protected_steps(state.spec, policy)
                if found.step.name == spec.name
            ),
            None,
        )
        if protected is None:
            continue
        uses = " and ".join(dict.fromkeys(str(use) for use in protected.uses))
        held = f"{spec.name} is held: it uses {uses}, protected by ReleasePolicy {policy.name}"
        broken = [v for v in guard.judgement.denied if v.policy == policy.name]
        if broken:
            more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
            return Hold(
                BlockReason.POLICY_VIOLATION, f"{held}, which the spec breaks: {broken[0]}{more}"
            )
        for required in policy.spec.require_gates:
            if lacking := what_lacks(state, policy, required):
                return Hold(BlockReason.APPROVALS_NOT_CONFORMING, f"{held}, and {lacking}")
    return None


def conforming_approvers(
    state: RunState, policy: ReleasePolicy, required: RequiredGate
) -> list[str]:
    """The distinct people whose approval of ``required`` counts for ``policy``."""
    status = state.step(required.name)
    others = deciders(state, required.distinct_from)
    groups = set(required.approver_groups)
    forbid_accounts = policy.spec.forbid.service_account_approvers
    counted: list[str] = []
    for approval in status.approvals:
        if approval.user in counted or approval.user in others:
            continue
        if not approval_verifies(state, required.name, approval):
            continue
        if groups and not groups & set(approval.groups):
            continue
        if forbid_accounts and approval.user.startswith(SERVICE_ACCOUNT_PREFIX):
            continue
        counted.append(approval.user)
    return counted


def what_lacks(state: RunState, policy: ReleasePolicy, required: RequiredGate) -> str:
    """What gate ``required`` still lacks for ``policy`` ("" when it passed by conforming
    approvals), e.g. ``gate compliance passed with 1 of 2 signed approvals from group ...``."""
    name = required.name
    try:
        status = state.step(name)
    except KeyError:
        return f"needs gate {name}, which the release does not have"
    if status.phase is not StepPhase.SUCCEEDED:
        return f"needs gate {name} to pass first (it is {status.phase})"
    counted = conforming_approvers(state, policy, required)
    if len(counted) >= required.min_required:
        return ""
    wanted = "signed approvals of this run"
    if required.approver_groups:
        wanted += " from group " + " or ".join(required.approver_groups)
    if required.distinct_from:
        wanted += " by people who did not decide " + ", ".join(required.distinct_from)
    return (
        f"gate {name} passed with {len(counted)} of the {required.min_required} {wanted} "
        "it needs (unsigned approvals and a pass at the deadline do not count); "
        f"cancel the run and retry {name} to decide it again"
    )


def deciders(state: RunState, gates: list[str]) -> set[str]:
    """Everyone recorded as approving or rejecting one of ``gates`` in this run."""
    found: set[str] = set()
    for gate in gates:
        try:
            status = state.step(gate)
        except KeyError:
            continue
        found.update(approval.user for approval in status.approvals)
        if status.rejection is not None:
            found.add(status.rejection.user)
    return found
