"""Where a release's time went: running, waiting on people, soaking, or other.

Steps run in parallel, so adding up step durations says nothing about the
release's wall clock. Instead every moment from the release's start to its
end (or now) is credited to one thing, machines first: a moment when a run
step is active is ``running`` even if a gate is open beside it; else a soak
(wait step) holds it: ``soaking``; else a gate waits: ``waiting on people``;
else ``other`` (earlier runs of the same version, the operator picking the
release up, the gaps between steps). So ``people`` is the time only people
could have moved the release forward, and the four add up to its elapsed time.
Pure.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from appdeploy.api.spec import StepType
from appdeploy.api.status import StepStatus

ZERO = timedelta(0)
_PRECEDENCE = (StepType.RUN, StepType.CHECK, StepType.WAIT, StepType.GATE)


@dataclass(frozen=True)
class TimeShare:
    """A release's elapsed time, split four ways (see the module docstring)."""

    running: timedelta = ZERO
    people: timedelta = ZERO
    soaking: timedelta = ZERO
    other: timedelta = ZERO

    @property
    def total(self) -> timedelta:
        """The four parts added up: the elapsed time."""
        return self.running + self.people + self.soaking + self.other

    def __add__(self, more: TimeShare) -> TimeShare:
        return TimeShare(
            self.running + more.running,
            self.people + more.people,
            self.soaking + more.soaking,
            self.other + more.other,
        )


def time_share(
    started: datetime, run_started: datetime, end: datetime, steps: Sequence[StepStatus]
) -> TimeShare:
    """Split ``started``..``end`` by what the current run's ``steps`` were doing.

    ``run_started`` is when the current run began: before it (earlier runs of the
    same release) is ``other``, as is any moment no step was active.
    """
    if end <= started:
        return TimeShare()  # not begun, or a clock that went backwards
    spans = [
        (step.type, max(step.started_at, run_started), min(step.finished_at or end, end))
        for step in steps
        if step.started_at is not None
    ]
    moments = sorted({started, end, *(m for _, a, b in spans for m in (a, b) if started < m < end)})
    totals = dict.fromkeys((*_PRECEDENCE, None), ZERO)
    for begin, finish in itertools.pairwise(moments):
        active = {kind for kind, a, b in spans if a <= begin and finish <= b}
        kind = next((k for k in _PRECEDENCE if k in active), None)
        totals[kind] += finish - begin
    return TimeShare(
        running=totals[StepType.RUN] + totals[StepType.CHECK],
        people=totals[StepType.GATE],
        soaking=totals[StepType.WAIT],
        other=totals[None],
    )
