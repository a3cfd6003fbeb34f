"""Stories of whole runs: DAG order, parallel starts, outputs, finally, supersede, invalid."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from appdeploy.api.naming import job_name_for
from appdeploy.engine import CreateJob, DeleteJob, Observed, PostEvent, Release, plan
from tests.unit.harness import Simulation

ROOT = Path(__file__).resolve().parents[2]


def test_steps_without_needs_start_at_once_in_parallel() -> None:
    sim = Simulation.of("parallel")
    assert [job.step for job in sim.created] == ["build-ios", "build-android"]
    assert sim.phases() == {"build-ios": "Running", "build-android": "Running", "upload": "Pending"}
    assert sim.phase == "Running"
    assert sim.model.message == "running build-ios, build-android"


def test_a_step_starts_only_when_all_its_needs_succeeded() -> None:
    sim = Simulation.of("parallel")
    sim.complete("build-ios", '{"buildNumber": "412"}')
    assert sim.step("upload").phase == "Pending"
    sim.complete("build-android")
    assert sim.step("upload").phase == "Running"
    upload = sim.created[-1]
    assert upload.spec.args == ["412"], "the output flows into the downstream step"


def test_job_fields_are_resolved_and_defaults_applied() -> None:
    sim = Simulation.of("parallel")
    ios, android = sim.created
    assert isinstance(ios, CreateJob)
    assert ios.name == job_name_for("rel", "build-ios", 1, 1)
    assert (ios.run, ios.attempt) == (1, 1)
    assert ios.service_account_name == "signer", "the step overrides the release default"
    assert android.service_account_name == "runner"
    assert ios.deadline_seconds == 3600, "defaults.timeout is 1h"
    assert [(e.name, e.value) for e in android.spec.env] == [
        ("VERSION", "2.0.0"),
        ("RUN", "rel-r1"),
    ]


def test_linear_release_succeeds_and_finally_sees_the_phase() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "412"}')
    assert sim.step("qa").message == "QA checks build 412"
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    assert sim.step("soak").phase == "Running"
    assert sim.last is not None and sim.last.requeue_after == timedelta(hours=1)
    sim.wake()
    assert sim.step("ship").phase == "Running"
    assert sim.created[-1].spec.args == ["--build=412"]
    sim.complete("ship")
    assert sim.step("notify").phase == "Running"
    assert sim.created[-1].spec.args == ["shop 1.0.0: Succeeded"]
    assert sim.phase == "Running", "the run is not over until finally steps end"
    sim.complete("notify")
    assert sim.phase == "Succeeded"
    assert sim.model.finished_at == sim.now
    assert sim.model.message == "shop 1.0.0 released: all 5 steps succeeded"


def test_a_failed_step_skips_what_is_downstream_then_runs_finally() -> None:
    sim = Simulation.of("linear")
    sim.fail("build", exit_code=65, message="signing identity not found")
    assert sim.step("build").message == "exit code 65: signing identity not found"
    assert sim.phases() == {
        "build": "Failed",
        "qa": "Skipped",
        "soak": "Skipped",
        "ship": "Skipped",
        "notify": "Running",
    }
    assert sim.created[-1].spec.args == ["shop 1.0.0: Failed"]
    sim.complete("notify")
    assert sim.phase == "Failed"
    assert sim.model.message == "build failed: exit code 65: signing identity not found"


def test_running_steps_finish_after_a_failure_but_nothing_new_starts() -> None:
    sim = Simulation.of("parallel")
    sim.fail("build-ios")
    assert sim.step("build-android").phase == "Running"
    assert sim.step("upload").phase == "Skipped"
    assert sim.phase == "Running"
    sim.complete("build-android")
    assert sim.step("build-android").phase == "Succeeded"
    assert sim.phase == "Failed"
    assert [job.step for job in sim.created] == ["build-ios", "build-android"]


def test_a_missing_output_fails_the_step_with_a_clear_message() -> None:
    sim = Simulation.of("parallel")
    sim.complete("build-ios", '{"versionCode": "7"}')
    sim.complete("build-android")
    upload = sim.step("upload")
    assert upload.phase == "Failed"
    assert upload.message == (
        "cannot start: $(steps.build-ios.outputs.buildNumber): step build-ios produced no "
        'output "buildNumber" (it produced: versionCode)'
    )
    assert "upload" not in [job.step for job in sim.created]


def test_a_termination_message_that_is_not_json_gives_no_outputs_but_succeeds() -> None:
    sim = Simulation.of("parallel")
    sim.complete("build-ios", "all good")
    step = sim.step("build-ios")
    assert step.phase == "Succeeded"
    assert step.outputs == {}
    assert "not a JSON object" in step.message


def test_a_new_generation_supersedes_the_active_run() -> None:
    sim = Simulation.of("parallel")
    sim.complete("build-ios", '{"buildNumber": "1"}')
    old_android = sim.job_of("build-android").name
    sim.change_spec(version="2.0.1")
    assert old_android in sim.deleted
    assert sim.model.run == 2
    assert sim.model.version == "2.0.1"
    history = sim.model.history
    assert [(h.run, h.version, h.phase) for h in history] == [(1, "2.0.0", "Superseded")]
    assert [j.name for j in sim.created[-2:]] == [
        job_name_for("rel", "build-ios", 2, 1),
        job_name_for("rel", "build-android", 2, 1),
    ]
    assert "RunSuperseded" in sim.reasons()


def test_history_keeps_the_last_ten_runs_newest_first() -> None:
    sim = Simulation.of("parallel")
    for number in range(12):
        sim.change_spec(version=f"2.0.{number + 1}")
    runs = [entry.run for entry in sim.model.history]
    assert runs == list(range(12, 2, -1))


def test_a_finished_run_is_recorded_with_its_outcome() -> None:
    sim = Simulation.of("parallel")
    sim.complete("build-ios", '{"buildNumber": "1"}')
    sim.complete("build-android")
    sim.complete("upload")
    assert sim.phase == "Succeeded"
    sim.change_spec(version="2.1.0")
    assert [(h.run, h.phase) for h in sim.model.history] == [(1, "Succeeded")]


def test_an_invalid_spec_is_reported_and_creates_nothing() -> None:
    sim = Simulation(
        {
            "app": "shop",
            "version": "1",
            "steps": [
                {"name": "build", "needs": ["sign"], "run": {"image": "b"}},
                {"name": "sign", "needs": ["build"], "run": {"image": "s"}},
            ],
        }
    )
    result = sim.reconcile()
    assert sim.phase == "Invalid"
    assert sim.model.message == "spec.steps[0].needs: cycle build -> sign -> build"
    conditions = {c.type: (c.status, c.reason) for c in sim.model.conditions}
    assert conditions == {
        "Ready": ("False", "InvalidSpec"),
        "Reconciling": ("False", "InvalidSpec"),
        "Stalled": ("True", "InvalidSpec"),
        "AwaitingApproval": ("False", "InvalidSpec"),
    }
    assert [event.reason for event in result.of_type(PostEvent)] == ["InvalidSpec"]
    assert sim.created == []
    again = sim.reconcile()
    assert again.actions == (), "the Warning is posted once, not on every pass"


def test_fixing_an_invalid_spec_starts_a_run() -> None:
    sim = Simulation(
        {
            "app": "shop",
            "version": "1",
            "steps": [{"name": "build", "run": {"image": "b"}, "wait": {"duration": "1h"}}],
        }
    )
    sim.reconcile()
    assert sim.phase == "Invalid"
    assert "set exactly one of run, gate, wait, check (found run, wait)" in sim.model.message
    sim.change_spec(steps=[{"name": "build", "run": {"image": "b"}}])
    assert sim.phase == "Running"
    assert sim.model.run == 2


def test_an_operator_crash_after_creating_a_job_adopts_it() -> None:
    sim = Simulation.of("parallel")
    stale_status = sim.status
    sim.complete("build-ios", '{"buildNumber": "9"}')
    sim.complete("build-android")
    assert sim.step("upload").phase == "Running"
    # The status write after creating the upload Job was lost: replay the old status.
    sim.status = stale_status
    sim.reconcile()
    assert [job.step for job in sim.created].count("upload") == 1
    assert sim.step("upload").phase == "Running"


def superseded_mid_run() -> Simulation:
    """build-ios done, build-android running, then a new spec is committed (not yet planned)."""
    sim = Simulation.of("parallel")
    sim.complete("build-ios", '{"buildNumber": "1"}')
    sim.spec = {**sim.spec, "version": "2.0.1"}
    sim.generation += 1
    sim.now += timedelta(minutes=3)
    return sim


def plan_of_a_superseded_run() -> str:
    """The plan for ``superseded_mid_run``, as text (printed by the hash-seed test's child)."""
    return repr(superseded_mid_run().plan_now())


def test_a_plan_depends_only_on_its_inputs() -> None:
    sim = superseded_mid_run()
    first = sim.plan_now()
    kinds = {type(action) for action in first.actions}
    assert {CreateJob, DeleteJob, PostEvent} <= kinds, "a plan with something in it to compare"
    assert sim.plan_now() == first, "planning again gives the same (no hidden state)"
    assert superseded_mid_run().plan_now() == first, "so does an independently built release"
    reordered = Observed(jobs=tuple(reversed(sim.observed().jobs)))
    release = Release(sim.name, "ns", sim.generation, sim.spec, sim.status)
    assert plan(release, reordered, sim.now, sim.settings) == first, "Job order does not matter"


def test_a_plan_does_not_depend_on_the_hash_seed() -> None:
    # Iterating a set of step names would order actions by string hashes, which
    # differ per process: plan the same release in two with different seeds.
    script = "from tests.unit.test_planner_runs import plan_of_a_superseded_run as p; print(p())"
    plans = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert plans == {plan_of_a_superseded_run() + "\n"}


def test_a_release_name_too_long_for_a_label_is_invalid() -> None:
    sim = Simulation(
        {"app": "a", "version": "1", "steps": [{"name": "b", "run": {"image": "i"}}]}, name="r" * 64
    )
    sim.reconcile()
    assert sim.phase == "Invalid"
    assert sim.model.message.startswith("metadata.name: ")
    assert "a release name has at most 63 (it labels every Job of the release)" in (
        sim.model.message
    )
    assert sim.created == []
