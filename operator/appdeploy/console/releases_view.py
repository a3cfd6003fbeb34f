"""What the releases list shows, and which gates wait on the person looking (pure).

Built from stored AppDeployment bodies and the person's identity, so the
list says exactly what the operator recorded, and "Waiting on me" asks the
engine's own question (``check_decision``) rather than guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from appdeploy.api.durations import format_duration
from appdeploy.console.person import Person, decision_verdict


@dataclass(frozen=True)
class ReleaseRow:
    """One release in the list."""

    namespace: str
    name: str
    app: str
    version: str
    phase: str
    waiting_on: str
    age: str
    created: str


@dataclass(frozen=True)
class GateForMe:
    """A gate the person may decide now."""

    namespace: str
    name: str
    app: str
    version: str
    gate: str
    description: str
    deadline: str


def release_rows(bodies: Iterable[Mapping[str, Any]], now: datetime) -> list[ReleaseRow]:
    """Rows of the list, newest first."""
    rows = []
    for body in bodies:
        metadata = body.get("metadata") or {}
        spec = body.get("spec") or {}
        # Raw fields, not the models: the list must stay cheap at a thousand releases.
        status = body.get("status") or {}
        created = str(metadata.get("creationTimestamp") or "")
        rows.append(
            ReleaseRow(
                namespace=str(metadata.get("namespace") or ""),
                name=str(metadata.get("name") or ""),
                app=str(spec.get("app") or ""),
                version=str(spec.get("version") or ""),
                phase=str(status.get("phase") or "Pending"),
                waiting_on=str(status.get("message") or status.get("waitingOn") or ""),
                age=_age(created, now),
                created=created,
            )
        )
    return sorted(rows, key=lambda row: (row.created, row.namespace, row.name), reverse=True)


def filtered(rows: Sequence[ReleaseRow], app: str, phase: str) -> list[ReleaseRow]:
    """The rows matching the list's filters (empty filter: any)."""
    return [row for row in rows if app in ("", row.app) and phase in ("", row.phase)]


def gates_for(
    bodies: Iterable[Mapping[str, Any]], person: Person, now: datetime
) -> list[GateForMe]:
    """Every waiting gate the person may decide now, soonest deadline first."""
    found = []
    for body in bodies:
        metadata, spec = body.get("metadata") or {}, body.get("spec") or {}
        # Raw fields: the engine parses the release once, inside check_decision.
        for step in _waiting_gates(body):
            name = str(step.get("name") or "")
            if not decision_verdict(body, name, person, now).may:
                continue
            found.append(
                GateForMe(
                    namespace=str(metadata.get("namespace") or ""),
                    name=str(metadata.get("name") or ""),
                    app=str(spec.get("app") or ""),
                    version=str(spec.get("version") or ""),
                    gate=name,
                    description=str(step.get("message") or ""),
                    deadline=str(step.get("deadline") or "").replace("T", " "),
                )
            )
    return sorted(found, key=lambda gate: gate.deadline or "~")


def _waiting_gates(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps = (body.get("status") or {}).get("steps") or []
    return [
        step
        for step in steps
        if isinstance(step, Mapping)
        and step.get("type") == "gate"
        and step.get("phase") == "Waiting"
    ]


def _age(created: str, now: datetime) -> str:
    if not created:
        return ""
    try:
        at = datetime.fromisoformat(created)
    except ValueError:
        return ""
    return format_duration(max(now - at, timedelta(0)))
