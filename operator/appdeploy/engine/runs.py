"""Runs: a new generation starts a new run; the previous one goes to history.

Jobs are never tracked across runs: any active Job that is not the current
attempt of a running step (a superseded run, a cancelled or timed-out step)
is an orphan and is deleted on every pass until it is gone.
"""

from __future__ import annotations

from appdeploy.api.status import (
    HISTORY_LIMIT,
    AppDeploymentStatus,
    HistoryEntry,
    Phase,
    StepPhase,
    StepStatus,
)
from appdeploy.engine.actions import DeleteJob, EventType
from appdeploy.engine.attribution import run_author
from appdeploy.engine.inputs import JobState, ObservedAuthor, ObservedJob
from appdeploy.engine.reasons import Reason
from appdeploy.engine.state import RunState
from appdeploy.engine.summary import derive_phase

SUPERSEDED = "Superseded"


def start_run(
    state: RunState, previous: AppDeploymentStatus, author: ObservedAuthor | None = None
) -> None:
    """Replace the status with a fresh run of the current generation.

    The run records who wrote its spec (``author``, the webhook's signed claim)
    and the spec's hash; the previous run takes its own into history.
    """
    history = list(previous.history)
    if previous.run is not None and previous.steps:
        ended = derive_phase(previous.steps)
        phase = str(ended) if ended.is_terminal else SUPERSEDED
        history.insert(
            0,
            HistoryEntry(
                run=previous.run,
                version=previous.version or "",
                phase=phase,
                started_at=previous.started_at,
                finished_at=previous.finished_at or state.now,
                decisions=previous.decisions,
                author=previous.author,
                spec_hash=previous.spec_hash,
                policies=previous.policies,
            ),
        )
        if phase == SUPERSEDED:
            state.post(
                EventType.NORMAL,
                Reason.RUN_SUPERSEDED,
                f"run {previous.run} superseded by run {state.run} (spec changed)",
            )
    written_by, digest = run_author(author, state.release.spec)
    state.status = AppDeploymentStatus(
        observed_generation=state.run,
        run=state.run,
        version=state.spec.version,
        phase=Phase.PENDING,
        started_at=state.now,
        steps=[
            StepStatus(name=step.name, type=step.type, phase=StepPhase.PENDING)
            for step in state.spec.all_steps()
        ],
        conditions=previous.conditions,
        history=history[:HISTORY_LIMIT],
        # Messages about the previous run still go out; the outbox outlives runs.
        notifications=previous.notifications,
        author=written_by,
        spec_hash=digest,
    )
    state.post(
        EventType.NORMAL,
        Reason.RUN_STARTED,
        f"run {state.run} started: {state.spec.app} {state.spec.version}",
    )


def delete_orphans(state: RunState, jobs: tuple[ObservedJob, ...]) -> None:
    """Delete every active Job that is not the current attempt of a Running run step."""
    current = {
        (status.name, status.attempts)
        for status in state.status.steps
        if status.phase is StepPhase.RUNNING
    }
    for job in jobs:
        if job.state is not JobState.ACTIVE:
            continue
        if job.run == state.run and (job.step, job.attempt) in current:
            continue
        reason = "superseded run" if job.run != state.run else "no longer needed"
        state.actions.append(DeleteJob(job.name, reason))
