"""Applying plans against the real API server: lost status races, refused Jobs.

The Reconciler runs in the test process on a namespace no operator watches,
with a clock the test moves, so an attempt's timeout or a refusal's next try
happens when the story says. Its Cluster is the real one; where a story needs
a concurrent writer, the writer really writes to the API server between the
reconciler's GET and its status PUT.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from appdeploy.api.naming import job_name_for
from appdeploy.controller.cache import ReleaseCache
from appdeploy.controller.config import OperatorConfig
from appdeploy.controller.reconcile import RETRY_SOON, Reconciler
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.wait import wait_for
from tests.integration.releases import Releases, release_spec, run_step

TIMEOUT = 60.0

BUILD_JOB = job_name_for("shop", "build", 1, 1)


class RacingCluster(Cluster):
    """The real Cluster; when armed, someone else updates the release right after each GET."""

    def __init__(self, api_client: Any) -> None:
        super().__init__(api_client)
        self.race = False

    def get_release(self, namespace: str, name: str) -> dict[str, Any] | None:
        body = super().get_release(namespace, name)
        if self.race:
            # A person annotating the release at this moment: its resourceVersion
            # moves on, so the reconciler's status write will get 409 Conflict.
            patch = {
                "metadata": {"annotations": {"example.com/touched": datetime.now(UTC).isoformat()}}
            }
            self.custom.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, PLURAL, name, patch
            )
        return body


class Clock:
    """Time as the story says."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def story(unwatched_releases: Releases) -> Releases:
    return unwatched_releases


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def racing(api_client: Any) -> RacingCluster:
    return RacingCluster(api_client)


@pytest.fixture
def reconciler(racing: RacingCluster, clock: Clock) -> Reconciler:
    return Reconciler(racing, ReleaseCache(), OperatorConfig(job_ttl=None), clock=clock)


def test_a_timeout_whose_status_write_loses_a_race_stays_a_timeout(
    story: Releases, racing: RacingCluster, clock: Clock, reconciler: Reconciler
) -> None:
    # Given a step whose Job runs (KWOK keeps its pod running for 10 minutes)
    story.apply("shop", release_spec(run_step("build", seconds=600, timeout="1h")))
    key = (story.namespace, "shop")
    reconciler.reconcile(key)
    assert story.status("shop").step("build").phase == "Running"
    job = BUILD_JOB

    # When its hour is up, and someone annotates the release while the operator plans
    clock.now += timedelta(hours=1, minutes=1)
    racing.race = True
    assert reconciler.reconcile(key) == RETRY_SOON
    racing.race = False

    # Then the lost status write deleted nothing: the Job still runs
    assert racing.get_job(story.namespace, job) is not None, "deleted before the status said why"
    assert story.status("shop").step("build").phase == "Running"

    # And the next pass records the timeout, then deletes the Job
    reconciler.reconcile(key)
    build = story.status("shop").step("build")
    assert (build.phase, build.message) == ("Failed", "timed out after 1h")
    assert racing.get_job(story.namespace, job) is None


def test_a_foreign_job_holding_the_name_stalls_the_release_until_it_is_deleted(
    story: Releases, racing: RacingCluster, clock: Clock, reconciler: Reconciler
) -> None:
    # Given someone else's Job with the name the first attempt will use
    foreign = {
        "metadata": {"name": BUILD_JOB},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "example.invalid/other:1"}],
                }
            }
        },
    }
    story.batch.create_namespaced_job(story.namespace, foreign)
    story.apply("shop", release_spec(run_step("build", seconds=600)))
    key = (story.namespace, "shop")

    # When the operator reconciles the release, then it stalls, naming the Job
    assert reconciler.reconcile(key) == timedelta(seconds=30)
    build = story.status("shop").step("build")
    assert (build.phase, build.attempts) == ("Retrying", 0)
    assert build.job_refused == (
        f"the API server refused its Job {BUILD_JOB}: a Job of that name exists in "
        f"{story.namespace} that AppDeployment shop did not create; delete or rename it"
    )
    assert story.wait_for_event("shop", "JobRefused", "did not create")[0] == "Warning"

    # And when that Job is gone, the next try (30 seconds later) starts the step
    story.batch.delete_namespaced_job(BUILD_JOB, story.namespace, propagation_policy="Foreground")
    wait_for(
        lambda: racing.get_job(story.namespace, BUILD_JOB) is None,
        TIMEOUT,
        "the foreign Job to be gone",
    )
    clock.now += timedelta(seconds=30)
    reconciler.reconcile(key)
    build = story.status("shop").step("build")
    assert (build.phase, build.attempts, build.job_refused) == ("Running", 1, "")
    job = racing.get_job(story.namespace, BUILD_JOB)
    assert job is not None and job["metadata"]["ownerReferences"][0]["name"] == "shop"
