"""Run step attempts: retries with doubling capped backoff, timeouts, deleted Jobs."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.api.naming import job_name_for
from appdeploy.api.timestamps import LATEST
from appdeploy.engine import DeleteJob
from tests.unit.harness import T0, Simulation


def test_a_failed_attempt_is_retried_after_a_doubling_capped_backoff() -> None:
    sim = Simulation.of("retries")
    sim.fail("upload", message="503 from App Store Connect")
    upload = sim.step("upload")
    assert upload.phase == "Retrying"
    assert upload.next_attempt_at == T0 + timedelta(seconds=30)
    assert upload.message == (
        "attempt 1 failed: exit code 1: 503 from App Store Connect; "
        "retry 1 of 2 at 2026-11-27T09:00:30Z"
    )
    assert sim.last is not None and sim.last.requeue_after == timedelta(seconds=30)
    assert sim.model.message == "upload: retrying at 2026-11-27T09:00:30Z"

    sim.advance(timedelta(seconds=29))
    assert sim.step("upload").phase == "Retrying", "not before the backoff has passed"
    sim.advance(timedelta(seconds=1))
    assert sim.step("upload").phase == "Running"
    assert sim.job_of("upload").name == job_name_for("rel", "upload", 1, 2)

    sim.fail("upload")
    # 30s doubled is 60s, capped at maxBackoff 45s.
    assert sim.step("upload").next_attempt_at == sim.now + timedelta(seconds=45)
    sim.wake()
    sim.complete("upload")
    assert sim.step("upload").phase == "Succeeded"
    assert sim.step("upload").attempts == 3
    assert sim.step("publish").phase == "Running"


def test_a_step_that_exhausts_its_retries_fails_the_run() -> None:
    sim = Simulation.of("retries")
    for _ in range(2):
        sim.fail("upload")
        sim.wake()
    sim.fail("upload", exit_code=2, message="quota exceeded")
    upload = sim.step("upload")
    assert (upload.phase, upload.attempts) == ("Failed", 3)
    assert upload.message == "exit code 2: quota exceeded"
    assert sim.step("publish").phase == "Skipped"
    assert sim.created[-1].spec.args == ["Failed"]
    sim.complete("notify")
    assert sim.phase == "Failed"
    assert [job.attempt for job in sim.created if job.step == "upload"] == [1, 2, 3]


def test_an_attempt_past_its_timeout_is_stopped_and_counts_as_failed() -> None:
    sim = Simulation.of("retries")
    job = sim.job_of("upload").name
    assert sim.last is not None and sim.last.requeue_after == timedelta(minutes=20)
    sim.advance(timedelta(minutes=20))
    upload = sim.step("upload")
    assert upload.phase == "Retrying"
    assert upload.message.startswith("attempt 1 failed: timed out after 20m")
    assert job in sim.deleted


def test_a_timed_out_job_left_behind_by_a_crash_is_deleted_on_the_next_pass() -> None:
    # The operator deletes Jobs only after the status write; a crash between the
    # two leaves the timed-out Job running, and the next pass must ask again.
    sim = Simulation.of("retries")
    job = sim.job_of("upload")
    sim.now += timedelta(minutes=20)
    sim.status = sim.plan_now().status.to_wire()  # the write landed, the delete did not
    again = sim.plan_now()
    assert [d.name for d in again.of_type(DeleteJob)] == [job.name]
    assert again.status.step("upload").message.startswith("attempt 1 failed: timed out after 20m")


def test_a_job_deadline_reported_by_kubernetes_reads_as_a_timeout() -> None:
    sim = Simulation(
        {
            "app": "a",
            "version": "1",
            "steps": [{"name": "build", "timeout": "90m", "run": {"image": "b"}}],
        }
    )
    sim.reconcile()
    job = sim.job_of("build")
    from dataclasses import replace

    from appdeploy.engine import JobState

    sim.jobs[job.name] = replace(job, state=JobState.FAILED, reason="DeadlineExceeded")
    sim.reconcile()
    assert sim.step("build").message == "timed out after 1h30m (Job deadline exceeded)"


def test_a_job_deleted_by_hand_is_a_failed_attempt() -> None:
    sim = Simulation.of("retries")
    del sim.jobs[sim.job_of("upload").name]
    sim.reconcile()
    upload = sim.step("upload")
    assert upload.phase == "Retrying"
    assert (
        f"Job {job_name_for('rel', 'upload', 1, 1)} was deleted before it finished"
        in upload.message
    )


def test_retrying_steps_are_cancelled_when_another_step_fails() -> None:
    sim = Simulation(
        {
            "app": "a",
            "version": "1",
            "steps": [
                {"name": "flaky", "retries": {"limit": 3}, "run": {"image": "f"}},
                {"name": "solid", "run": {"image": "s"}},
            ],
        }
    )
    sim.reconcile()
    sim.fail("flaky")
    assert sim.step("flaky").phase == "Retrying"
    sim.fail("solid")
    assert sim.step("flaky").phase == "Cancelled"
    assert sim.step("flaky").message == "retry not attempted: solid failed"
    assert sim.phase == "Failed"


def test_a_hundred_retries_keep_doubling_capped_without_overflow() -> None:
    # Found by the spec fuzzer: `backoff * 2**(n-1)` passes what a timedelta holds at
    # the 42nd retry (30s * 2**41), and plan raised OverflowError before the cap applied.
    spec = {
        "app": "shop",
        "version": "1",
        "steps": [{"name": "upload", "run": {"image": "u"}, "retries": {"limit": 100}}],
    }
    sim = Simulation(spec)
    sim.reconcile()
    for retry in range(60):
        sim.fail("upload")
        backoff = timedelta(seconds=min(30 * 2**retry, 600))
        assert sim.step("upload").next_attempt_at == sim.now + backoff
        sim.wake()
    assert sim.step("upload").attempts == 61


def test_the_longest_durations_never_overflow_the_clock() -> None:
    # 999999d999999h999999m999999s is the longest duration the API takes (about 2,854
    # years); deadlines added over retries end at the last moment a timestamp holds.
    longest = "999999d999999h999999m999999s"
    spec = {
        "app": "shop",
        "version": "1",
        "defaults": {
            "timeout": longest,
            "gateTimeout": longest,
            "retries": {"limit": 5, "backoff": longest, "maxBackoff": longest},
        },
        "steps": [
            {"name": "build", "run": {"image": "b"}},
            {"name": "soak", "needs": ["build"], "wait": {"duration": longest}},
            {"name": "ship", "needs": ["soak"], "gate": {"approvers": {"groups": ["qa"]}}},
        ],
    }
    sim = Simulation(spec)
    sim.reconcile()
    for _ in range(3):
        sim.fail("build")
        sim.wake()
    assert sim.step("build").phase == "Running"
    assert sim.now == LATEST
    sim.complete("build")
    # At the end of time every deadline has come: the soak ends, the gate times out.
    assert sim.phases() == {"build": "Succeeded", "soak": "Succeeded", "ship": "Failed"}
    assert sim.step("ship").deadline == LATEST
