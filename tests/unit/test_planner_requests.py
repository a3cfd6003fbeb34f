"""The retry and cancel annotations."""

from __future__ import annotations

from appdeploy.api.naming import job_name_for
from tests.unit.harness import Simulation


def test_retry_failed_reruns_the_failed_step_and_everything_downstream() -> None:
    sim = Simulation.of("linear")
    sim.fail("build")
    sim.complete("notify")
    assert sim.phase == "Failed"
    sim.request("retry", "failed")
    assert sim.phases() == {
        "build": "Running",
        "qa": "Pending",
        "soak": "Pending",
        "ship": "Pending",
        "notify": "Pending",
    }
    assert sim.job_of("build").name == job_name_for("rel", "build", 1, 2), (
        "attempt numbers continue"
    )
    assert sim.model.finished_at is None
    assert not sim.requests
    sim.complete("build", '{"buildNumber": "2"}')
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.wake()
    sim.complete("ship")
    sim.complete("notify")
    assert sim.phase == "Succeeded"
    assert [job.name for job in sim.created if job.step == "notify"] == [
        job_name_for("rel", "notify", 1, 1),
        job_name_for("rel", "notify", 1, 2),
    ]


def test_a_manual_retry_gives_the_step_a_fresh_retry_budget() -> None:
    sim = Simulation.of("retries")
    for _ in range(2):
        sim.fail("upload")
        sim.wake()
    sim.fail("upload")
    sim.complete("notify")
    sim.request("retry", "upload")
    sim.fail("upload")
    assert sim.step("upload").phase == "Retrying", "automatic retries count from the retry"
    assert sim.step("upload").attempts == 4


def test_retry_of_a_named_succeeded_step_reruns_it_and_clears_approvals_downstream() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.wake()
    sim.fail("ship")
    sim.complete("notify")
    sim.request("retry", "build")
    assert sim.step("qa").approvals == []
    assert sim.step("build").phase == "Running"


def test_retry_is_refused_while_the_run_is_active_or_names_no_step() -> None:
    sim = Simulation.of("linear")
    before = sim.phases()
    sim.request("retry", "build")
    assert sim.warnings()[-1] == "retry refused: run 1 is Running; retry applies once it has ended"
    assert sim.phases() == before
    sim.fail("build")
    sim.complete("notify")
    sim.request("retry", "biuld")
    assert sim.warnings()[-1] == (
        'retry refused: no step named "biuld" (did you mean "build"?); name a step or '
        'write "failed"'
    )
    assert sim.phase == "Failed"


def test_cancel_stops_the_run_deletes_jobs_and_still_runs_finally() -> None:
    sim = Simulation.of("parallel")
    jobs = [job.name for job in sim.created]
    sim.request("cancel", "wrong branch")
    assert sim.phases() == {
        "build-ios": "Cancelled",
        "build-android": "Cancelled",
        "upload": "Cancelled",
    }
    assert sorted(sim.deleted) == sorted(jobs)
    assert sim.phase == "Cancelled"
    assert sim.model.message == "build-ios cancelled: cancelled: wrong branch"
    conditions = {c.type: c.status for c in sim.model.conditions}
    assert conditions == {
        "Ready": "False",
        "Reconciling": "False",
        "Stalled": "True",
        "AwaitingApproval": "False",
    }


def test_cancel_runs_finally_with_the_cancelled_phase() -> None:
    sim = Simulation.of("linear")
    sim.request("cancel", "hotfix instead")
    assert sim.step("notify").phase == "Running"
    assert sim.created[-1].spec.args == ["shop 1.0.0: Cancelled"]
    sim.complete("notify")
    assert sim.phase == "Cancelled"


def test_cancel_of_an_ended_run_is_refused() -> None:
    sim = Simulation.of("parallel")
    sim.request("cancel", "x")
    sim.request("cancel", "again")
    assert sim.warnings()[-1] == "cancel refused: run 1 already Cancelled"
