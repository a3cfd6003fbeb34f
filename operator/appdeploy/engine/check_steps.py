"""Check steps: measurement Jobs on a schedule, each judged, then the step decided.

Measurement ``n`` is due at readiness + ``initialDelay`` + (n-1) x
``interval``; it is one Job named for (release, step, run, n), so a crash
between creating it and writing status adopts that Job rather than making a
second one (``status.attempts`` is the latest measurement started, counted
from ``attemptsBeforeRetry`` so a retried check never reuses a name;
``counters.judged`` how many were judged). One measurement runs at a time.
When the measurements cannot decide, the step waits for a person exactly
like a gate (``Step.decision_gate``; decisions go through engine/gates.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from appdeploy.api.checks import CheckSpec, OnTimeoutInconclusive, SecretKey
from appdeploy.api.naming import measurement_job_name_for
from appdeploy.api.pod import EnvVar, EnvVarSource, KeyRef
from appdeploy.api.spec import RunSpec, Step
from appdeploy.api.status import (
    MEASUREMENTS_LIMIT,
    CheckCounters,
    Measurement,
    StepPhase,
    StepStatus,
)
from appdeploy.api.substitutions import UnresolvedReference, escape_for_kubelet, resolve_provider
from appdeploy.api.timestamps import format_timestamp, later
from appdeploy.engine.actions import CreateJob
from appdeploy.engine.checks import Judgement, Outcome, count, judge, read_result, verdict
from appdeploy.engine.gates import counted_approvers
from appdeploy.engine.inputs import JobState
from appdeploy.engine.policy_holds import holds
from appdeploy.engine.run_steps import REFUSED_JOB_RETRY, failure_message, finish
from appdeploy.engine.state import RunState

MEASURE_COMMAND = ("appdeploy", "provider", "measure")
PROVIDER_ENV = "APPDEPLOY_CHECK_PROVIDER"
TOKEN_ENV = "APPDEPLOY_TOKEN"
SERVICE_ACCOUNT_ENV = "APPDEPLOY_SERVICE_ACCOUNT_JSON"
HEADER_ENV = "APPDEPLOY_HEADER_{}"
NO_IMAGE = (
    "the operator has no provider image for measurement Jobs: "
    "run it with --provider-image (or APPDEPLOY_PROVIDER_IMAGE)"
)


def start_check(state: RunState, spec: Step, status: StepStatus) -> None:
    """A check whose needs succeeded starts measuring: the first Job after ``initialDelay``."""
    check = _check(spec)
    status.phase = StepPhase.RUNNING
    status.started_at = state.now
    status.counters = CheckCounters()
    status.measurements = []
    # A retried check measures again under new numbers: a Job name is used once per run.
    status.attempts_before_retry = status.attempts
    status.next_attempt_at = due(check, state.now, 1)
    status.message = f"first measurement at {format_timestamp(status.next_attempt_at)}"
    follow_check(state, spec, status)


def due(check: CheckSpec, started: datetime, measurement: int) -> datetime:
    """When measurement ``measurement`` (from 1) is due, for a check ready at ``started``."""
    interval = check.interval or timedelta(0)
    return later(started, check.initial_delay + interval * (measurement - 1))


def follow_check(state: RunState, spec: Step, status: StepStatus) -> bool:
    """Judge the measurement Job once it ended, or start the next one when due; True if changed."""
    check = _check(spec)
    counters = status.counters or CheckCounters()
    made = status.attempts - status.attempts_before_retry
    if made > counters.judged:
        return _follow_measurement(state, spec, status)
    if status.started_at is None or state.now < due(check, status.started_at, made + 1):
        return False
    if status.job_refused and status.next_attempt_at and state.now < status.next_attempt_at:
        return False
    if holds(state, spec, status):
        return False
    return _start_measurement(state, spec, status)


def _start_measurement(state: RunState, spec: Step, status: StepStatus) -> bool:
    check = _check(spec)
    number = status.attempts + 1
    adopted = state.jobs.get((spec.name, number))
    name = measurement_job_name_for(state.release.name, spec.name, state.run, number)
    if adopted is None:
        if name in state.refused:
            status.job_refused = f"the API server refused its Job {name}: {state.refused[name]}"
            status.next_attempt_at = later(state.now, REFUSED_JOB_RETRY)
            status.message = (
                f"{status.job_refused}; trying again at {format_timestamp(status.next_attempt_at)}"
            )
            return True
        if not state.settings.provider_image:
            finish(state, status, StepPhase.FAILED, NO_IMAGE)
            return True
        try:
            job_spec = measurement_run_spec(state, check)
        except UnresolvedReference as error:
            finish(state, status, StepPhase.FAILED, f"cannot measure: {error}")
            return True
        state.actions.append(
            CreateJob(
                name=name,
                step=spec.name,
                run=state.run,
                attempt=number,
                spec=job_spec,
                service_account_name=state.spec.service_account_name,
                deadline_seconds=int(state.run_timeout(spec).total_seconds()),
            )
        )
    state.started.add((spec.name, number))
    status.attempts = number
    status.job = name
    status.job_uid = (adopted.uid or None) if adopted is not None else None
    status.job_refused = ""
    status.next_attempt_at = None
    made = number - status.attempts_before_retry
    status.message = f"measurement {made} of {check.count} running (Job {name})"
    return True


def _follow_measurement(state: RunState, spec: Step, status: StepStatus) -> bool:
    check = _check(spec)
    job = state.jobs.get((spec.name, status.attempts))
    if job is None:
        if (spec.name, status.attempts) in state.started:
            return False
        result = read_result(False, "", f"Job {status.job} was deleted before it finished")
    elif job.state is JobState.ACTIVE:
        return False
    else:
        if status.job_uid is None and job.uid:
            status.job_uid = job.uid
        failure = (
            "" if job.state is JobState.SUCCEEDED else failure_message(job, state.run_timeout(spec))
        )
        result = read_result(job.state is JobState.SUCCEEDED, job.termination_message, failure)
    judged = judge(check, result)
    _record(state, status, judged, result.resolved_query)
    _decide(state, spec, status, judged)
    return True


def _record(state: RunState, status: StepStatus, judged: Judgement, query: str) -> None:
    status.counters = count(status.counters or CheckCounters(), judged.phase)
    status.measurements.append(
        Measurement(
            number=status.attempts,
            at=state.now,
            phase=judged.phase,
            value=judged.value,
            sample=judged.sample,
            resolved_query=query,
            message=judged.message,
        )
    )
    del status.measurements[:-MEASUREMENTS_LIMIT]


def _decide(state: RunState, spec: Step, status: StepStatus, last: Judgement) -> None:
    check = _check(spec)
    assert status.counters is not None
    decided = verdict(check, status.counters, last)
    match decided.outcome:
        case Outcome.SUCCEEDED:
            finish(state, status, StepPhase.SUCCEEDED, decided.message)
        case Outcome.FAILED:
            finish(state, status, StepPhase.FAILED, decided.message)
        case Outcome.INCONCLUSIVE if check.on_inconclusive is None:
            finish(
                state,
                status,
                StepPhase.FAILED,
                f"{decided.message}; inconclusive and nobody to ask (no onInconclusive)",
            )
        case Outcome.INCONCLUSIVE:
            _ask_people(state, check, status, decided.message)
        case Outcome.MEASURING:
            assert status.started_at is not None
            made = status.attempts - status.attempts_before_retry
            status.next_attempt_at = due(check, status.started_at, made + 1)
            status.message = (
                f"measurement {made} of {check.count}: {last.phase.lower()} "
                f"({last.message}); next at {format_timestamp(status.next_attempt_at)}"
            )


def _ask_people(state: RunState, check: CheckSpec, status: StepStatus, message: str) -> None:
    assert check.on_inconclusive is not None
    status.phase = StepPhase.WAITING
    status.deadline = later(state.now, check.on_inconclusive.gate.timeout)
    status.next_attempt_at = None
    status.opened += 1
    status.approvals = []
    status.rejection = None
    status.message = message


def settle_check(state: RunState, spec: Step, status: StepStatus) -> bool:
    """Pass a Waiting check once a person approved, or apply onTimeout at its deadline."""
    check = _check(spec)
    assert check.on_inconclusive is not None
    approvers = counted_approvers(state, status)
    if approvers:
        finish(
            state,
            status,
            StepPhase.SUCCEEDED,
            f"{status.message}; approved by {', '.join(approvers)}",
        )
        return True
    if status.deadline is None or state.now < status.deadline:
        return False
    counters = status.counters or CheckCounters()
    if check.on_inconclusive.gate.on_timeout is OnTimeoutInconclusive.APPROVE:
        if counters.successful > 0:
            finish(
                state, status, StepPhase.SUCCEEDED, f"{status.message}; approved at its deadline"
            )
            return True
        finish(
            state,
            status,
            StepPhase.FAILED,
            f"{status.message}; no decision before its deadline, and onTimeout Approve never "
            "passes a check without a successful measurement",
        )
        return True
    finish(state, status, StepPhase.FAILED, f"{status.message}; no decision before its deadline")
    return True


def measurement_run_spec(state: RunState, check: CheckSpec) -> RunSpec:
    """The measurement Job's container (docs/rollouts.md, "How a measurement … runs").

    The resolved provider goes in ``APPDEPLOY_CHECK_PROVIDER`` (escaped for the
    kubelet's ``$(VAR)`` expansion); Secrets only as ``secretKeyRef`` env, and every
    HTTP header's value in its own ``APPDEPLOY_HEADER_<n>``, named in the JSON by
    ``valueFromEnv``, so no header value is ever in the JSON.
    """
    provider = resolve_provider(check.provider, state.values(for_finally=False))
    env: list[EnvVar] = []
    if check.provider.sentry is not None:
        env.append(_secret_env(TOKEN_ENV, check.provider.sentry.token_secret_ref))
    if check.provider.play_vitals is not None:
        ref = check.provider.play_vitals.service_account_secret_ref
        env.append(_secret_env(SERVICE_ACCOUNT_ENV, ref))
    if "http" in provider:
        headers = []
        for index, header in enumerate(provider["http"].get("headers", [])):
            name = HEADER_ENV.format(index)
            if "valueFrom" in header:
                ref = header["valueFrom"]["secretKeyRef"]
                source = EnvVarSource(secret_key_ref=KeyRef(name=ref["name"], key=ref["key"]))
                env.append(EnvVar(name=name, value_from=source))
            else:
                env.append(EnvVar(name=name, value=escape_for_kubelet(header.get("value", ""))))
            headers.append({"name": header["name"], "valueFromEnv": name})
        provider["http"]["headers"] = headers
    text = json.dumps(provider, separators=(",", ":"), sort_keys=True)
    env.insert(0, EnvVar(name=PROVIDER_ENV, value=escape_for_kubelet(text)))
    return RunSpec(
        image=state.settings.provider_image,
        command=list(MEASURE_COMMAND),
        env=env,
    )


def _secret_env(name: str, ref: SecretKey) -> EnvVar:
    return EnvVar(
        name=name,
        value_from=EnvVarSource(secret_key_ref=KeyRef(name=ref.name, key=ref.key)),
    )


def _check(spec: Step) -> CheckSpec:
    assert spec.check is not None
    return spec.check
