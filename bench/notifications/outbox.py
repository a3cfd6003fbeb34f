"""The outbox records the bench sees in releases' status, and when it first saw each state.

Fed by the bench's release watch (the same events the gate-Waiting stamps
come from). A record is first seen in the status write that opened (or
decided) its gate, so "first seen" is the planner's decision as observed
from outside, on the same monotonic clock as the sinks' receipts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SETTLED = ("Sent", "Failed")


@dataclass
class SeenRecord:
    """One outbox record as the bench saw it over time."""

    release: str
    event: str
    channel: str
    created_at: str
    first_seen: float
    state: str = "Pending"
    attempts: int = 0
    sent_seen: float | None = None
    """When the bench first saw it Sent (the provider answered and delivery recorded it)."""
    sent_at: str = ""
    error: str = ""

    def created_wall(self) -> float:
        """createdAt as Unix seconds (whole seconds: it is truncated, up to 1 s early)."""
        return datetime.fromisoformat(self.created_at.replace("Z", "+00:00")).timestamp()


class OutboxFollower:
    """Thread-safe: the watch thread writes, the runner waits and reads."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.records: dict[str, SeenRecord] = {}

    def release_event(self, kind: str, release: dict[str, Any], at: float) -> None:
        if kind == "DELETED":
            return
        name = release["metadata"]["name"]
        stored = (release.get("status") or {}).get("notifications") or []
        with self._lock:
            for raw in stored:
                record_id = str(raw.get("id") or "")
                seen = self.records.get(record_id)
                if seen is None:
                    seen = self.records[record_id] = SeenRecord(
                        release=name,
                        event=str(raw.get("event")),
                        channel=str(raw.get("channel")),
                        created_at=str(raw.get("createdAt")),
                        first_seen=at,
                    )
                seen.state = str(raw.get("state") or "Pending")
                seen.attempts = max(seen.attempts, int(raw.get("attempts") or 0))
                seen.error = str(raw.get("error") or "")
                if seen.state == "Sent" and seen.sent_seen is None:
                    seen.sent_seen, seen.sent_at = at, str(raw.get("sentAt") or "")
            self._lock.notify_all()

    def of(self, releases: set[str]) -> dict[str, SeenRecord]:
        """The records of these releases, by id (copies are not needed: read after the phase)."""
        with self._lock:
            return {i: r for i, r in self.records.items() if r.release in releases}

    def wait_settled(self, releases: set[str], timeout: float) -> None:
        """Block until every record of ``releases`` seen so far is Sent or Failed."""

        def settled() -> bool:
            return all(r.state in SETTLED for r in self.records.values() if r.release in releases)

        with self._lock:
            if not self._lock.wait_for(settled, timeout):
                left = [i for i, r in self.records.items() if r.release in releases]
                pending = [i for i in left if self.records[i].state not in SETTLED]
                raise TimeoutError(
                    f"{len(pending)} notifications not delivered after {timeout:g}s "
                    f"(e.g. {', '.join(pending[:3])})"
                )
