"""Delivering one release's outbox: claim, send, record, each record on its own.

For the release, in list order per channel (channels side by side), each due
record is claimed with one JSON patch (Sending, one attempt more; the patch
tests the record as read, so of two claimers one wins), sent with its id as
the idempotency key, and recorded with one more patch (Sent with the
provider's reference, or Pending after a backoff, or Failed). What to write
is decided in ``decisions.py``; this module only does the I/O, and never lets
a credential reach status, an Event or a log line (``redact``).

A record found in Sending that this process did not claim was in flight when
an operator died: an AtLeastOnce channel is asked whether it has it
(``find_sent``) and it is sent again if not, with the same id; an AtMostOnce
channel's record is Failed, outcome unknown. One operator per namespace is
assumed (the chart runs one replica, strategy Recreate): a second live one
would take the first one's claims for orphans.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from pydantic import ValidationError

from appdeploy.api.channels import DeliveryGuarantee
from appdeploy.api.notifications import DeliveryState, Notification
from appdeploy.api.timestamps import format_timestamp
from appdeploy.api.tolerant import validate_known
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.failpoints import failpoint
from appdeploy.notify import decisions
from appdeploy.notify.blocking import Blocking
from appdeploy.notify.channel_transports import (
    ChannelTransport,
    ChannelTransports,
    ChannelUnavailable,
)
from appdeploy.notify.patches import claim_ops, record_ops
from appdeploy.notify.transport import DeliveryError, Message

log = logging.getLogger("appdeploy.delivery")

SEND_TIMEOUT = 60.0
"""Seconds a provider gets to take one message before the attempt counts as failed."""
LAST_DELIVERY_EVERY = 60.0
"""Seconds between writes of a channel's lastDelivery while the outcome stays the same."""


class Outcome(StrEnum):
    """``appdeploy_notifications_total``'s outcome label."""

    SENT = "sent"
    RETRIED = "retried"
    FAILED = "failed"
    RECOVERED = "recovered"
    """A record a crash left in Sending, found at the provider or sent again."""


class DeliveryObserver(Protocol):
    """Metrics of deliveries (the controller's Prometheus counters)."""

    def delivered(self, record: Notification, outcome: Outcome) -> None:
        """A record was recorded with ``outcome``."""

    def event_posted(self, type_: str, reason: str) -> None:
        """An Event was posted on the release."""


class Claims:
    """Ids of the records this process claimed and has not recorded yet; any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[str] = set()

    def add(self, record_id: str) -> None:
        with self._lock:
            self._ids.add(record_id)

    def discard(self, record_id: str) -> None:
        with self._lock:
            self._ids.discard(record_id)

    def snapshot(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._ids)


@dataclass
class _Entry:
    index: int
    stored: Mapping[str, Any]
    """The record as read from the API server (claims test it exactly)."""
    record: Notification


def read_records(status: Mapping[str, Any] | None) -> list[_Entry]:
    """The outbox of a status, by index; a record that cannot be read is skipped."""
    raw = (status or {}).get("notifications") or []
    entries = []
    for index, stored in enumerate(raw if isinstance(raw, list) else []):
        try:
            entries.append(_Entry(index, stored, validate_known(Notification, stored)))
        except (ValidationError, TypeError):
            log.warning("status.notifications[%d] cannot be read; skipped", index)
    return entries


class OutboxDelivery:
    """Delivers the outboxes of releases through channel transports."""

    def __init__(
        self,
        cluster: Cluster,
        transports: ChannelTransports,
        blocking: Blocking,
        observer: DeliveryObserver,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        claims: Claims | None = None,
    ) -> None:
        self.cluster = cluster
        self.transports = transports
        self.blocking = blocking
        self.observer = observer
        self.clock = clock
        self.claims = claims or Claims()
        self._last_delivery: dict[tuple[str, str], tuple[str, datetime]] = {}

    async def deliver(self, namespace: str, name: str) -> decisions.Wakeup:
        """One pass over the release's outbox; when it needs another."""
        release = await self.blocking(self.cluster.get_release, namespace, name)
        if release is None:
            return decisions.Wakeup(now=False)
        entries = read_records(release.get("status"))
        by_id = {entry.record.id: entry.record for entry in entries}
        channels: dict[str, list[_Entry]] = {}
        for entry in entries:
            if not entry.record.state.is_settled:
                channels.setdefault(entry.record.channel, []).append(entry)
        await asyncio.gather(
            *(self._channel(release, channel, work, by_id) for channel, work in channels.items())
        )
        records = [entry.record for entry in entries]
        return decisions.wakeup(records, self.clock(), self.claims.snapshot())

    async def _channel(
        self,
        release: dict[str, Any],
        channel: str,
        entries: list[_Entry],
        by_id: dict[str, Notification],
    ) -> None:
        namespace = release["metadata"]["namespace"]
        try:
            transport: ChannelTransport | ChannelUnavailable = await self.transports.get(
                namespace, channel
            )
        except ChannelUnavailable as unavailable:
            transport = unavailable
        for entry in entries:
            record, now = entry.record, self.clock()
            if record.state is DeliveryState.SENDING and record.id not in self.claims.snapshot():
                await self._recover(release, entry, transport, by_id)
            elif decisions.is_due(record, now):
                if decisions.is_expired(record, now):
                    await self._settle(release, entry, decisions.expired(record), claim=None)
                    continue
                if not decisions.references(record, by_id).ready:
                    continue  # its thread's first message is still on its way
                claim = decisions.claimed(record)
                if not await self._patch(release, claim_ops(entry.index, entry.stored, claim)):
                    log.info(
                        "%s/%s: notification %s changed meanwhile; left alone",
                        namespace,
                        release["metadata"]["name"],
                        record.id,
                    )
                    continue
                entry.record = by_id[record.id] = claim
                await self._attempt(release, entry, claim, transport, by_id)
            by_id[record.id] = entry.record

    async def _recover(
        self,
        release: dict[str, Any],
        entry: _Entry,
        transport: ChannelTransport | ChannelUnavailable,
        by_id: dict[str, Notification],
    ) -> None:
        orphan = entry.record
        guarantee = (
            transport.guarantee
            if isinstance(transport, ChannelUnavailable)
            else transport.spec.guarantee()
        )
        if guarantee is None:
            return  # which guarantee applies is unknown until the channel can be read again
        if decisions.recovery(guarantee) is decisions.Recovery.GIVE_UP:
            await self._settle(
                release, entry, decisions.failed(orphan, decisions.OUTCOME_UNKNOWN), claim=orphan
            )
            return
        claim = decisions.claimed(orphan)  # a new attempt: no second recoverer will send it too
        if not await self._patch(release, record_ops(entry.index, orphan, claim)):
            return
        entry.record = by_id[orphan.id] = claim
        await self._attempt(release, entry, claim, transport, by_id, recovering=True)

    async def _attempt(
        self,
        release: dict[str, Any],
        entry: _Entry,
        claim: Notification,
        transport: ChannelTransport | ChannelUnavailable,
        by_id: dict[str, Notification],
        *,
        recovering: bool = False,
    ) -> None:
        self.claims.add(claim.id)
        try:
            failpoint("after-notification-claim")
            outcome = await self._send(release, claim, transport, by_id)
            await self._settle(release, entry, outcome, claim=claim, recovering=recovering)
        finally:
            self.claims.discard(claim.id)

    async def _send(
        self,
        release: dict[str, Any],
        claim: Notification,
        transport: ChannelTransport | ChannelUnavailable,
        by_id: Mapping[str, Notification],
    ) -> Notification:
        now = self.clock()
        if isinstance(transport, ChannelUnavailable):
            return decisions.after_failure(claim, str(transport), now, retryable=True)
        refs = decisions.references(claim, by_id)
        metadata = release["metadata"]
        message = Message(
            record=claim,
            release=f"{metadata['namespace']}/{metadata['name']}",
            directory=transport.spec.directory,
            thread_ref=refs.thread_ref,
            replaces_ref=refs.replaces_ref,
        )
        at_most_once = transport.spec.guarantee() is DeliveryGuarantee.AT_MOST_ONCE
        try:
            # Tried before (a crash, a timeout): the provider may have it already.
            ref = await transport.transport.find_sent(message) if claim.attempts > 1 else None
            if ref is None:
                ref = await asyncio.wait_for(transport.transport.send(message), SEND_TIMEOUT)
        except DeliveryError as error:
            return decisions.after_failure(
                claim,
                transport.redact(str(error)),
                self.clock(),
                retryable=error.retryable,
                retry_after=error.retry_after,
            )
        except TimeoutError:
            text = f"no answer within {SEND_TIMEOUT:.0f}s"
            if at_most_once:  # it may have arrived: sending again could duplicate it
                return decisions.failed(claim, f"outcome unknown: {text}; not resent (AtMostOnce)")
            return decisions.after_failure(claim, text, self.clock(), retryable=True)
        except (
            Exception
        ) as error:  # a transport bug must not stop delivery; its text may hold a URL
            log.warning("%s: transport error %s", claim.channel, type(error).__name__)
            text = f"unexpected {type(error).__name__} from the transport"
            return decisions.after_failure(claim, text, self.clock(), retryable=True)
        failpoint("after-notification-send")
        return decisions.sent(claim, ref, self.clock())

    async def _settle(
        self,
        release: dict[str, Any],
        entry: _Entry,
        new: Notification,
        *,
        claim: Notification | None,
        recovering: bool = False,
    ) -> None:
        """Record ``new`` (testing ``claim``, or the stored record), then report it."""
        ops = (
            record_ops(entry.index, claim, new)
            if claim is not None
            else claim_ops(entry.index, entry.stored, new)
        )
        if not await self._patch(release, ops):
            log.warning(
                "%s/%s: notification %s changed while it was being sent; not recorded",
                release["metadata"]["namespace"],
                release["metadata"]["name"],
                new.id,
            )
            return
        entry.record = new
        if new.state is DeliveryState.SENT:
            outcome = Outcome.RECOVERED if recovering else Outcome.SENT
        elif new.state is DeliveryState.FAILED:
            outcome = Outcome.FAILED
        else:
            outcome = Outcome.RETRIED
        self.observer.delivered(new, outcome)
        await self._report(release, new, outcome)

    async def _report(
        self, release: dict[str, Any], record: Notification, outcome: Outcome
    ) -> None:
        metadata = release["metadata"]
        where = f"{metadata['namespace']}/{metadata['name']}"
        event = ""
        if outcome is Outcome.FAILED:
            event = "NotificationFailed"
            text = f"{record.event} to channel {record.channel} failed: {record.error}"
            log.warning("%s: %s", where, text, extra={"release": where, "reason": event})
        elif outcome is Outcome.RETRIED and record.attempts == 1:
            event = "NotificationRetrying"
            assert record.next_attempt_at is not None
            text = (
                f"{record.event} to channel {record.channel} not delivered yet, retrying at "
                f"{format_timestamp(record.next_attempt_at)}: {record.error}"
            )
            log.info("%s: %s", where, text, extra={"release": where, "reason": event})
        else:
            log.debug("%s: %s to %s: %s", where, record.event, record.channel, outcome)
        if event:
            try:
                await self.blocking(
                    self.cluster.post_event, release, "Warning", event, text, self.clock()
                )
                self.observer.event_posted("Warning", event)
            except Exception as error:  # an Event is a report, never a reason to stop
                log.warning("could not post Event %s on %s: %s", event, where, error)
        if outcome is not Outcome.RETRIED:
            await self._last(metadata["namespace"], record, outcome)

    async def _last(self, namespace: str, record: Notification, outcome: Outcome) -> None:
        """The channel's lastDelivery, so its Ready condition tells a failing channel."""
        result = "Failed" if outcome is Outcome.FAILED else "Sent"
        now, key = self.clock(), (namespace, record.channel)
        last = self._last_delivery.get(key)
        unchanged = last is not None and last[0] == result
        if unchanged and last is not None and (now - last[1]).total_seconds() < LAST_DELIVERY_EVERY:
            return
        body = {"at": format_timestamp(now), "outcome": result}
        if result == "Failed":
            body["message"] = record.error
        try:
            await self.blocking(
                self.cluster.patch_channel_status, namespace, record.channel, {"lastDelivery": body}
            )
            self._last_delivery[key] = (result, now)
        except Exception as error:
            log.warning(
                "could not record the last delivery of channel %s/%s: %s",
                namespace,
                record.channel,
                error,
            )

    async def _patch(self, release: dict[str, Any], ops: list[dict[str, Any]]) -> bool:
        metadata = release["metadata"]
        return await self.blocking(
            self.cluster.patch_release_status, metadata["namespace"], metadata["name"], ops
        )
