"""What a delivery worker does with one outbox record: pure functions of the record and ``now``.

The worker's I/O (reading the release, patching status, calling the provider)
lives in ``outbox.py``; every choice it makes is here, so it is tested
without a cluster or a provider: whether a record is due, what claiming and
recording write, how long to back off, when to give up, and what a record
left in ``Sending`` by a crashed operator becomes (docs/notifications.md,
"Delivery").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from appdeploy.api.channels import DeliveryGuarantee
from appdeploy.api.notifications import DeliveryState, Notification
from appdeploy.api.timestamps import utc_seconds

FIRST_BACKOFF = timedelta(seconds=10)
MAX_BACKOFF = timedelta(minutes=10)
MAX_ATTEMPTS = 10
GIVE_UP_AFTER = timedelta(hours=24)
"""A record not delivered this long after the planner decided it is Failed: the news is stale."""

OUTCOME_UNKNOWN = (
    "outcome unknown: the operator stopped while sending; not resent (delivery: AtMostOnce)"
)


def is_due(record: Notification, now: datetime) -> bool:
    """Pending, and its backoff (if any) has passed."""
    return record.state is DeliveryState.PENDING and (
        record.next_attempt_at is None or record.next_attempt_at <= now
    )


def is_expired(record: Notification, now: datetime) -> bool:
    """Too old to be worth sending (or retrying)."""
    return now >= record.created_at + GIVE_UP_AFTER


def claimed(record: Notification) -> Notification:
    """The record as a worker claims it: Sending, one attempt more."""
    return record.model_copy(
        update={"state": DeliveryState.SENDING, "attempts": record.attempts + 1}
    )


def sent(record: Notification, ref: str, now: datetime) -> Notification:
    """The record once the provider took it."""
    return record.model_copy(
        update={
            "state": DeliveryState.SENT,
            "ref": ref,
            "sent_at": utc_seconds(now),
            "next_attempt_at": None,
            "error": "",
        }
    )


def failed(record: Notification, error: str) -> Notification:
    """The record given up on."""
    return record.model_copy(
        update={"state": DeliveryState.FAILED, "next_attempt_at": None, "error": error}
    )


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait after ``attempts`` failed sends: 10s doubling to 10m, never less than asked."""
    doubling: timedelta = FIRST_BACKOFF * 2 ** max(min(attempts, 32) - 1, 0)
    wait = min(doubling, MAX_BACKOFF)
    if retry_after is not None and retry_after > wait.total_seconds():
        wait = timedelta(seconds=math.ceil(retry_after))
    return wait


def after_failure(
    record: Notification,
    error: str,
    now: datetime,
    *,
    retryable: bool,
    retry_after: float | None = None,
) -> Notification:
    """A claimed record after a failed send: Pending again with a backoff, or Failed.

    Failed after a failure the same request will meet again, after the
    ``MAX_ATTEMPTS``-th attempt, or once the record is ``GIVE_UP_AFTER`` old.
    """
    if not retryable:
        return failed(record, error)
    if record.attempts >= MAX_ATTEMPTS:
        return failed(record, f"gave up after {record.attempts} attempts: {error}")
    if is_expired(record, now):
        return failed(record, f"gave up {_hours(GIVE_UP_AFTER)} after it was due: {error}")
    # Rounded up to whole seconds (status keeps no fractions), never earlier than asked.
    wake = now + backoff(record.attempts, retry_after)
    if wake.microsecond:
        wake = wake.replace(microsecond=0) + timedelta(seconds=1)
    return record.model_copy(
        update={"state": DeliveryState.PENDING, "next_attempt_at": wake, "error": error}
    )


def expired(record: Notification) -> Notification:
    """A Pending record that waited too long to be sent at all (an operator down for a day)."""
    return failed(record, f"not delivered within {_hours(GIVE_UP_AFTER)}; not sent")


class Recovery(StrEnum):
    """What becomes of a record found in Sending that this process did not claim."""

    SEND_AGAIN = "SendAgain"
    """AtLeastOnce: ask the provider whether it has it, else send again with the same id."""
    GIVE_UP = "GiveUp"
    """AtMostOnce: it may have been sent; sending again could duplicate it."""


def recovery(guarantee: DeliveryGuarantee) -> Recovery:
    """How a record orphaned in Sending by a crash is settled, by the channel's guarantee."""
    if guarantee is DeliveryGuarantee.AT_MOST_ONCE:
        return Recovery.GIVE_UP
    return Recovery.SEND_AGAIN


@dataclass(frozen=True)
class References:
    """The provider references a record's message needs, or that it must wait."""

    ready: bool
    """False while the record it threads under, or replaces, is still on its way."""
    thread_ref: str = ""
    replaces_ref: str = ""


def references(record: Notification, by_id: Mapping[str, Notification]) -> References:
    """Thread and replace references from the records they name; wait while those are unsettled.

    A named record that was dropped from status or Failed gives no reference:
    the message goes out on its own rather than never.
    """
    refs: list[str] = []
    for target in (record.thread, record.replaces):
        other = by_id.get(target) if target else None
        if other is not None and not other.state.is_settled:
            return References(ready=False)
        refs.append(other.ref if other is not None and other.state is DeliveryState.SENT else "")
    return References(ready=True, thread_ref=refs[0], replaces_ref=refs[1])


@dataclass(frozen=True)
class Wakeup:
    """When a release's outbox needs a worker."""

    now: bool
    """A record is due, or was orphaned in Sending."""
    at: datetime | None = None
    """Otherwise the earliest backoff's end, if any."""


def wakeup(records: Iterable[Notification], now: datetime, claims: frozenset[str]) -> Wakeup:
    """Whether the outbox has work now, else when it will (``claims``: ids in flight here).

    A due record that waits for the one it threads under is not work yet: that
    one's own delivery (or backoff) wakes the outbox, and counting it here
    would spin a worker on a release with nothing to send.
    """
    records = list(records)
    by_id = {record.id: record for record in records}
    later: list[datetime] = []
    for record in records:
        if record.state is DeliveryState.SENDING and record.id not in claims:
            return Wakeup(now=True)
        if record.state is not DeliveryState.PENDING:
            continue
        if not is_due(record, now):
            assert record.next_attempt_at is not None
            later.append(record.next_attempt_at)
        elif references(record, by_id).ready:
            return Wakeup(now=True)
    return Wakeup(now=False, at=min(later) if later else None)


def _hours(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 3600)}h"
