"""Stories of runs on the real control plane: Jobs really run (KWOK), the operator advances."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta

from appdeploy.api.naming import job_name_for
from tests.integration.releases import Releases, gate_step, release_spec, run_step


def test_parallel_steps_run_and_an_output_flows_downstream(releases: Releases) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step("build-ios", seconds=0.5, outputs={"buildNumber": "412"}),
            run_step("build-android", seconds=0.5),
            run_step(
                "upload",
                ["build-ios", "build-android"],
                args=["--build=$(steps.build-ios.outputs.buildNumber)"],
            ),
        ),
    )
    running = releases.wait_for("shop", steps={"build-ios": "Running", "build-android": "Running"})
    assert running.step("upload").phase == "Pending"

    done = releases.wait_for("shop", phase="Succeeded")
    assert done.step("build-ios").outputs == {"buildNumber": "412"}
    upload = next(job for job in releases.jobs("shop") if "upload" in job["metadata"]["name"])
    assert upload["spec"]["template"]["spec"]["containers"][0]["args"] == ["--build=412"]
    assert releases.job_names("shop") == [
        job_name_for("shop", "build-android", 1, 1),
        job_name_for("shop", "build-ios", 1, 1),
        job_name_for("shop", "upload", 1, 1),
    ]


def test_the_job_carries_the_contract(releases: Releases) -> None:
    releases.apply(
        "shop", release_spec(run_step("build", seconds=0.2), serviceAccountName="default")
    )
    releases.wait_for("shop", phase="Succeeded")
    job = releases.jobs("shop")[0]
    labels = job["metadata"]["labels"]
    assert {
        key: labels.get(key)
        for key in (
            "appdeploy.dev/deployment",
            "appdeploy.dev/step",
            "appdeploy.dev/run",
            "appdeploy.dev/attempt",
            "app.kubernetes.io/managed-by",
        )
    } == {
        "appdeploy.dev/deployment": "shop",
        "appdeploy.dev/step": "build",
        "appdeploy.dev/run": "1",
        "appdeploy.dev/attempt": "1",
        "app.kubernetes.io/managed-by": "appdeploy",
    }
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "AppDeployment",
        "shop",
        releases.get("shop")["metadata"]["uid"],
    )
    spec = job["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"]) == (0, 3600)
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == "default"
    security = pod["containers"][0]["securityContext"]
    assert security == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_a_failing_step_is_retried_with_a_doubling_backoff_then_succeeds(
    releases: Releases,
) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step(
                "upload",
                exit_code=1,
                message="503 from App Store Connect",
                fail_attempts=2,
                retries={"limit": 2, "backoff": "2s"},
            ),
        ),
    )
    retrying = releases.wait_for("shop", steps={"upload": "Retrying"})
    upload = retrying.step("upload")
    assert upload.next_attempt_at is not None
    assert "attempt 1 failed: exit code 1: 503 from App Store Connect" in upload.message
    done = releases.wait_for("shop", phase="Succeeded")
    assert done.step("upload").attempts == 3
    first, second, third = releases.job_names("shop")
    assert (first, second, third) == tuple(job_name_for("shop", "upload", 1, n) for n in (1, 2, 3))
    # All these times are whole seconds. The operator sees a failure after the pod
    # ended and stores the retry time truncated, so an attempt started no earlier
    # than failure + backoff still has creationTimestamp >= finishedAt + backoff.
    assert releases.job_created_at(second) >= releases.pod_finished_at(first) + timedelta(
        seconds=2
    ), "attempt 2 started before its backoff passed"
    assert releases.job_created_at(third) >= releases.pod_finished_at(second) + timedelta(
        seconds=4
    ), "the backoff doubles for attempt 3"
    reasons = [reason for _, reason, _ in releases.events("shop")]
    assert "StepRetrying" in reasons


def test_exhausted_retries_fail_the_run_skip_downstream_and_run_finally(
    releases: Releases,
) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step(
                "sign",
                exit_code=65,
                message="signing identity not found",
                retries={"limit": 1, "backoff": "1s"},
            ),
            run_step("upload", ["sign"]),
            final=[run_step("notify", args=["$(app) $(version): $(run.phase)"])],
        ),
    )
    failed = releases.wait_for("shop", phase="Failed")
    assert {s.name: str(s.phase) for s in failed.steps} == {
        "sign": "Failed",
        "upload": "Skipped",
        "notify": "Succeeded",
    }
    assert failed.step("sign").message == "exit code 65: signing identity not found"
    assert failed.step("sign").attempts == 2
    notify = next(job for job in releases.jobs("shop") if "notify" in job["metadata"]["name"])
    assert notify["spec"]["template"]["spec"]["containers"][0]["args"] == ["shop 1.0.0: Failed"]
    conditions = {c.type: c.status for c in failed.conditions}
    assert conditions == {
        "Ready": "False",
        "Reconciling": "False",
        "Stalled": "True",
        "AwaitingApproval": "False",
    }


def test_a_wait_step_soaks_then_the_rollout_continues(releases: Releases) -> None:
    releases.apply(
        "shop",
        release_spec(
            run_step("rollout-1pct"),
            {"name": "soak", "needs": ["rollout-1pct"], "wait": {"duration": "3s"}},
            run_step("rollout-100pct", ["soak"]),
        ),
    )
    soaking = releases.wait_for("shop", steps={"soak": "Running"})
    assert soaking.message.startswith("soak: waiting until")
    done = releases.wait_for("shop", phase="Succeeded")
    started = done.step("soak").started_at
    assert started is not None
    assert started >= releases.pod_finished_at(job_name_for("shop", "rollout-1pct", 1, 1)), (
        "the soak starts once the step it needs has finished"
    )
    # Whole seconds: the soak's start is stored truncated, so a Job created no
    # earlier than start + duration has creationTimestamp >= start + duration.
    assert releases.job_created_at(
        job_name_for("shop", "rollout-100pct", 1, 1)
    ) >= started + timedelta(seconds=3), "the rollout continued before the soak was over"


def test_a_spec_change_mid_run_supersedes_the_run(releases: Releases) -> None:
    spec = release_spec(run_step("build", seconds=60), run_step("ship", ["build"]))
    releases.apply("shop", spec)
    releases.wait_for("shop", steps={"build": "Running"})
    releases.replace_spec(
        "shop",
        {
            **spec,
            "version": "1.0.1",
            "steps": [run_step("build", seconds=0.2), run_step("ship", ["build"])],
        },
    )
    done = releases.wait_for("shop", phase="Succeeded", run=2)
    assert [(h.run, h.version, h.phase) for h in done.history] == [(1, "1.0.0", "Superseded")]
    assert releases.job_names("shop") == [
        job_name_for("shop", "build", 2, 1),
        job_name_for("shop", "ship", 2, 1),
    ], "the old run's Job was deleted"
    releases.wait_for_event("shop", "RunSuperseded", "run 1 superseded by run 2")


def test_a_job_deleted_by_hand_counts_as_a_failed_attempt(releases: Releases) -> None:
    releases.apply(
        "shop", release_spec(run_step("build", seconds=60, retries={"limit": 1, "backoff": "1s"}))
    )
    releases.wait_for("shop", steps={"build": "Running"})
    releases.batch.delete_namespaced_job(
        job_name_for("shop", "build", 1, 1), releases.namespace, propagation_policy="Background"
    )
    retrying = releases.wait_for("shop", steps={"build": "Retrying"})
    assert (
        f"Job {job_name_for('shop', 'build', 1, 1)} was deleted before it finished"
        in retrying.step("build").message
    )
    releases.wait_for("shop", steps={"build": "Running"})
    assert releases.status("shop").step("build").job == job_name_for("shop", "build", 1, 2)


def test_an_invalid_spec_is_reported_and_creates_nothing(releases: Releases) -> None:
    releases.apply("shop", release_spec(run_step("build", ["sign"]), run_step("sign", ["build"])))
    invalid = releases.wait_for("shop", phase="Invalid")
    assert invalid.message == "spec.steps[0].needs: cycle build -> sign -> build"
    stalled = next(c for c in invalid.conditions if c.type == "Stalled")
    assert (stalled.status, stalled.reason) == ("True", "InvalidSpec")
    releases.wait_for_event("shop", "InvalidSpec", "cycle build -> sign -> build")
    assert releases.jobs("shop") == []


def test_kubectl_wait_and_get_work_on_releases(
    releases: Releases, kubectl: Callable[..., list[str]]
) -> None:
    releases.apply("shop", release_spec(run_step("build", seconds=0.5)))
    waited = subprocess.run(
        kubectl(
            "-n",
            releases.namespace,
            "wait",
            "--for=condition=Ready",
            "appdeployment/shop",
            "--timeout=60s",
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert waited.returncode == 0, waited.stderr
    assert "condition met" in waited.stdout
    table = subprocess.run(
        kubectl("-n", releases.namespace, "get", "ad"), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert table[0].split() == [
        "NAME",
        "APP",
        "VERSION",
        "PHASE",
        "WAITING",
        "ON",
        "MESSAGE",
        "AGE",
    ]
    assert table[1].split()[:4] == ["shop", "shop", "1.0.0", "Succeeded"]


def test_no_kopf_bookkeeping_on_the_release(releases: Releases) -> None:
    releases.apply("shop", release_spec(run_step("build"), gate_step("qa", ["build"])))
    releases.wait_for("shop", phase="AwaitingApproval")
    metadata = releases.get("shop")["metadata"]
    assert not metadata.get("finalizers")
    assert not [key for key in metadata.get("annotations") or {} if "kopf" in key]
