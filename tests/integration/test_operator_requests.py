"""Retry and cancel through annotations, on the real control plane."""

from __future__ import annotations

from appdeploy.api.naming import job_name_for
from tests.integration.releases import Releases, release_spec, run_step


def test_retry_reruns_the_failed_step_and_everything_downstream(releases: Releases) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step("upload", exit_code=1, message="quota exceeded", fail_attempts=1),
            run_step("publish", ["upload"]),
            final=[run_step("notify", args=["$(run.phase)"])],
        ),
    )
    failed = releases.wait_for("shop", phase="Failed")
    assert failed.step("publish").phase == "Skipped"

    releases.request("shop", "retry", "failed")
    done = releases.wait_for("shop", phase="Succeeded")
    assert done.step("upload").attempts == 2
    assert done.step("upload").job == job_name_for("shop", "upload", 1, 2)
    assert done.step("publish").phase == "Succeeded"
    releases.wait_for_event("shop", "RetryAccepted", "retrying upload")
    notify_args = [
        job["spec"]["template"]["spec"]["containers"][0]["args"]
        for job in releases.jobs("shop")
        if "notify" in job["metadata"]["name"]
    ]
    assert notify_args == [["Failed"], ["Succeeded"]]


def test_cancel_stops_jobs_and_still_runs_finally(releases: Releases) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step("build-ios", seconds=120),
            run_step("build-android", seconds=120),
            run_step("upload", ["build-ios", "build-android"]),
            final=[run_step("notify", args=["$(run.phase)"])],
        ),
    )
    releases.wait_for("shop", steps={"build-ios": "Running", "build-android": "Running"})
    releases.request("shop", "cancel", "wrong branch")
    cancelled = releases.wait_for("shop", phase="Cancelled")
    assert {s.name: str(s.phase) for s in cancelled.steps} == {
        "build-ios": "Cancelled",
        "build-android": "Cancelled",
        "upload": "Cancelled",
        "notify": "Succeeded",
    }
    assert cancelled.step("build-ios").message == "cancelled: wrong branch"
    assert sorted(releases.job_names("shop")) == [job_name_for("shop", "notify", 1, 1)], (
        "build Jobs deleted"
    )
    releases.wait_for_event("shop", "CancelAccepted", "wrong branch")


def test_a_refused_request_is_an_event_and_changes_nothing(releases: Releases) -> None:
    releases.apply("shop", release_spec(run_step("build", seconds=120)))
    before = releases.wait_for("shop", steps={"build": "Running"})
    releases.request("shop", "retry", "build")
    releases.wait_for_event("shop", "RetryRefused", "retry applies once it has ended")
    assert releases.status("shop").steps == before.steps
