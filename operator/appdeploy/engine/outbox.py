"""Adding notifications to the outbox: which channels hear an event, and the record itself.

The planner only decides; the records it adds go out in the status write the
pass makes anyway, and delivery workers send them later (docs/notifications.md).
A record's id is derived from what it is about, so a pass planned again (after
a lost write race, or a crash before the write) adds the same record once.
"""

from __future__ import annotations

from appdeploy.api.notifications import (
    NOTIFICATIONS_LIMIT,
    Mentions,
    Notification,
    notification_id,
)
from appdeploy.api.notify import GATE_EVENTS, NotifyEvent
from appdeploy.api.notify_validation import named_channels
from appdeploy.api.spec import Step
from appdeploy.api.status import StepStatus
from appdeploy.engine.reasons import Reason
from appdeploy.engine.state import RunState


def release_channels(state: RunState, event: NotifyEvent) -> list[str]:
    """The release's channels that listen to ``event``."""
    notify = state.spec.notify
    if notify is None or event not in notify.events():
        return []
    return list(notify.channels)


def gate_audience(state: RunState, spec: Step, status: StepStatus, event: NotifyEvent) -> list[str]:
    """Who hears a gate's hand-off: its channels, the release's, and those of fired levels."""
    gate = spec.decision_gate()
    assert gate is not None
    channels: list[str] = []
    notify = gate.notify
    if notify is not None:
        channels += notify.channels
        for level in notify.escalate[: status.escalated]:
            channels += level.notify.channels if level.notify else []
    channels += release_channels(state, event)
    return _unique(channels)


def every_channel(state: RunState) -> list[str]:
    """Every channel the release names anywhere, in order of first mention."""
    return _unique([name for _, name in named_channels(state.spec)])


def gate_key(status: StepStatus) -> str:
    """What a gate's records are about: the gate in one opening (a retried gate opens again)."""
    return f"{status.name}#{status.opened}"


def add_notification(
    state: RunState,
    event: NotifyEvent,
    channels: list[str],
    *,
    title: str,
    text: str,
    step: str = "",
    about: str = "",
    ordinal: int = 0,
    moment: str = "",
    mentions: Mentions | None = None,
) -> None:
    """Queue one record per channel (once per id); gate records thread under the opening.

    ``about`` is what the record is about (``gate_key`` for a gate's hand-off;
    ``step`` by default); ``moment`` tells apart records of the same event and
    ordinal that stand for different moments (a reminder before a moved deadline).
    """
    for channel in channels:
        record_id = _id(state, (about or step) + moment, event, ordinal, channel)
        if any(record.id == record_id for record in state.status.notifications):
            continue
        thread = ""
        if event in GATE_EVENTS and event is not NotifyEvent.GATE_OPENED:
            thread = _first_of_gate(state, about or step, channel)
        state.status.notifications.append(
            Notification(
                id=record_id,
                event=event,
                channel=channel,
                run=state.run,
                step=step,
                ordinal=ordinal,
                title=title,
                text=text,
                mentions=mentions or Mentions(),
                thread=thread,
                replaces=thread if event is NotifyEvent.GATE_DECIDED else "",
                created_at=state.now,
            )
        )
    _prune(state)


def _id(state: RunState, about: str, event: NotifyEvent, ordinal: int, channel: str) -> str:
    return notification_id(
        state.release.uid or f"{state.release.namespace}/{state.release.name}",
        state.run,
        about,
        str(event),
        ordinal=ordinal,
        channel=channel,
    )


def _first_of_gate(state: RunState, about: str, channel: str) -> str:
    """The id of the first record of this gate opening on ``channel``, or "" (no thread)."""
    for event in (NotifyEvent.GATE_OPENED, NotifyEvent.GATE_ESCALATED):
        for record in state.status.notifications:
            same_opening = record.run == state.run and record.event is event
            if same_opening and record.channel == channel and _about(state, record, about):
                return record.id
    return ""


def _about(state: RunState, record: Notification, about: str) -> bool:
    return record.id == _id(state, about, record.event, record.ordinal, record.channel)


def _prune(state: RunState) -> None:
    """Keep the outbox bounded: delivered records go first, oldest first."""
    records = state.status.notifications
    excess = len(records) - NOTIFICATIONS_LIMIT
    if excess <= 0:
        return
    settled = [record for record in records if record.state.is_settled][:excess]
    dropped = {record.id for record in settled}
    kept = [record for record in records if record.id not in dropped]
    if len(kept) > NOTIFICATIONS_LIMIT:
        lost = kept[: len(kept) - NOTIFICATIONS_LIMIT]
        kept = kept[len(lost) :]
        state.warn(
            Reason.NOTIFICATIONS_DROPPED,
            f"{len(lost)} undelivered notification(s) dropped: the outbox holds at most "
            f"{NOTIFICATIONS_LIMIT} (are the channels delivering?)",
        )
    state.status.notifications = kept


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
