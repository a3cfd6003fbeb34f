"""A Job the API server refuses for good: Stalled with its words, one Warning, no spin, heals."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.api.naming import job_name_for
from appdeploy.engine import CreateJob
from tests.unit.harness import Simulation, load_spec

BUILD_JOB = job_name_for("rel", "build", 1, 1)
INVALID = (
    f'Job.batch "{BUILD_JOB}" is invalid: spec.template.spec.containers[0].env[0].name: '
    'Invalid value: "1REV": a valid environment variable name must consist of ...'
)


def refused_build() -> Simulation:
    sim = Simulation(load_spec("linear"), refusing={BUILD_JOB: INVALID})
    sim.reconcile()
    return sim


def condition(sim: Simulation, kind: str) -> tuple[str, str, str]:
    found = next(c for c in sim.model.conditions if c.type == kind)
    return str(found.status), found.reason, found.message


def test_the_refusal_stalls_the_release_naming_the_step_and_the_field() -> None:
    sim = refused_build()
    build = sim.step("build")
    assert (build.phase, build.attempts) == ("Retrying", 0), "a refused Job is not an attempt"
    assert build.job_refused == f"the API server refused its Job {BUILD_JOB}: {INVALID}"
    assert sim.created == []
    assert condition(sim, "Stalled") == (
        "True",
        "JobRefused",
        f"step build: the API server refused its Job {BUILD_JOB}: {INVALID}",
    )
    assert condition(sim, "Reconciling")[0] == "False", "kstatus reads Stalled as Failed"
    assert "spec.template.spec.containers[0].env[0].name" in sim.model.message
    assert sim.warnings()[-1] == f"step build: {build.job_refused}"
    assert sim.reasons().count("JobRefused") == 1


def test_it_does_not_spin_and_asks_again_only_every_thirty_seconds() -> None:
    sim = refused_build()
    assert sim.last is not None and sim.last.requeue_after == timedelta(seconds=30)
    for _ in range(3):  # events of other objects wake the release meanwhile
        again = sim.advance(timedelta(seconds=9))
        assert again.of_type(CreateJob) == []
    sim.advance(timedelta(seconds=3))  # still refused at the next try
    assert sim.reasons().count("JobRefused") == 1, "the same refusal is reported once"
    assert sim.step("build").phase == "Retrying"


def test_it_heals_when_the_cause_outside_the_spec_goes_away() -> None:
    sim = refused_build()
    sim.refusing.clear()  # e.g. the foreign Job holding the name was deleted
    sim.wake()
    build = sim.step("build")
    assert (build.phase, build.attempts, build.job_refused) == ("Running", 1, "")
    assert [job.name for job in sim.created] == [BUILD_JOB]
    assert condition(sim, "Stalled")[0] == "False"
    assert condition(sim, "Reconciling")[0] == "True"


def test_a_new_spec_tries_at_once() -> None:
    sim = refused_build()
    sim.change_spec(version="1.0.1")
    assert [job.name for job in sim.created] == [job_name_for("rel", "build", 2, 1)]
    assert sim.step("build").phase == "Running"
    assert condition(sim, "Stalled")[0] == "False"


def test_a_refusal_of_a_later_attempt_is_reported_too() -> None:
    sim = Simulation(load_spec("retries"))
    sim.reconcile()
    sim.refusing[job_name_for("rel", "upload", 1, 2)] = (
        "jobs.batch is forbidden: exceeded quota: jobs"
    )
    sim.fail("upload")
    sim.wake()
    upload = sim.step("upload")
    assert (upload.phase, upload.attempts) == ("Retrying", 1)
    assert "exceeded quota" in upload.job_refused
    assert sim.reasons().count("JobRefused") == 1


def test_cancel_clears_the_refusal() -> None:
    sim = refused_build()
    sim.request("cancel", "wrong build")
    assert sim.step("build").phase == "Cancelled"
    assert sim.step("build").job_refused == ""
    assert condition(sim, "Stalled")[:2] == ("False", "Running"), "finally steps still run"
    assert [job.step for job in sim.created] == ["notify"]
