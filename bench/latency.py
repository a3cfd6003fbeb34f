"""From the timeline's stamps to the latency series the report shows.

Each series names its start and end stamp; all stamps are this process's
monotonic clock (watch event arrival, or the return of our own request).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.shape import AFTER_APPROVAL, FIRST_STEPS, GATE_TRIGGER, JOB_TRIGGERS, RUN_STEPS
from bench.timeline import ReleaseRecord


@dataclass(frozen=True)
class Series:
    """One latency figure: what it measures, and its samples in seconds."""

    key: str
    title: str
    measures: str
    samples: list[float]


def _job_to_job(records: dict[str, ReleaseRecord], after: float = 0.0) -> list[float]:
    """Samples whose triggering completion was seen after ``after``."""
    samples = []
    for record in records.values():
        for step, triggers in JOB_TRIGGERS.items():
            done = [record.job_complete.get(t) for t in triggers]
            added = record.job_added.get(step)
            if added is not None and all(t is not None for t in done):
                trigger = max(t for t in done if t is not None)
                if trigger > after:
                    samples.append(added - trigger)
    return samples


def burst_end(records: dict[str, ReleaseRecord]) -> float:
    """When the last release's first Job appeared: the creation burst is over."""
    return max(
        (added for r in records.values() for s in FIRST_STEPS if (added := r.job_added.get(s))),
        default=0.0,
    )


def _approval_to_job(records: dict[str, ReleaseRecord]) -> list[float]:
    return [
        added - record.approval_returned
        for record in records.values()
        for step in AFTER_APPROVAL
        if record.approval_returned is not None
        and (added := record.job_added.get(step)) is not None
    ]


def _create_to_job(records: dict[str, ReleaseRecord]) -> list[float]:
    return [
        added - record.created
        for record in records.values()
        for step in FIRST_STEPS
        if record.created is not None and (added := record.job_added.get(step)) is not None
    ]


def _job_to_gate(records: dict[str, ReleaseRecord]) -> list[float]:
    return [
        record.gate_waiting - done
        for record in records.values()
        if record.gate_waiting is not None
        and (done := record.job_complete.get(GATE_TRIGGER)) is not None
    ]


def _job_runtime(records: dict[str, ReleaseRecord]) -> list[float]:
    return [
        done - record.job_added[step]
        for record in records.values()
        for step in RUN_STEPS
        if step in record.job_added and (done := record.job_complete.get(step)) is not None
    ]


def _release_duration(records: dict[str, ReleaseRecord]) -> list[float]:
    return [
        record.finished - record.created
        for record in records.values()
        if record.finished is not None and record.created is not None
    ]


def _approval_patch(records: dict[str, ReleaseRecord]) -> list[float]:
    return [
        record.approval_returned - record.approval_sent
        for record in records.values()
        if record.approval_returned is not None and record.approval_sent is not None
    ]


def series(records: dict[str, ReleaseRecord]) -> list[Series]:
    """Every latency series of a run, operator figures first."""
    return [
        Series(
            "job_to_job",
            "Job completion → next step's Job",
            "Complete condition seen on the bench's Job watch → the next Job's ADDED event "
            "(ui-tests after the later build; notify after upload)",
            _job_to_job(records),
        ),
        Series(
            "job_to_job_after_burst",
            "... of those, after the creation burst",
            "the same, for completions seen after the last release got its first Jobs "
            "(the operator's queue no longer holds every release)",
            _job_to_job(records, after=burst_end(records)),
        ),
        Series(
            "approval_to_job",
            "approval → next Job",
            "the bench's approval PATCH returned → the upload Job's ADDED event",
            _approval_to_job(records),
        ),
        Series(
            "create_to_job",
            "release created → first Jobs",
            "the create request returned → each build Job's ADDED event "
            "(includes the queue of all releases arriving at once)",
            _create_to_job(records),
        ),
        Series(
            "job_to_gate",
            "Job completion → gate Waiting",
            "ui-tests Complete seen → status.steps[qa].phase Waiting seen on the release watch",
            _job_to_gate(records),
        ),
        Series(
            "job_runtime",
            "Job ADDED → Complete (cluster, not operator)",
            "Job controller + scheduler + KWOK turning a Job into a finished pod and "
            "a Complete condition (zero-delay pods)",
            _job_runtime(records),
        ),
        Series(
            "approval_patch",
            "approval PATCH round trip",
            "the bench's merge-PATCH of the approval annotation, sent → returned",
            _approval_patch(records),
        ),
        Series(
            "release_duration",
            "release duration",
            "create returned → phase Succeeded seen",
            _release_duration(records),
        ),
    ]
