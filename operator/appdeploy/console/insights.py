"""Where releases spend their time, per app over its last N releases (docs/console.md, "Insights").

A release manager asks: how long from "release asked for" to Succeeded, which
gates and approver groups keep releases waiting, how long soaks hold them, and
which steps fail or need retries. Everything is computed from the stored
AppDeployments (spec, status and ``status.history``), so the figures need no
database and are exactly what the operator recorded. Pure: bodies and ``now``
in, typed figures out; the console renders them (appdeploy.console.charts).

What a "release" is here: one AppDeployment releasing one ``spec.version``.
Its runs are that object's consecutive runs of that version (a fixed spec of
the same version starts a new run of the same release; a new version starts a
new release). Its start is ``metadata.creationTimestamp`` when its first run is
run 1 (the generation the object was created with), else that run's
``startedAt``; its end is the ``finishedAt`` of its latest run once that run
ended. ``status.history`` keeps only run, version, phase, times and
decisions, so history runs count for lead times and outcomes; gate waits,
soaks, step failures and "where the time went" come from the current run
(``status.steps``) alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from appdeploy.api.status import AppDeploymentStatus, StepStatus
from appdeploy.api.timestamps import Timestamp, utc_seconds
from appdeploy.api.tolerant import validate_known
from appdeploy.console.step_figures import (
    GateWait,
    SoakTime,
    Spread,
    StepRates,
    gate_waits,
    soak_times,
    spread,
    step_rates,
)
from appdeploy.console.time_share import TimeShare, time_share
from appdeploy.engine.gate_groups import approver_groups

DEFAULT_LAST = 10
ENDED = frozenset({"Succeeded", "Failed", "Cancelled", "Superseded"})
"""Outcomes of a release whose latest run ended (``finishedAt`` is its end)."""
NO_APP = "(no app)"
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)


@dataclass(frozen=True)
class ReleaseTimes:
    """One release (one object, one version) and where its time went."""

    namespace: str
    name: str
    app: str
    version: str
    outcome: str
    """The latest run's phase (Superseded: a new version replaced it before it ended)."""
    runs: int
    """Runs of this version; more than one means the spec was changed and run again."""
    started: datetime | None
    """None: the operator has not started it yet."""
    finished: datetime | None
    """None while it runs (or never started)."""
    elapsed: timedelta | None
    """From start to end, or to ``now`` while it runs."""
    lead_time: timedelta | None
    """``elapsed`` of a Succeeded release; None otherwise."""
    share: TimeShare | None
    """Where the time went; None unless its latest run is the current one and started."""


@dataclass(frozen=True)
class AppInsights:
    """The figures of one app over its last N releases (newest first)."""

    app: str
    releases: tuple[ReleaseTimes, ...]
    outcomes: Mapping[str, int]
    lead_time: Spread | None
    gates: tuple[GateWait, ...]
    soaks: tuple[SoakTime, ...]
    steps: tuple[StepRates, ...]
    share: TimeShare = field(default_factory=TimeShare)
    """The releases' ``share`` added up."""


@dataclass(frozen=True)
class _Run:
    number: int | None
    version: str
    phase: str
    started: datetime | None
    finished: datetime | None


@dataclass(frozen=True)
class _Source:
    namespace: str
    name: str
    app: str
    created: datetime | None


@dataclass(frozen=True)
class _Release:
    """One release and, when its latest run is the current one, that run's steps."""

    times: ReleaseTimes
    steps: tuple[StepStatus, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def insights(
    bodies: Iterable[Mapping[str, Any]], now: datetime, last: int = DEFAULT_LAST
) -> tuple[AppInsights, ...]:
    """Per app (sorted by name), the figures of its ``last`` most recent releases."""
    if last < 1:
        raise ValueError(f"last must be at least 1, not {last}")
    now = utc_seconds(now)
    by_app: dict[str, list[_Release]] = defaultdict(list)
    for body in bodies:
        for release in _releases(body, now):
            by_app[release.times.app].append(release)
    return tuple(_app(app, _newest(by_app[app], now)[:last]) for app in sorted(by_app))


def _newest(releases: list[_Release], now: datetime) -> list[_Release]:
    # A release not started yet is the newest of all.
    def key(item: _Release) -> tuple[datetime, str, str, str]:
        times = item.times
        return (times.started or now, times.namespace, times.name, times.version)

    return sorted(releases, key=key, reverse=True)


def _releases(body: Mapping[str, Any], now: datetime) -> list[_Release]:
    metadata = body.get("metadata") or {}
    spec = body.get("spec") or {}
    status = _status(body.get("status") or {})
    history = [
        _Run(e.run, e.version, e.phase, e.started_at, e.finished_at)
        for e in reversed(status.history)
    ]
    current = _Run(
        status.run,
        status.version or str(spec.get("version") or ""),
        str(status.phase),
        status.started_at,
        status.finished_at,
    )
    groups: list[list[_Run]] = []
    for run in [*history, current]:
        if groups and groups[-1][-1].version == run.version:
            groups[-1].append(run)
        else:
            groups.append([run])
    source = _Source(
        namespace=str(metadata.get("namespace") or ""),
        name=str(metadata.get("name") or ""),
        app=str(spec.get("app") or NO_APP),
        created=_timestamp(metadata.get("creationTimestamp")),
    )
    found = []
    for runs in groups:
        is_current = runs[-1] is current
        steps = tuple(status.steps) if is_current else ()
        times = _times(source, runs, steps, now)
        found.append(_Release(times, steps, approver_groups(spec) if is_current else {}))
    return found


def _times(
    source: _Source, runs: Sequence[_Run], steps: Sequence[StepStatus], now: datetime
) -> ReleaseTimes:
    first, latest = runs[0], runs[-1]
    started = first.started
    if first.number == 1 and source.created is not None and started is not None:
        started = min(source.created, started)
    finished = latest.finished if latest.phase in ENDED else None
    elapsed = (finished or now) - started if started is not None else None
    share = None
    if steps and started is not None and latest.started is not None:
        share = time_share(started, latest.started, finished or now, steps)
    return ReleaseTimes(
        namespace=source.namespace,
        name=source.name,
        app=source.app,
        version=latest.version,
        outcome=latest.phase,
        runs=len(runs),
        started=started,
        finished=finished,
        elapsed=elapsed,
        lead_time=elapsed if latest.phase == "Succeeded" and finished is not None else None,
        share=share,
    )


def _status(raw: Mapping[str, Any]) -> AppDeploymentStatus:
    try:
        # As the operator reads it: fields a newer operator added are ignored, not fatal.
        return validate_known(AppDeploymentStatus, raw)
    except ValidationError:
        return AppDeploymentStatus()


def _timestamp(value: Any) -> datetime | None:
    try:
        return _TIMESTAMP.validate_python(value) if value is not None else None
    except ValidationError:
        return None


def _app(app: str, releases: Sequence[_Release]) -> AppInsights:
    times = [release.times for release in releases]
    steps = [(release, step) for release in releases for step in release.steps]
    return AppInsights(
        app=app,
        releases=tuple(times),
        outcomes=dict(Counter(t.outcome for t in times)),
        lead_time=spread(t.lead_time for t in times if t.lead_time is not None),
        gates=gate_waits((release.groups, step) for release, step in steps),
        soaks=soak_times(step for _, step in steps),
        steps=step_rates(step for _, step in steps),
        share=sum((t.share for t in times if t.share is not None), TimeShare()),
    )
