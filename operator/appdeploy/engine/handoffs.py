"""A waiting gate's hand-off over time: escalation levels and reminders (docs/notifications.md).

Every moment is computed from the gate's ``startedAt`` and the spec of the
run, so an operator that restarts computes the same moments. What was done is
kept on the gate's status (``escalated``, ``reminded``, ``remindedBefore``),
so each level fires once and each reminder goes out once; after downtime only
the latest due reminder goes out, never a burst. Nothing fires once the gate
is decided.
"""

from __future__ import annotations

from datetime import datetime

from appdeploy.api.durations import format_duration
from appdeploy.api.notify import AddApprovers, EscalationLevel, NotifyEvent
from appdeploy.api.spec import Step
from appdeploy.api.status import StepPhase, StepStatus
from appdeploy.api.timestamps import format_timestamp, later
from appdeploy.engine.actions import EventType
from appdeploy.engine.gates import counted_approvers, gate_timeout
from appdeploy.engine.handoff_text import gate_body, release_title, who_can_help
from appdeploy.engine.outbox import add_notification, gate_audience, gate_key
from appdeploy.engine.reasons import Reason
from appdeploy.engine.state import RunState


def escalate_due(state: RunState, spec: Step, status: StepStatus) -> None:
    """Fire, in order, each escalation level whose moment has come, once each.

    Called before the deadline is checked: a level due before the deadline
    moves it first, as it would have had the operator been running.
    """
    assert spec.gate is not None
    notify = spec.gate.notify
    if notify is None or status.started_at is None or status.phase is not StepPhase.WAITING:
        return
    if len(counted_approvers(state, status)) >= spec.gate.required:
        return  # decided in this pass: no escalation after the decision
    for index in range(status.escalated, len(notify.escalate)):
        level = notify.escalate[index]
        if state.now < later(status.started_at, level.after):
            return
        status.escalated = index + 1
        _fire(state, spec, status, index + 1, level)


def _fire(
    state: RunState, spec: Step, status: StepStatus, number: int, level: EscalationLevel
) -> None:
    changes = [_widen(status, level), _extend(state, spec, status, number, level)]
    changes = [change for change in changes if change]
    waited = format_duration(level.after)
    summary = f"{spec.name} escalated (level {number}, waiting {waited})"
    state.post(
        EventType.NORMAL,
        Reason.GATE_ESCALATED,
        summary + (f": {'; '.join(changes)}" if changes else ""),
    )
    add_notification(
        state,
        NotifyEvent.GATE_ESCALATED,
        gate_audience(state, spec, status, NotifyEvent.GATE_ESCALATED),
        title=release_title(state, f"{spec.name} has waited {waited} for approval (escalated)"),
        text=gate_body(state, spec, status, status.message, "; ".join(changes)),
        step=spec.name,
        about=gate_key(status),
        ordinal=number,
        mentions=who_can_help(state, spec, status),
    )


def _widen(status: StepStatus, level: EscalationLevel) -> str:
    """Let the level's people decide too (this opening only); what changed, for the message."""
    if level.add_approvers is None:
        return ""
    added = status.added_approvers or AddApprovers()
    added.users += [u for u in level.add_approvers.users if u not in added.users]
    added.groups += [g for g in level.add_approvers.groups if g not in added.groups]
    status.added_approvers = added
    who = [*(f"group {g}" for g in level.add_approvers.groups), *level.add_approvers.users]
    return f"{', '.join(who)} may now decide"


def _extend(
    state: RunState, spec: Step, status: StepStatus, number: int, level: EscalationLevel
) -> str:
    """Move the deadline, capped: a gate waits at most twice its timeout in all."""
    if level.extend_deadline is None or status.deadline is None or status.started_at is None:
        return ""
    timeout = gate_timeout(state, spec)
    cap = later(status.started_at, timeout + timeout)
    moved = min(later(status.deadline, level.extend_deadline), cap)
    if moved <= status.deadline:
        return ""
    status.deadline = moved
    at = format_timestamp(moved)
    state.post(
        EventType.NORMAL,
        Reason.DEADLINE_EXTENDED,
        f"{spec.name}: deadline moved to {at} (escalation level {number})",
    )
    return f"deadline moved to {at}"


def remind_due(state: RunState, spec: Step, status: StepStatus) -> None:
    """Send the latest due reminder of a waiting gate, if it was not sent yet."""
    assert spec.gate is not None
    remind = spec.gate.notify.remind if spec.gate.notify else None
    if remind is None or status.phase is not StepPhase.WAITING or status.started_at is None:
        return
    latest: datetime | None = None
    if remind.every is not None:
        count = int((state.now - status.started_at) / remind.every)
        if count > status.reminded:
            status.reminded = count
            latest = later(status.started_at, remind.every * count)
    deadline = status.deadline
    if remind.before_deadline is not None and deadline is not None:
        moment = deadline - remind.before_deadline
        if moment <= state.now < deadline and status.reminded_before != deadline:
            status.reminded_before = deadline
            latest = max(latest or moment, moment)
    if latest is None:
        return
    # One message however many reminders came due while the operator was away;
    # its id names the moment it stands for, so a pass planned again adds it once.
    ordinal = status.reminded
    add_notification(
        state,
        NotifyEvent.GATE_REMINDED,
        gate_audience(state, spec, status, NotifyEvent.GATE_REMINDED),
        title=release_title(state, f"reminder: {spec.name} still waits for approval"),
        text=gate_body(state, spec, status, status.message),
        step=spec.name,
        about=gate_key(status),
        moment=f"@{format_timestamp(latest)}",
        ordinal=ordinal,
        mentions=who_can_help(state, spec, status),
    )


def next_handoff(state: RunState) -> list[datetime]:
    """The moments at which a waiting gate's next reminder or escalation level is due."""
    moments: list[datetime] = []
    for spec in state.spec.steps:
        notify = spec.gate.notify if spec.gate is not None else None
        if notify is None:
            continue
        status = state.step(spec.name)
        if status.phase is not StepPhase.WAITING or status.started_at is None:
            continue
        if status.escalated < len(notify.escalate):
            moments.append(later(status.started_at, notify.escalate[status.escalated].after))
        remind = notify.remind
        if remind is not None and remind.every is not None:
            moments.append(later(status.started_at, remind.every * (status.reminded + 1)))
        before = remind.before_deadline if remind is not None else None
        if before is not None and status.deadline and status.reminded_before != status.deadline:
            moments.append(max(status.deadline - before, state.now))
    return moments
