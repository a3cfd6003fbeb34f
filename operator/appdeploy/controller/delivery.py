"""Scheduling delivery: its own queue of releases and its own tasks, off the reconcile path.

The release watch hands every AppDeployment it sees to ``release_seen``;
a release whose outbox has work (a record due, or one a crash left in
Sending) is queued now, one whose records back off is queued for the end of
the earliest backoff. ``--delivery-workers`` tasks drain the queue; sends are
async, API calls run on delivery's own threads, so a slow or failing channel
holds up neither a reconcile nor another release (one release's records are
delivered by one task at a time, channel by channel side by side).

A failed pass (an API error) is retried per release with backoff, like a
reconcile (controller/task_pool.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from appdeploy.api.notifications import Notification
from appdeploy.controller import metrics
from appdeploy.controller.cache import Key
from appdeploy.controller.queue import WorkQueue
from appdeploy.controller.task_pool import TaskPool
from appdeploy.notify import decisions
from appdeploy.notify.outbox import OutboxDelivery, Outcome, read_records

log = logging.getLogger("appdeploy.delivery")

STILL_DUE_DELAY = 5.0
"""A pass that left work it could not do (a claim lost to a change) looks again this soon,
should no watch event come first."""


class DeliveryMetrics:
    """The Prometheus side of ``appdeploy.notify.outbox.DeliveryObserver``."""

    def delivered(self, record: Notification, outcome: Outcome) -> None:
        metrics.NOTIFICATIONS.labels(record.channel, str(record.event), str(outcome)).inc()
        if record.sent_at is not None and outcome in (Outcome.SENT, Outcome.RECOVERED):
            seconds = (record.sent_at - record.created_at).total_seconds()
            metrics.NOTIFICATION_DELIVERY_SECONDS.observe(max(seconds, 0.0))

    def event_posted(self, type_: str, reason: str) -> None:
        metrics.EVENTS.labels(type_, reason).inc()


class Delivery:
    """The delivery queue and its tasks."""

    def __init__(
        self,
        outbox: OutboxDelivery,
        count: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outbox = outbox
        self.clock = clock
        self.queue: WorkQueue[Key] = WorkQueue()
        self.pool = TaskPool(self.queue, self._deliver, count, "delivery")

    def release_seen(self, key: Key, status: Mapping[str, Any] | None) -> None:
        """Queue the release if its outbox has work now, or for when it will; any thread."""
        records = [entry.record for entry in read_records(status)]
        if not records:
            return
        now = self.clock()
        wake = decisions.wakeup(records, now, self.outbox.claims.snapshot())
        if wake.now:
            self.queue.add(key)
        elif wake.at is not None:
            self.queue.add_after(key, max((wake.at - now).total_seconds(), 0.0))

    def start(self) -> None:
        """Start the delivery tasks in the running loop."""
        self.pool.start()

    async def stop(self) -> None:
        """Cancel the tasks, wait for them, close the transports and threads."""
        await self.pool.stop()
        await self.outbox.transports.close()
        self.outbox.blocking.close()

    async def _deliver(self, key: Key) -> float | None:
        wake = await self.outbox.deliver(*key)
        if wake.now:
            return STILL_DUE_DELAY
        if wake.at is not None:
            return max((wake.at - self.clock()).total_seconds(), 0.0)
        return None
