"""Claims on the real API server: of two workers that read the same Pending records, each
record is sent by exactly one (the claim's JSON patch tests the record as read).

The two deliveries run in this process against a release no operator watches,
through the recording transport; a barrier makes both read the outbox before
either claims anything.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from appdeploy.api.notifications import Notification
from appdeploy.k8s.cluster import Cluster
from appdeploy.notify.blocking import Blocking
from appdeploy.notify.channel_transports import ChannelTransports
from appdeploy.notify.outbox import Claims, OutboxDelivery, Outcome
from tests.integration.outbox_setup import Outbox, record, webhook_channel
from tests.integration.recording_transport import LOG_ENV, read_sends, transport_for

RECORDS = 12


class Outcomes:
    """What the deliveries reported (the metrics' view)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Outcome]] = []

    def delivered(self, record: Notification, outcome: Outcome) -> None:
        self.seen.append((record.id, outcome))

    def event_posted(self, type_: str, reason: str) -> None:
        return None


def test_two_claimers_never_both_send(
    api_client: Any, unwatched_namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "sends.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log))
    outbox = Outbox(api_client, unwatched_namespace)
    outbox.secret("hook", {"url": "http://127.0.0.1:9/hook"})
    outbox.channel("qa", webhook_channel())
    uid = outbox.release("shop")
    records = [record(uid, "qa", ordinal=n, event="GateReminded") for n in range(RECORDS)]
    outbox.write("shop", *records)

    cluster = Cluster(api_client)
    both_read = threading.Barrier(2)

    def lookup(namespace: str, name: str) -> dict[str, Any] | None:
        both_read.wait(30)  # each has read the release (all Pending) before either claims
        return cluster.get_channel(namespace, name)

    outcomes, claims = Outcomes(), Claims()

    def delivery() -> OutboxDelivery:
        blocking = Blocking(4)
        transports = ChannelTransports(cluster, lookup, blocking, (), factory=transport_for)
        return OutboxDelivery(cluster, transports, blocking, outcomes, claims=claims)

    async def deliver_twice() -> None:
        first, second = delivery(), delivery()
        await asyncio.gather(
            first.deliver(unwatched_namespace, "shop"), second.deliver(unwatched_namespace, "shop")
        )

    asyncio.run(deliver_twice())

    sent = sorted(send["id"] for send in read_sends(log))
    assert sent == sorted(r.id for r in records)  # every record once, none twice
    assert sorted(outcomes.seen) == sorted((r.id, Outcome.SENT) for r in records)
    stored = outbox.records("shop")
    assert {r.state for r in stored.values()} == {"Sent"}
    assert {r.attempts for r in stored.values()} == {1}
