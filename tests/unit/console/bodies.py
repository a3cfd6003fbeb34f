"""Small AppDeployment bodies, as the API server returns them, for the insights tests.

Times are minutes after T0, so a table row reads as a timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from appdeploy.api.timestamps import format_timestamp

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
_BUILD = {"name": "build", "run": {"image": "example.invalid/build:1"}}


def at(minutes: float | None) -> str | None:
    """The timestamp ``minutes`` after T0 (None stays None)."""
    return None if minutes is None else format_timestamp(T0 + timedelta(minutes=minutes))


def minutes(value: float) -> timedelta:
    """A duration in minutes."""
    return timedelta(minutes=value)


def step(
    name: str,
    kind: str,
    phase: str,
    start: float | None = None,
    end: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One entry of ``status.steps``."""
    found: dict[str, Any] = {"name": name, "type": kind, "phase": phase, **extra}
    if start is not None:
        found["startedAt"] = at(start)
    if end is not None:
        found["finishedAt"] = at(end)
    return found


def approval(user: str, groups: Sequence[str], minute: float) -> dict[str, Any]:
    """One approval of a gate."""
    return {"user": user, "groups": list(groups), "at": at(minute), "verified": True}


def run(
    number: int, version: str, phase: str, start: float | None, end: float | None
) -> dict[str, Any]:
    """One ``status.history`` entry."""
    entry: dict[str, Any] = {"run": number, "version": version, "phase": phase}
    if start is not None:
        entry["startedAt"] = at(start)
    if end is not None:
        entry["finishedAt"] = at(end)
    return entry


def release(
    name: str,
    *,
    app: str = "shop",
    version: str = "1.0.0",
    phase: str | None = "Succeeded",
    number: int = 1,
    start: float | None = 0,
    end: float | None = None,
    created: float | None = None,
    steps: Sequence[dict[str, Any]] = (),
    history: Sequence[dict[str, Any]] = (),
    gates: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """An AppDeployment whose current run is ``number``; ``phase=None``: no status yet.

    ``history`` is oldest first, as a timeline reads (stored newest first).
    ``gates`` names each gate's approvers.groups in the spec (a gate not named
    there has only named users).
    """
    spec_steps: list[dict[str, Any]] = []
    for entry in steps:
        kind = entry["type"]
        if kind == "gate":
            groups = (gates or {}).get(entry["name"], [])
            approvers = {"groups": groups} if groups else {"users": ["rm@example.com"]}
            spec_steps.append({"name": entry["name"], "gate": {"approvers": approvers}})
        elif kind == "wait":
            spec_steps.append({"name": entry["name"], "wait": {"duration": "1h"}})
        else:
            spec_steps.append({"name": entry["name"], "run": {"image": "example.invalid/x:1"}})
    body: dict[str, Any] = {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "AppDeployment",
        "metadata": {
            "name": name,
            "namespace": "team-a",
            "generation": number,
            "creationTimestamp": at(created if created is not None else start),
        },
        "spec": {"app": app, "version": version, "steps": spec_steps or [_BUILD]},
    }
    if phase is not None:
        status: dict[str, Any] = {"run": number, "version": version, "phase": phase}
        status.update({"steps": list(steps), "history": list(reversed(history))})
        if start is not None:
            status["startedAt"] = at(start)
        if end is not None:
            status["finishedAt"] = at(end)
        body["status"] = status
    return body
