"""Crash safety: SIGKILL the operator at the worst moments; the release still completes
with exactly one Job per (run, step, attempt) and no approval lost or counted twice.

Each story runs its own operator on its own namespace (not one the shared
operator watches), armed with a failpoint (``APPDEPLOY_FAILPOINTS``) that
makes the process kill itself at that exact point of applying a plan. Every
operator serves the admission webhooks on 127.0.0.1 with the same key, so
decisions are signed by the webhook and verified, never trusted unsigned.
"Exactly one Job" counts creations (distinct Job uids on a watch started before
the story), since a Job deleted and created again keeps its deterministic name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appdeploy.api.naming import job_name_for
from appdeploy.k8s.annotations import authored_key
from tests.cluster.wait import wait_for
from tests.integration.crashable_operator import CrashableOperator
from tests.integration.job_creations import JobCreations
from tests.integration.releases import (
    Releases,
    gate_step,
    release_spec,
    run_step,
)
from tests.integration.signed_webhook import SignedWebhook

TIMEOUT = 60.0
ALICE = authored_key("approve", "qa", "alice")
"""Where the webhook puts alice's approval of qa."""


@pytest.fixture
def crash_namespace(unwatched_namespace: str) -> str:
    return unwatched_namespace


@pytest.fixture
def operators(
    cluster: Any, api_client: Any, crash_namespace: str, tmp_path: Path
) -> Iterator[CrashableOperator]:
    webhook = SignedWebhook(api_client, crash_namespace, tmp_path)
    crashable = CrashableOperator(cluster.kubeconfig, crash_namespace, tmp_path, webhook)
    yield crashable
    crashable.stop()
    webhook.remove()


@pytest.fixture
def story(api_client: Any, crash_namespace: str, kubectl: Callable[..., list[str]]) -> Releases:
    return Releases(api_client, crash_namespace, kubectl)


def alice_annotates(story: Releases) -> None:
    """Alice writes her approval; the test, not the helper, waits for what happens next."""
    result = story.annotate(
        "shop",
        "approve.appdeploy.dev/qa",
        '{"user": "alice", "groups": ["qa"], "comment": "ok"}',
        as_user="alice",
        groups=["qa"],
    )
    assert result.returncode == 0, result.stderr


def test_a_crash_right_after_creating_a_job(
    operators: CrashableOperator, story: Releases, job_creations: JobCreations
) -> None:
    operators.start(failpoints="after-job-create", live=False)
    story.apply("shop", release_spec(run_step("build", seconds=1), run_step("ship", ["build"])))
    operators.wait_until_crashed()
    assert story.job_names("shop") == [job_name_for("shop", "build", 1, 1)]
    assert not story.status("shop").steps, "the crash came before the status write"

    operators.start()
    done = story.wait_for("shop", phase="Succeeded")
    assert done.step("build").attempts == 1
    assert job_creations.counts("shop") == Counter({("1", "build", "1"): 1, ("1", "ship", "1"): 1})


def test_a_crash_between_an_approval_and_its_status_write(
    operators: CrashableOperator, story: Releases, job_creations: JobCreations
) -> None:
    operators.start()
    story.apply("shop", release_spec(gate_step("qa", required=2), run_step("ship", ["qa"])))
    story.wait_for("shop", phase="AwaitingApproval")
    operators.stop()

    operators.start(failpoints="before-status-write")
    alice_annotates(story)
    operators.wait_until_crashed()
    assert ALICE in story.annotations("shop"), "nothing was lost"

    operators.start()
    wait_for(
        lambda: ALICE not in story.annotations("shop"),
        TIMEOUT,
        "the restarted operator to take alice's approval",
    )
    story.approve("shop", "qa", as_user="bob")
    done = story.wait_for("shop", phase="Succeeded")
    assert [(a.user, a.verified) for a in done.step("qa").approvals] == [
        ("alice", True),
        ("bob", True),
    ]
    assert job_creations.counts("shop") == Counter({("1", "ship", "1"): 1})


def test_a_crash_after_the_status_write_before_the_annotation_is_removed(
    operators: CrashableOperator, story: Releases, job_creations: JobCreations
) -> None:
    operators.start()
    story.apply("shop", release_spec(gate_step("qa", required=2), run_step("ship", ["qa"])))
    story.wait_for("shop", phase="AwaitingApproval")
    operators.stop()

    operators.start(failpoints="after-status-write")
    alice_annotates(story)
    operators.wait_until_crashed()
    recorded = story.status("shop").step("qa").approvals
    assert [(a.user, a.verified) for a in recorded] == [("alice", True)]
    assert ALICE in story.annotations("shop")

    operators.start()
    wait_for(
        lambda: ALICE not in story.annotations("shop"),
        TIMEOUT,
        "the restarted operator to clear the replayed annotation",
    )
    assert [a.user for a in story.status("shop").step("qa").approvals] == ["alice"]
    assert not [e for e in story.events("shop") if e[1] == "ApprovalRefused"]
    story.approve("shop", "qa", as_user="bob")
    story.wait_for("shop", phase="Succeeded")
    assert job_creations.counts("shop") == Counter({("1", "ship", "1"): 1})


def test_a_crash_during_a_retry_backoff(
    operators: CrashableOperator, story: Releases, job_creations: JobCreations
) -> None:
    operators.start()
    story.apply(
        "shop",
        release_spec(
            run_step(
                "upload",
                exit_code=1,
                message="503",
                fail_attempts=1,
                retries={"limit": 2, "backoff": "3s"},
            )
        ),
    )
    retrying = story.wait_for("shop", steps={"upload": "Retrying"})
    assert operators.current is not None
    operators.current.kill()

    operators.start()
    done = story.wait_for("shop", phase="Succeeded")
    assert done.step("upload").started_at is not None
    assert retrying.step("upload").next_attempt_at is not None
    assert job_creations.counts("shop") == Counter(
        {("1", "upload", "1"): 1, ("1", "upload", "2"): 1}
    )
