"""Run steps: one Job per attempt, outputs from the termination message, retries, timeouts.

Attempt numbers only grow within a run (a manual retry continues the count),
so every Job name is used once and each attempt stays visible. A Job that
exists for the next attempt before status says so (the operator crashed after
creating it) is adopted, never created twice. A Job the API server refuses
(an answer that retrying the same request cannot change) is not an attempt:
the step waits in Retrying with the refusal, and asks again after
``REFUSED_JOB_RETRY`` in case the cause was outside the spec (RBAC, a quota,
a foreign Job holding the name); a new spec asks at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from appdeploy.api.durations import format_duration
from appdeploy.api.naming import job_name_for, legacy_job_name_for, measurement_job_name_for
from appdeploy.api.outputs import output_problems, parse_outputs
from appdeploy.api.spec import RetryPolicy, Step
from appdeploy.api.status import AppDeploymentStatus, StepPhase, StepStatus
from appdeploy.api.substitutions import UnresolvedReference, resolve_run
from appdeploy.api.timestamps import format_timestamp, later
from appdeploy.engine.actions import CreateJob, DeleteJob
from appdeploy.engine.inputs import JobState, ObservedJob, Release
from appdeploy.engine.state import RunState

REFUSED_JOB_RETRY = timedelta(seconds=30)
"""Often enough that a fixed RBAC rule or a freed quota is noticed soon; one POST per try."""


def trusted_jobs(
    release: Release,
    observed: Iterable[ObservedJob],
    status: AppDeploymentStatus,
    checks: frozenset[str] = frozenset(),
) -> dict[tuple[str, int], ObservedJob]:
    """The current run's Jobs by (step, attempt), only those that can be the operator's own.

    Labels and owner references can be copied by anyone who may create Jobs:
    a Job counts only under its attempt's deterministic name (or the name an
    operator before the naming change gave it), and, once status
    recorded the uid of the Job the operator created, only with that uid.
    """
    current = status.run == release.generation  # uids of an earlier run say nothing here
    recorded = {(s.name, s.attempts): s.job_uid for s in status.steps if s.job_uid and current}
    jobs: dict[tuple[str, int], ObservedJob] = {}
    for job in observed:
        if job.run != release.generation:
            continue
        names = (
            (measurement_job_name_for(release.name, job.step, job.run, job.attempt),)
            if job.step in checks
            else (
                job_name_for(release.name, job.step, job.run, job.attempt),
                legacy_job_name_for(release.name, job.step, job.run, job.attempt),  # old Jobs
            )
        )
        if job.name not in names:
            continue
        uid = recorded.get((job.step, job.attempt))
        if uid is not None and job.uid != uid:
            continue
        jobs[(job.step, job.attempt)] = job
    return jobs


def start_attempt(state: RunState, spec: Step, status: StepStatus) -> None:
    """Start the next attempt of a run step (or adopt its Job if it already exists)."""
    assert spec.run is not None
    attempt = status.attempts + 1
    adopted = state.jobs.get((spec.name, attempt))
    # An adopted Job keeps its own name: an older operator may have named it differently.
    name = (
        adopted.name if adopted else job_name_for(state.release.name, spec.name, state.run, attempt)
    )
    if adopted is None:
        if name in state.refused:
            job_refused(state, status, name, state.refused[name])
            return
        try:
            resolved = resolve_run(spec.run, state.values(state.is_finally(spec.name)))
        except UnresolvedReference as error:
            finish(state, status, StepPhase.FAILED, f"cannot start: {error}")
            return
        state.actions.append(
            CreateJob(
                name=name,
                step=spec.name,
                run=state.run,
                attempt=attempt,
                spec=resolved,
                service_account_name=spec.run.service_account_name
                or state.spec.service_account_name,
                deadline_seconds=int(state.run_timeout(spec).total_seconds()),
            )
        )
    state.started.add((spec.name, attempt))
    status.attempts = attempt
    status.job = name
    # A created Job's uid is recorded by apply_plan once the API server assigned it.
    status.job_uid = (adopted.uid or None) if adopted is not None else None
    status.phase = StepPhase.RUNNING
    status.started_at = status.started_at or state.now
    status.next_attempt_at = None
    status.message = ""
    status.job_refused = ""


def job_refused(state: RunState, status: StepStatus, name: str, message: str) -> None:
    """The API server refused the next attempt's Job: wait, counting no attempt, and say why."""
    status.phase = StepPhase.RETRYING
    status.job_refused = f"the API server refused its Job {name}: {message}"
    status.next_attempt_at = later(state.now, REFUSED_JOB_RETRY)
    status.message = (
        f"{status.job_refused}; trying again at {format_timestamp(status.next_attempt_at)}"
    )


def follow_job(state: RunState, spec: Step, status: StepStatus) -> bool:
    """Update a Running run step from its Job; True if the step changed."""
    job = state.jobs.get((spec.name, status.attempts))
    if job is None:
        if (spec.name, status.attempts) in state.started:
            return False
        attempt_failed(state, spec, status, f"Job {status.job} was deleted before it finished")
        return True
    if status.job_uid is None and job.uid:
        status.job_uid = job.uid  # recorded by an operator that did not record uids yet
    if job.state is JobState.SUCCEEDED:
        outputs, note = parse_outputs(job.termination_message)
        if problems := output_problems(outputs):
            # An untrustworthy result is a failed result: nothing downstream sees any of it.
            attempt_failed(state, spec, status, "outputs refused: " + "; ".join(problems))
            return True
        status.outputs = outputs
        finish(state, status, StepPhase.SUCCEEDED, note, job.finished_at)
        return True
    if job.state is JobState.FAILED:
        attempt_failed(state, spec, status, failure_message(job, state.run_timeout(spec)))
        return True
    deadline = attempt_deadline(state, spec, job)
    if deadline is not None and state.now >= deadline:
        state.actions.append(DeleteJob(job.name, "attempt timed out"))
        attempt_failed(
            state, spec, status, f"timed out after {format_duration(state.run_timeout(spec))}"
        )
        return True
    return False


def attempt_deadline(state: RunState, spec: Step, job: ObservedJob) -> datetime | None:
    """When the current attempt times out, if its Job reported a creation time."""
    if job.created_at is None:
        return None
    return later(job.created_at, state.run_timeout(spec))


def attempt_failed(state: RunState, spec: Step, status: StepStatus, message: str) -> None:
    """Record a failed attempt: retry after backoff if the policy allows, else fail."""
    policy = state.retry_policy(spec)
    used = status.attempts - status.attempts_before_retry
    if used <= policy.limit and state.main_failed() is None:
        status.phase = StepPhase.RETRYING
        status.next_attempt_at = later(state.now, retry_backoff(policy, used))
        status.message = (
            f"attempt {status.attempts} failed: {message}; "
            f"retry {used} of {policy.limit} at {format_timestamp(status.next_attempt_at)}"
        )
        return
    finish(state, status, StepPhase.FAILED, message)


def retry_backoff(policy: RetryPolicy, retry: int) -> timedelta:
    """The wait before retry number ``retry`` (from 1): backoff doubled each time, capped.

    Doubled in whole seconds, capped before it becomes a timedelta: ``backoff * 2**41``
    is already past what a timedelta holds, and a step may retry 100 times.
    """
    seconds = policy.backoff.total_seconds() * 2 ** min(retry - 1, 64)
    return timedelta(seconds=min(seconds, policy.max_backoff.total_seconds()))


def retry_is_due(state: RunState, status: StepStatus) -> bool:
    """True when a Retrying step's backoff has passed."""
    return status.next_attempt_at is None or state.now >= status.next_attempt_at


def finish(
    state: RunState,
    status: StepStatus,
    phase: StepPhase,
    message: str,
    at: datetime | None = None,
) -> None:
    """Move a step to a done phase."""
    status.phase = phase
    status.message = message
    status.finished_at = at or state.now
    status.next_attempt_at = None
    status.job_refused = ""


def failure_message(job: ObservedJob, timeout: timedelta) -> str:
    """What a failed Job tells a release engineer, e.g. ``exit code 1: no signing identity``."""
    if job.reason == "DeadlineExceeded":
        return f"timed out after {format_duration(timeout)} (Job deadline exceeded)"
    detail = job.termination_message.strip()
    if job.exit_code is not None:
        return f"exit code {job.exit_code}" + (f": {detail}" if detail else "")
    return detail or job.reason or "the Job failed"
