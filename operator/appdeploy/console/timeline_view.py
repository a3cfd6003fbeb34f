"""The release's audit timeline (pure): runs, human actions with their verified identity,
and notifications, newest first, from what status keeps (the last runs and their decisions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from appdeploy.api.status import AppDeploymentStatus, DecisionRecord


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime
    run: int
    kind: str
    """``run``, ``approve``, ``reject``, ``retry``, ``cancel`` or ``notification``."""
    what: str
    who: str = ""
    verified: bool | None = None
    """For human actions: whether the webhook's signature verified the identity."""

    @property
    def stamp(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M:%SZ")


def timeline(status: AppDeploymentStatus) -> list[Entry]:
    """Every recorded happening of the release, newest first."""
    entries: list[Entry] = []
    for past in status.history:
        if past.started_at is not None:
            entries.append(Entry(past.started_at, past.run, "run", f"run {past.run} started"))
        if past.finished_at is not None:
            entries.append(
                Entry(past.finished_at, past.run, "run", f"run {past.run} ended: {past.phase}")
            )
        entries += [_decision(record) for record in past.decisions]
    if status.run is not None and status.started_at is not None:
        entries.append(Entry(status.started_at, status.run, "run", f"run {status.run} started"))
        if status.finished_at is not None:
            entries.append(
                Entry(
                    status.finished_at, status.run, "run", f"run {status.run} ended: {status.phase}"
                )
            )
    entries += [_decision(record) for record in status.decisions]
    for note in status.notifications:
        at = note.sent_at or note.created_at
        entries.append(
            Entry(at, note.run, "notification", f"{note.title} (to {note.channel}: {note.state})")
        )
    # Newest first; at the same second, what was recorded later comes first.
    ordered = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
    return [entry for _, entry in ordered]


def _decision(record: DecisionRecord) -> Entry:
    target = f" {record.target}" if record.target else ""
    comment = f": {record.comment}" if record.comment else ""
    groups = f" ({', '.join(record.groups)})" if record.groups else ""
    return Entry(
        record.at,
        record.run,
        str(record.kind),
        f"{record.kind}{target}{comment}",
        who=f"{record.user}{groups}",
        verified=record.verified,
    )
