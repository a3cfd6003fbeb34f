"""The cluster commands against the real control plane, as impersonated people."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from appdeploy.api.naming import job_name_for
from tests.cluster.operator import OperatorProcess
from tests.cluster.pod_logs import LOG_LINES
from tests.integration.releases import Releases, gate_step, release_spec, run_cli, run_step


@pytest.fixture
def appdeploy(cluster: Any, releases: Releases) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(
        *args: str, user: str | None = None, groups: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        return run_cli(cluster.kubeconfig, releases.namespace, *args, user=user, groups=groups)

    return run


def qa_release() -> dict[str, Any]:
    return release_spec(
        run_step("build", outputs={"buildNumber": "412"}),
        gate_step("qa-signoff", ["build"], required=2),
        run_step("ship", ["qa-signoff"]),
    )


def test_approve_counts_and_status_shows_it(releases: Releases, appdeploy: Any) -> None:
    releases.apply(
        "slow", release_spec(run_step("build", seconds=300), gate_step("qa-signoff", ["build"]))
    )
    releases.wait_for("slow", steps={"build": "Running"})
    early = appdeploy("approve", "slow", "qa-signoff", user="alice", groups=("qa",))
    assert early.returncode == 1
    assert early.stderr.strip() == (
        "error: cannot approve qa-signoff as alice: qa-signoff is Pending: it waits for "
        "build (Running)"
    )

    releases.apply("shop", qa_release())
    releases.wait_for("shop", phase="AwaitingApproval")
    first = appdeploy(
        "approve", "shop", "qa-signoff", "-m", "ok on iPhone 15", user="alice", groups=("qa",)
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "approved qa-signoff as alice (1 so far; gate is Waiting)"

    shown = appdeploy("status", "shop")
    assert shown.returncode == 0, shown.stderr
    assert "shop  shop 1.0.0  run 1  AwaitingApproval" in shown.stdout
    rows = {line.split()[0]: line for line in shown.stdout.splitlines()[3:] if line.strip()}
    qa_row = rows["qa-signoff"]
    assert "1 of 2 from group qa until" in qa_row and "approved: alice" in qa_row
    assert "buildNumber=412" in rows["build"]

    mallory = appdeploy("approve", "shop", "qa-signoff", user="mallory", groups=("dev",))
    assert mallory.returncode == 1
    assert mallory.stderr.strip() == (
        "error: cannot approve qa-signoff as mallory: mallory is not an approver of "
        "qa-signoff: it needs group qa"
    )

    second = appdeploy("approve", "shop", "qa-signoff", user="bob", groups=("qa",))
    assert second.returncode == 0, second.stderr
    releases.wait_for("shop", phase="Succeeded")
    listed = appdeploy("list").stdout.splitlines()
    assert listed[0].split()[:4] == ["NAME", "APP", "VERSION", "PHASE"]
    assert [line.split()[:4] for line in listed[1:]] == [
        ["shop", "shop", "1.0.0", "Succeeded"],
        ["slow", "shop", "1.0.0", "Running"],
    ]


def test_reject_retry_and_cancel(releases: Releases, appdeploy: Any) -> None:
    releases.apply("shop", qa_release())
    releases.wait_for("shop", phase="AwaitingApproval")
    rejected = appdeploy(
        "reject", "shop", "qa-signoff", "-m", "crash on launch", user="bob", groups=("qa",)
    )
    assert rejected.returncode == 0, rejected.stderr
    assert rejected.stdout.strip() == "rejected qa-signoff as bob: the run fails"
    releases.wait_for("shop", phase="Failed")

    retried = appdeploy("retry", "shop", "--failed")
    assert retried.returncode == 0, retried.stderr
    assert "retrying qa-signoff" in retried.stdout
    releases.wait_for("shop", phase="AwaitingApproval")

    cancelled = appdeploy("cancel", "shop", "-m", "hotfix instead")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "run 1 cancelled: hotfix instead" in cancelled.stdout
    releases.wait_for("shop", phase="Cancelled")
    again = appdeploy("cancel", "shop", "-m", "twice")
    assert again.returncode == 1
    assert "cancel refused: run 1 already Cancelled" in again.stderr


def test_watch_stops_when_people_must_act(releases: Releases, appdeploy: Any) -> None:
    releases.apply("shop", qa_release())
    watched = appdeploy("watch", "shop", "--timeout", "60")
    assert watched.returncode == 3, watched.stderr
    assert "AwaitingApproval: qa-signoff: 0 of 2 approvals (group qa)" in watched.stdout


def test_logs_prints_the_step_pods_log(releases: Releases, appdeploy: Any) -> None:
    releases.apply("shop", release_spec(run_step("build")))
    releases.wait_for("shop", phase="Succeeded")
    # Through the API server to KWOK, the "kubelet" at the node's InternalIP 127.0.0.1,
    # which serves the log file of tests/cluster/pod_logs.py for every container.
    logs = appdeploy("logs", "shop", "build")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.splitlines() == list(LOG_LINES)
    again = appdeploy("logs", "shop", "build", "--attempt", "1")
    assert again.stdout == logs.stdout
    missing = appdeploy("logs", "shop", "deploy")
    assert missing.returncode == 1
    assert "no step deploy in the current run (steps: build)" in missing.stderr
    gone = appdeploy("logs", "shop", "build", "--attempt", "2")
    assert gone.returncode == 1
    assert f"no pod of Job {job_name_for('shop', 'build', 1, 2)}" in gone.stderr


def test_approve_a_release_whose_reminders_only_its_operator_allows(
    cluster: Any, unwatched_releases: Releases, tmp_path: Path
) -> None:
    # Given an operator that allows reminders every second (as the demo's does),
    # and a release at a gate that reminds every 2s, under the default floor of 5m
    namespace = unwatched_releases.namespace
    args = ["--trust-unverified-approvals", "-n", namespace, "--min-reminder-interval", "1s"]
    with OperatorProcess(cluster.kubeconfig, tmp_path / "operator.log", args):
        notify = {"channels": ["mobile-qa"], "remind": {"every": "2s"}}
        unwatched_releases.apply("shop", release_spec(gate_step("qa-signoff", notify=notify)))
        unwatched_releases.wait_for("shop", phase="AwaitingApproval")
        # When alice approves with the command line, which cannot know the operator's floor
        done = run_cli(
            cluster.kubeconfig, namespace, "approve", "shop", "qa-signoff", user="alice",
            groups=("qa",),
        )  # fmt: skip
        # Then the operator's judgement of the spec stands: the approval counts
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "approved qa-signoff as alice (1 so far; gate is Succeeded)"
