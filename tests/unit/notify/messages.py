"""Outbox records and messages for the transport tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from appdeploy.api.channels import Directory
from appdeploy.api.notifications import Mentions, Notification, notification_id
from appdeploy.api.notify import NotifyEvent
from appdeploy.notify.transport import Message

T = TypeVar("T")
RELEASE = "mobile-releases/shop-4-12-0"
UID = "5f0c2a8e-uid"
DIRECTORY = Directory(
    users={"alice@example.com": "U0ALICE", "bob@example.com": "U0BOB"},
    groups={"qa": "<!subteam^S0QA>"},
)


def a_record(
    event: NotifyEvent = NotifyEvent.GATE_OPENED,
    *,
    step: str = "qa-signoff",
    ordinal: int = 0,
    channel: str = "mobile-qa",
    created_at: datetime | None = None,
    **fields: Any,
) -> Notification:
    """A record as the planner would write it (id derived the planner's way)."""
    defaults: dict[str, Any] = {
        "title": f"shop 4.12.0: {step} waits for your approval",
        "text": "0 of 2 approvals. Approve: kubectl appdeploy approve shop-4-12-0 qa-signoff",
        "mentions": Mentions(users=["alice@example.com"], groups=["qa"], except_users=["bob"]),
    }
    return Notification(
        id=notification_id(UID, 3, step, str(event), ordinal=ordinal, channel=channel),
        event=event,
        channel=channel,
        run=3,
        step=step,
        ordinal=ordinal,
        created_at=created_at or datetime.now(UTC),
        **{**defaults, **fields},
    )


def a_message(record: Notification | None = None, **refs: str) -> Message:
    return Message(record=record or a_record(), release=RELEASE, directory=DIRECTORY, **refs)


def run(story: Coroutine[Any, Any, T]) -> T:
    """Run one async story to the end (the fakes serve from their own threads)."""
    return asyncio.run(story)
