"""The outbox: notifications the planner decided to send, kept in the release's status.

The planner adds a record (``Pending``) in the same status write that records
the event, with an id derived from what it is about, so a pass planned twice
adds it once. Delivery workers claim a record (``Sending``, one attempt more),
send it with the id as idempotency key, and record ``Sent`` with the provider's
reference, or back off; after the last attempt it is ``Failed``. The release
itself never waits on any of this (docs/notifications.md).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import Field

from appdeploy.api.base import StatusModel
from appdeploy.api.notify import NotifyEvent
from appdeploy.api.timestamps import Timestamp

NOTIFICATIONS_LIMIT = 100
"""Records kept in status: delivered ones are dropped oldest first beyond this."""


class DeliveryState(StrEnum):
    """Where one notification is."""

    PENDING = "Pending"
    SENDING = "Sending"
    SENT = "Sent"
    FAILED = "Failed"

    @property
    def is_settled(self) -> bool:
        """True when no worker will touch the record again."""
        return self in (DeliveryState.SENT, DeliveryState.FAILED)


class Mentions(StatusModel):
    """Who the message is for: mentioned on transports whose channel directory knows them."""

    users: list[str] = Field(default_factory=list)
    """Usernames who can still help (allowed, not yet decided, not barred)."""
    groups: list[str] = Field(default_factory=list)
    """Groups whose members can still help."""
    except_users: list[str] = Field(default_factory=list)
    """Members of those groups who cannot (already decided, or barred by distinctFrom)."""


class Notification(StatusModel):
    """One message to one channel, and what became of it."""

    id: str
    """Deterministic: the idempotency key, and Slack's message metadata."""
    event: NotifyEvent
    """What happened."""
    channel: str
    """The NotificationChannel's name (the release's namespace)."""
    run: int
    """The run it is about."""
    step: str = ""
    """The step it is about; empty for the release's outcome."""
    ordinal: int = 0
    """Reminder number, or escalation level (from 1); 0 otherwise."""
    title: str
    """One line, e.g. ``shop 4.12.0: qa-signoff waits for your approval``."""
    text: str = ""
    """The body: tally, who can help, deadline, the command, the console link."""
    mentions: Mentions = Field(default_factory=Mentions)
    """Who to mention."""
    thread: str = ""
    """Id of the record this one follows (a Slack thread, an e-mail's In-Reply-To)."""
    replaces: str = ""
    """Id of the record whose message this one updates (Slack's first message of a gate)."""
    state: DeliveryState = DeliveryState.PENDING
    """Pending, Sending, Sent or Failed."""
    created_at: Timestamp
    """When the planner decided it."""
    attempts: int = 0
    """Sends tried."""
    next_attempt_at: Timestamp | None = None
    """While Pending after a failure: not before this."""
    sent_at: Timestamp | None = None
    """When the provider accepted it."""
    ref: str = ""
    """The provider's reference: Slack's ``ts``, PagerDuty's ``dedup_key``, the SMTP Message-ID."""
    error: str = ""
    """The last failure, in the provider's words (never a credential)."""


def notification_id(
    uid: str, run: int, step: str, event: str, *, ordinal: int, channel: str
) -> str:
    """The record's id: the same inputs always give the same id, across passes and restarts."""
    text = "\0".join((uid, str(run), step, event, str(ordinal), channel))
    return hashlib.sha256(text.encode()).hexdigest()[:20]
