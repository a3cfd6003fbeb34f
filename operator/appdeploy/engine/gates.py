"""Gates: wait for people, count approvals from distinct allowed people, honour deadlines.

A decision that does not apply is refused with a Warning Event and changes
nothing else; the annotation is removed either way so it cannot fire later.
Service accounts decide only when listed by name, never through a group.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from appdeploy.api.approvals import comment_problem
from appdeploy.api.approvers import Approvers
from appdeploy.api.problems import did_you_mean
from appdeploy.api.spec import AppDeploymentSpec, GateSpec, OnTimeout, Step, StepType
from appdeploy.api.status import ActionKind, Approval, Rejection, StepPhase, StepStatus
from appdeploy.api.substitutions import UnresolvedReference, substitute
from appdeploy.api.timestamps import format_timestamp, later
from appdeploy.engine.actions import EventType, RemoveAnnotation
from appdeploy.engine.attestation import attest_refusal, resolved_attest
from appdeploy.engine.inputs import DecisionKind, ObservedDecision
from appdeploy.engine.reasons import Reason
from appdeploy.engine.run_steps import finish
from appdeploy.engine.state import RunState
from appdeploy.engine.verification import approval_verifies, record, signed_run_problem

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


def open_gate(state: RunState, spec: Step, status: StepStatus) -> None:
    """A gate whose needs succeeded starts waiting, with its decision deadline."""
    assert spec.gate is not None
    status.phase = StepPhase.WAITING
    status.started_at = state.now
    status.deadline = later(state.now, gate_timeout(state, spec))
    # Each opening has its own hand-off: reminders, escalation and who else may decide.
    status.opened += 1
    status.reminded = 0
    status.reminded_before = None
    status.escalated = 0
    status.added_approvers = None
    try:
        status.message = substitute(spec.gate.description, state.values(for_finally=False))
    except UnresolvedReference as error:
        # The description only informs the approvers; an unresolved value must not fail it.
        status.message = f"{spec.gate.description} ({error})"
    # Shown to approvers; an unresolved value is left out, and approving is refused until
    # it has one (appdeploy.engine.attestation).
    status.attest = resolved_attest(state, spec)[0]


def counted_approvers(state: RunState, status: StepStatus) -> list[str]:
    """Distinct people whose approval counts, in the order they approved."""
    trusted = state.settings.trust_unverified_approvals
    users: list[str] = []
    for approval in status.approvals:
        if (approval.verified or trusted) and approval.user not in users:
            users.append(approval.user)
    return users


def settle_gate(state: RunState, spec: Step, status: StepStatus) -> bool:
    """Pass a Waiting gate with enough approvals, or apply onTimeout at its deadline."""
    assert spec.gate is not None
    approvers = counted_approvers(state, status)
    if len(approvers) >= spec.gate.required:
        finish(state, status, StepPhase.SUCCEEDED, "approved by " + ", ".join(approvers))
        return True
    if status.deadline is not None and state.now >= status.deadline:
        tally = f"{len(approvers)} of {spec.gate.required} approvals"
        if spec.gate.on_timeout is OnTimeout.APPROVE:
            finish(state, status, StepPhase.SUCCEEDED, f"approved at its deadline ({tally})")
        else:
            finish(state, status, StepPhase.FAILED, f"no decision before its deadline ({tally})")
        return True
    return False


def gate_timeout(state: RunState, spec: Step) -> timedelta:
    """How long the gate waits for a decision, before any escalation extends it."""
    return spec.timeout or state.spec.defaults.gate_timeout


def approvers_of(
    gate: GateSpec, status: StepStatus | None = None, now: datetime | None = None
) -> Approvers:
    """Who may decide: the spec's approvers, and those of the escalation levels fired so far.

    Read from the spec's levels, not from ``addedApprovers`` in status (which
    records it for people). Given ``now`` (deciding, not displaying), a level
    counts once its moment has come, whether or not a pass wrote it yet: the
    webhook accepts an added approver from that moment, and a raised
    ``escalated`` counter in status lets nobody decide early.
    """
    levels = gate.notify.escalate if gate.notify is not None else []
    if status is None:
        levels = []
    elif now is None:
        levels = levels[: status.escalated]
    else:
        started = status.started_at
        levels = [
            level for level in levels if started is not None and now >= later(started, level.after)
        ]
    users, groups = list(gate.approvers.users), list(gate.approvers.groups)
    for level in levels:
        if level.add_approvers is not None:
            users += [u for u in level.add_approvers.users if u not in users]
            groups += [g for g in level.add_approvers.groups if g not in groups]
    return Approvers(users=users, groups=groups)


def who_may_decide(gate: GateSpec, status: StepStatus | None = None) -> str:
    """``group qa or user alice@example.com`` for messages."""
    approvers = approvers_of(gate, status)
    parts = []
    if approvers.groups:
        label = "group" if len(approvers.groups) == 1 else "groups"
        parts.append(f"{label} {', '.join(approvers.groups)}")
    if approvers.users:
        label = "user" if len(approvers.users) == 1 else "users"
        parts.append(f"{label} {', '.join(approvers.users)}")
    return " or ".join(parts)


def may_decide(approvers: Approvers, user: str, groups: tuple[str, ...]) -> bool:
    """True when the person is listed, or (not being a service account) in a listed group."""
    if user in approvers.users:
        return True
    if user.startswith(SERVICE_ACCOUNT_PREFIX):
        return False
    return any(group in approvers.groups for group in groups)


def handle_decision(state: RunState, decision: ObservedDecision) -> None:
    """Accept or refuse one approval/rejection annotation; always remove it."""
    state.actions.append(RemoveAnnotation(decision.annotation))
    reason_refused = refusal(state, decision)
    verb = "approval" if decision.kind is DecisionKind.APPROVE else "rejection"
    who = decision.user or "someone"
    if reason_refused == ALREADY_RECORDED:
        return
    if reason_refused:
        reason = (
            Reason.APPROVAL_REFUSED
            if decision.kind is DecisionKind.APPROVE
            else Reason.REJECTION_REFUSED
        )
        state.warn(reason, f"{verb} of {decision.gate} by {who} refused: {reason_refused}")
        return
    assert decision.user is not None
    spec = state.spec_step(decision.gate)
    gate = spec.decision_gate()
    assert gate is not None
    status = state.step(decision.gate)
    at = decision.at or state.now
    record(
        state,
        ActionKind(str(decision.kind)),
        target=decision.gate,
        user=decision.user,
        groups=decision.groups,
        comment=decision.comment,
        at=at,
        verified=decision.verified,
        attest=dict(decision.attest),
    )
    if decision.kind is DecisionKind.REJECT:
        status.rejection = Rejection(
            user=decision.user,
            groups=list(decision.groups),
            reason=decision.comment,
            at=at,
            verified=decision.verified,
            run=decision.run,
            signature=decision.signature,
        )
        finish(state, status, StepPhase.FAILED, f"rejected by {decision.user}: {decision.comment}")
        state.warn(Reason.REJECTION_ACCEPTED, f"{decision.gate} rejected by {decision.user}")
        return
    approval = Approval(
        user=decision.user,
        groups=list(decision.groups),
        comment=decision.comment,
        at=at,
        run=decision.run,
        signature=decision.signature,
        attest=dict(decision.attest),
    )
    # Counted only while its signature verifies: recomputed on every pass.
    approval.verified = approval_verifies(state, decision.gate, approval)
    status.approvals = [a for a in status.approvals if a.user != decision.user]
    status.approvals.append(approval)
    count = len(counted_approvers(state, status))
    state.post(
        EventType.NORMAL,
        Reason.APPROVAL_ACCEPTED,
        f"{decision.gate} approved by {decision.user} ({count} of {gate.required})",
    )


ALREADY_RECORDED = "already recorded"


def refusal(state: RunState, decision: ObservedDecision) -> str:
    """Why a decision does not apply now ("" if it does, ALREADY_RECORDED for a replay)."""
    if decision.problem:
        return decision.problem
    if problem := comment_problem(decision.comment):
        return problem
    gates = [step.name for step in state.spec.steps if step.decision_gate() is not None]
    try:
        spec = state.spec_step(decision.gate)
    except KeyError:
        hint = did_you_mean(decision.gate, gates) or f" (gates: {', '.join(gates) or 'none'})"
        return f'no gate named "{decision.gate}"{hint}'
    gate = spec.decision_gate()
    if gate is None:
        if spec.check is not None:
            return (
                f"{decision.gate} is a check without onInconclusive: nobody decides it, "
                "its measurements do"
            )
        return f"{decision.gate} is a {spec.type} step, not a gate"
    if not decision.verified and not state.settings.trust_unverified_approvals:
        return (
            "the identity is not verified (the admission webhook did not sign it); "
            "enable the webhook, or run the operator with --trust-unverified-approvals"
        )
    if not decision.user:
        return "the annotation does not say who decided; use kubectl appdeploy approve"
    status = state.step(decision.gate)
    recorded = next((a for a in status.approvals if a.user == decision.user), None)
    same = (
        recorded is not None
        and recorded.comment == decision.comment
        and recorded.attest == dict(decision.attest)
        and decision.at in (None, recorded.at)
    )
    # A replay (a crash between the status write and the annotation's removal) is
    # checked before the phase: the replayed approval may be the one that passed the gate.
    if same and decision.kind is DecisionKind.APPROVE:
        return ALREADY_RECORDED
    if status.phase is not StepPhase.WAITING:
        return not_waiting_message(state, decision.gate)
    signed = decision.verified or decision.run is not None
    if signed and (problem := signed_run_problem(decision.run, state.run)):
        return f"{problem}; decide again"
    # Only an approval that counts bars a second one: a record that no longer verifies
    # (altered, or from before signatures were kept) is replaced by a new decision.
    trusted = state.settings.trust_unverified_approvals
    previous = next(
        (a for a in status.approvals if a.user == decision.user and (a.verified or trusted)), None
    )
    if previous is not None:
        return f"{decision.user} already approved {decision.gate}"
    if not may_decide(approvers_of(gate, status, state.now), decision.user, decision.groups):
        return (
            f"{decision.user} is not an approver of {decision.gate}: "
            f"it needs {who_may_decide(gate, status)}"
        )
    for other in conflicting_gates(state, decision.gate):
        if any(a.user == decision.user for a in state.step(other).approvals):
            return (
                f"{decision.user} approved {other}, and {decision.gate} must be decided "
                "by someone else (distinctFrom)"
            )
    if decision.kind is DecisionKind.APPROVE and spec.gate is not None:
        # Rejections need not attest: stopping a release is safe whatever was read.
        return attest_refusal(state, spec, dict(decision.attest))
    return ""


def conflicting_gates(state: RunState, gate: str) -> list[str]:
    """Gates whose deciders may not decide ``gate``: distinctFrom, in either direction."""
    return distinct_gates(state.spec, gate)


def distinct_gates(spec: AppDeploymentSpec, gate: str) -> list[str]:
    """The gates whose deciders may not decide ``gate``: distinctFrom, in either direction."""
    own = spec.step(gate).decision_gate()
    assert own is not None
    found = list(own.distinct_from)
    for step in spec.steps:
        if step.gate is not None and gate in step.gate.distinct_from and step.name not in found:
            found.append(step.name)
    return found


def not_waiting_message(state: RunState, gate: str) -> str:
    """Why a gate cannot be decided now, e.g. ``it waits for build-ios (Running)``."""
    status = state.step(gate)
    if status.phase is StepPhase.PENDING:
        blocking = [
            f"{need} ({state.step(need).phase})"
            for need in state.spec_step(gate).needs
            if state.step(need).phase is not StepPhase.SUCCEEDED
        ]
        return f"{gate} is Pending: it waits for {', '.join(blocking)}"
    if status.phase is StepPhase.SUCCEEDED:
        return f"{gate} already passed ({status.message})"
    return f"{gate} is {status.phase}" + (f": {status.message}" if status.message else "")


def describe_waiting_gate(state: RunState, spec: Step, status: StepStatus) -> str:
    """``qa-signoff: 1 of 2 approvals (group qa), deadline 2026-11-30T10:00:00Z``."""
    return f"{spec.name}: {waiting_tally(state, spec, status)}"


def waiting_tally(state: RunState, spec: Step, status: StepStatus) -> str:
    """``1 of 2 approvals (group qa), deadline 2026-11-30T10:00:00Z``."""
    gate = spec.decision_gate()
    assert gate is not None
    count = len(counted_approvers(state, status))
    deadline = format_timestamp(status.deadline) if status.deadline else "none"
    who = who_may_decide(gate, status)
    tally = f"{count} of {gate.required} approvals ({who}), deadline {deadline}"
    return f"{status.message}; {tally}" if spec.type is StepType.CHECK else tally
