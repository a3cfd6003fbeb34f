"""Who is told what: ``spec.notify`` and a gate's ``notify`` (docs/notifications.md).

The release's channels hear the events listed in ``on``; a gate's channels hear
its hand-off: opened, reminded, escalated, decided. The schedule of reminders
and escalation is computed from the gate's ``startedAt``, so every operator
restart computes the same moments.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from appdeploy.api.base import ApiModel, DnsLabel
from appdeploy.api.durations import Duration

REMIND_FLOOR = timedelta(minutes=5)
"""The shortest ``remind.every``: a reminder more often is noise, not a hand-off."""
MAX_ESCALATION_LEVELS = 10


class NotifyEvent(StrEnum):
    """What happened to a release that someone may want to hear about."""

    GATE_OPENED = "GateOpened"
    GATE_REMINDED = "GateReminded"
    GATE_ESCALATED = "GateEscalated"
    GATE_DECIDED = "GateDecided"
    STEP_FAILED = "StepFailed"
    RETRYING = "Retrying"
    WAIT_STARTED = "WaitStarted"
    WAIT_ENDED = "WaitEnded"
    RELEASE_SUCCEEDED = "ReleaseSucceeded"
    RELEASE_FAILED = "ReleaseFailed"
    RELEASE_CANCELLED = "ReleaseCancelled"


GATE_EVENTS = frozenset(
    {
        NotifyEvent.GATE_OPENED,
        NotifyEvent.GATE_REMINDED,
        NotifyEvent.GATE_ESCALATED,
        NotifyEvent.GATE_DECIDED,
    }
)

DEFAULT_EVENTS = (
    NotifyEvent.GATE_OPENED,
    NotifyEvent.GATE_REMINDED,
    NotifyEvent.GATE_ESCALATED,
    NotifyEvent.GATE_DECIDED,
    NotifyEvent.STEP_FAILED,
    NotifyEvent.RELEASE_SUCCEEDED,
    NotifyEvent.RELEASE_FAILED,
    NotifyEvent.RELEASE_CANCELLED,
)
"""What ``spec.notify`` sends when ``on`` is empty: hand-offs and outcomes, not every step."""


ChannelName = DnsLabel


BARE_ON = 'write "on" in quotes: YAML 1.1 (kubectl, PyYAML) reads a bare on: as the boolean true'


class ReleaseNotify(ApiModel):
    """Channels told about the whole release."""

    @model_validator(mode="before")
    @classmethod
    def _bare_on(cls, data: Any) -> Any:
        # kubectl turns the key `on` into "true"; say why instead of "unknown field true".
        if isinstance(data, dict) and any(key is True or key == "true" for key in data):
            raise ValueError(BARE_ON)
        return data

    channels: list[ChannelName] = Field(default_factory=list)
    """NotificationChannels in the release's namespace."""
    on: list[NotifyEvent] = Field(default_factory=list)
    """The events sent; empty means hand-offs and outcomes (docs/notifications.md)."""

    def events(self) -> frozenset[NotifyEvent]:
        """The events these channels hear."""
        return frozenset(self.on or DEFAULT_EVENTS)


class Remind(ApiModel):
    """Reminders while a gate waits."""

    every: Duration | None = None
    """Remind this long after the gate opened, and again each time it passes."""
    before_deadline: Duration | None = None
    """One more reminder this long before the deadline."""


class AddApprovers(ApiModel):
    """People who may also decide the gate once this level fires (for this run only)."""

    users: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """Usernames."""
    groups: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    """Groups (service accounts never decide through a group)."""


class EscalationNotify(ApiModel):
    """Channels told when an escalation level fires."""

    channels: Annotated[list[ChannelName], Field(min_length=1)]
    """NotificationChannels in the release's namespace."""


class EscalationLevel(ApiModel):
    """One rung of the ladder: fires once, ``after`` the gate opened, if it is still waiting."""

    after: Duration
    """Time since the gate opened."""
    notify: EscalationNotify | None = None
    """Channels told (besides the gate's own)."""
    add_approvers: AddApprovers | None = None
    """Who may also decide from now on."""
    extend_deadline: Duration | None = None
    """Move the deadline this much later (in all, at most the gate's timeout)."""


class GateNotify(ApiModel):
    """Who hears about one gate, and when they are reminded and escalated to."""

    channels: list[ChannelName] = Field(default_factory=list)
    """Channels told when the gate opens, is reminded, escalated and decided."""
    remind: Remind | None = None
    """Reminders while it waits."""
    escalate: Annotated[list[EscalationLevel], Field(max_length=MAX_ESCALATION_LEVELS)] = Field(
        default_factory=list
    )
    """The escalation ladder, in order of ``after``."""
