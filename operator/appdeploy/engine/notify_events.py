"""The notifications a pass's transitions call for, and the NotificationsReady condition.

Read from the same before/after comparison as the Events (``summary``), so a
message goes out exactly when its transition is stored: a pass that loses its
status write adds nothing, and the next pass sees the transition again and adds
the same records (same ids).
"""

from __future__ import annotations

from collections.abc import Mapping

from appdeploy.api.notify import NotifyEvent
from appdeploy.api.spec import StepType
from appdeploy.api.status import ConditionStatus, Phase, StepPhase, StepStatus
from appdeploy.engine.gate_conditions import WantedCondition
from appdeploy.engine.gates import counted_approvers
from appdeploy.engine.handoff_text import gate_body, release_title, who_can_help
from appdeploy.engine.handoffs import remind_due
from appdeploy.engine.inputs import ChannelState
from appdeploy.engine.outbox import (
    add_notification,
    every_channel,
    gate_audience,
    gate_key,
    release_channels,
)
from appdeploy.engine.state import RunState

NOTIFICATIONS_READY = "NotificationsReady"

Before = Mapping[str, tuple[StepPhase, int, str]]


def notify_transitions(state: RunState, before: Before, before_phase: Phase) -> None:
    """Queue the messages for what changed in this pass, then any due reminders."""
    for status in state.status.steps:
        old = before.get(status.name)
        old_phase, old_attempts = (old[0], old[1]) if old else (StepPhase.PENDING, 0)
        if old_phase is status.phase and old_attempts == status.attempts:
            continue
        asks_people = StepPhase.WAITING in (old_phase, status.phase)
        if status.type is StepType.GATE or (status.type is StepType.CHECK and asks_people):
            _gate(state, status, old_phase)
        elif status.type in (StepType.RUN, StepType.CHECK):
            _run(state, status)
        else:
            _wait(state, status, old_phase)
    _release(state, before_phase)
    for spec in state.spec.steps:
        if spec.gate is not None:
            remind_due(state, spec, state.step(spec.name))


def _gate(state: RunState, status: StepStatus, old: StepPhase) -> None:
    spec = state.spec_step(status.name)
    assert spec.decision_gate() is not None
    if status.phase is StepPhase.WAITING:
        event = NotifyEvent.GATE_OPENED
        title = f"{status.name} waits for your approval"
        text = gate_body(state, spec, status, status.message)
    elif old is StepPhase.WAITING and status.phase.is_done:
        event = NotifyEvent.GATE_DECIDED
        title = _decided_title(state, status)
        text = status.message
    else:
        return
    add_notification(
        state,
        event,
        gate_audience(state, spec, status, event),
        title=release_title(state, title),
        text=text,
        step=status.name,
        about=gate_key(status),
        mentions=who_can_help(state, spec, status) if event is NotifyEvent.GATE_OPENED else None,
    )


def _decided_title(state: RunState, status: StepStatus) -> str:
    if status.phase is StepPhase.SUCCEEDED:
        approvers = counted_approvers(state, status)
        by = f"approved by {', '.join(approvers)}" if approvers else "approved at its deadline"
        return f"{status.name} {by}"
    if status.rejection is not None:
        return f"{status.name} rejected by {status.rejection.user}"
    return f"{status.name} {status.phase.lower()}"


def _run(state: RunState, status: StepStatus) -> None:
    if status.phase is StepPhase.FAILED:
        event, title = NotifyEvent.STEP_FAILED, f"{status.name} failed"
    elif status.phase is StepPhase.RETRYING and not status.job_refused:
        event, title = NotifyEvent.RETRYING, f"{status.name} failed; retrying"
    else:
        return
    add_notification(
        state,
        event,
        release_channels(state, event),
        title=release_title(state, title),
        text=status.message,
        step=status.name,
        ordinal=status.attempts,
    )


def _wait(state: RunState, status: StepStatus, old: StepPhase) -> None:
    if status.phase is StepPhase.RUNNING:
        event, title = NotifyEvent.WAIT_STARTED, f"{status.name} soaks"
    elif old is StepPhase.RUNNING and status.phase is StepPhase.SUCCEEDED:
        event, title = NotifyEvent.WAIT_ENDED, f"{status.name} ended"
    else:
        return
    add_notification(
        state,
        event,
        release_channels(state, event),
        title=release_title(state, title),
        text=state.status.message if event is NotifyEvent.WAIT_STARTED else "",
        step=status.name,
    )


_OUTCOMES = {
    Phase.SUCCEEDED: (NotifyEvent.RELEASE_SUCCEEDED, "released"),
    Phase.FAILED: (NotifyEvent.RELEASE_FAILED, "release failed"),
    Phase.CANCELLED: (NotifyEvent.RELEASE_CANCELLED, "release cancelled"),
}


def _release(state: RunState, before_phase: Phase) -> None:
    phase = state.status.phase
    if phase == before_phase or phase not in _OUTCOMES:
        return
    event, title = _OUTCOMES[phase]
    add_notification(
        state,
        event,
        release_channels(state, event),
        title=release_title(state, title),
        text=state.status.message,
    )


def notifications_condition(
    state: RunState, channels: Mapping[str, ChannelState] | None
) -> list[WantedCondition]:
    """NotificationsReady for a release that names channels, when the operator looked."""
    named = every_channel(state)
    if not named or channels is None:
        return []
    missing = [name for name in named if name not in channels]
    if missing:
        return [
            WantedCondition(
                NOTIFICATIONS_READY,
                ConditionStatus.FALSE,
                "ChannelNotFound",
                f"no NotificationChannel {', '.join(missing)} in {state.release.namespace}; "
                "the release runs, and its messages wait for the channel",
            )
        ]
    broken = [(name, channels[name]) for name in named if not channels[name].ready]
    if broken:
        return [
            WantedCondition(
                NOTIFICATIONS_READY,
                ConditionStatus.FALSE,
                "ChannelNotReady",
                "; ".join(f"{name}: {channel.reason or 'not ready'}" for name, channel in broken),
            )
        ]
    return [
        WantedCondition(
            NOTIFICATIONS_READY,
            ConditionStatus.TRUE,
            "ChannelsReady",
            f"{len(named)} channel(s) ready: {', '.join(named)}",
        )
    ]
