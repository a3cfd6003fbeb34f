"""Figures of steps over many runs: gate waits by approver group, soaks, failure and retry rates.

Computed from the current runs' ``status.steps`` (history keeps no steps), for
appdeploy.console.insights. Percentiles are nearest-rank: each is a duration
that was really observed, which reads truer than an interpolation over the
handful of releases a page shows. Pure.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from appdeploy.api.spec import StepType
from appdeploy.api.status import StepPhase, StepStatus
from appdeploy.engine.gate_groups import waited_on


@dataclass(frozen=True)
class Spread:
    """How a set of durations spreads: nearest-rank percentiles, each an observed value."""

    count: int
    p50: timedelta
    p90: timedelta
    max: timedelta


def spread(values: Iterable[timedelta]) -> Spread | None:
    """The p50, p90 and max of ``values``; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None

    def rank(percent: int) -> timedelta:
        return ordered[max(math.ceil(percent * len(ordered) / 100) - 1, 0)]

    return Spread(len(ordered), rank(50), rank(90), ordered[-1])


@dataclass(frozen=True)
class GateWait:
    """How long one gate waited for one approver group, over the app's releases."""

    gate: str
    group: str
    waits: Spread | None
    """Gates that were decided or timed out (cancelled ones are left out)."""
    waiting: int
    """Of this gate and group, how many wait now."""


@dataclass(frozen=True)
class SoakTime:
    """How long one wait step held releases (finished soaks only)."""

    step: str
    soaks: Spread


@dataclass(frozen=True)
class StepRates:
    """How often a step failed or needed another attempt, over the runs it started in."""

    step: str
    type: str
    started: int
    failed: int
    retried: int
    """Run step: more than one attempt (automatic or manual). Gate: opened more than once."""

    @property
    def failure_rate(self) -> float:
        """Failed / started."""
        return self.failed / self.started if self.started else 0.0

    @property
    def retry_rate(self) -> float:
        """Retried / started."""
        return self.retried / self.started if self.started else 0.0


def gate_waits(
    steps: Iterable[tuple[Mapping[str, tuple[str, ...]], StepStatus]],
) -> tuple[GateWait, ...]:
    waits: dict[tuple[str, str], list[timedelta]] = defaultdict(list)
    waiting: Counter[tuple[str, str]] = Counter()
    for groups, step in steps:
        if step.type is not StepType.GATE or step.started_at is None:
            continue
        key = (step.name, waited_on(groups.get(step.name, ()), step))
        if step.phase is StepPhase.WAITING:
            waiting[key] += 1
            waits.setdefault(key, [])
        elif step.phase in (StepPhase.SUCCEEDED, StepPhase.FAILED) and step.finished_at:
            waits[key].append(step.finished_at - step.started_at)
    return tuple(
        GateWait(gate, group, spread(waits[(gate, group)]), waiting[(gate, group)])
        for gate, group in sorted(waits)
    )


def soak_times(steps: Iterable[StepStatus]) -> tuple[SoakTime, ...]:
    """Per wait step (sorted), how long its finished soaks took."""
    soaks: dict[str, list[timedelta]] = defaultdict(list)
    for step in steps:
        begun, ended = step.started_at, step.finished_at
        if step.type is StepType.WAIT and step.phase is StepPhase.SUCCEEDED and begun and ended:
            soaks[step.name].append(ended - begun)
    return tuple(SoakTime(name, found) for name in sorted(soaks) if (found := spread(soaks[name])))


def step_rates(steps: Iterable[StepStatus]) -> tuple[StepRates, ...]:
    """Per step (sorted by name and type), the runs it started in, failed in, was retried in."""
    counts: dict[tuple[str, str], list[int]] = {}
    for step in steps:
        if step.started_at is None and step.phase is not StepPhase.FAILED:
            continue  # never started in this run (Pending, Skipped)
        tally = counts.setdefault((step.name, str(step.type)), [0, 0, 0])
        tally[0] += 1
        tally[1] += step.phase is StepPhase.FAILED
        tally[2] += step.attempts > 1 or step.opened > 1
    return tuple(
        StepRates(name, kind, started, failed, retried)
        for (name, kind), (started, failed, retried) in sorted(counts.items())
    )
