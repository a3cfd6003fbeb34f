"""One reconcile at a time, called directly against the real API server (no operator running).

Narrow stories of ``Reconciler``: what it does with a cold cache, a deleted
release, a status write that loses a race, and what it answers as the next
look. Its cache is filled by hand (no watches), in a namespace that the shared
story operator does not watch, so every pass here is the test's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from kubernetes import client

from appdeploy.api.naming import job_name_for
from appdeploy.controller.cache import ReleaseCache
from appdeploy.controller.config import OperatorConfig
from appdeploy.controller.reconcile import RETRY_SOON, Reconciler
from appdeploy.k8s.cluster import Cluster
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.integration.job_creations import JobCreations
from tests.integration.releases import Releases, release_spec, run_step


class Passes:
    """Reconcilers of one namespace; each may have its own (cold) cache and request hook."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self.api_client = api_client
        self.namespace = namespace

    def reconciler(
        self,
        cache: ReleaseCache | None = None,
        on_request: Callable[[str, str], None] = lambda verb, resource: None,
    ) -> Reconciler:
        return Reconciler(
            Cluster(self.api_client, on_request=on_request),
            cache or ReleaseCache(),
            OperatorConfig(namespaces=(self.namespace,)),
        )

    def reconcile(self, name: str, **kwargs: Any) -> timedelta | None:
        return self.reconciler(**kwargs).reconcile((self.namespace, name))


@pytest.fixture
def passes(api_client: Any, unwatched_namespace: str) -> Passes:
    return Passes(api_client, unwatched_namespace)


@pytest.fixture
def story(api_client: Any, unwatched_namespace: str, kubectl: Any) -> Releases:
    return Releases(api_client, unwatched_namespace, kubectl)


def test_a_cold_cache_never_takes_a_running_job_for_deleted(
    passes: Passes, story: Releases, job_creations: JobCreations
) -> None:
    story.apply("shop", release_spec(run_step("build", seconds=60)))
    passes.reconcile("shop")
    assert story.status("shop").step("build").job == job_name_for("shop", "build", 1, 1)

    # A restarted operator whose watch has not delivered the Job yet.
    passes.reconcile("shop", cache=ReleaseCache())
    build = story.status("shop").step("build")
    assert (str(build.phase), build.attempts, build.message) == ("Running", 1, "")
    assert job_creations.counts("shop") == {("1", "build", "1"): 1}


def test_a_deleted_release_is_forgotten(passes: Passes, story: Releases) -> None:
    cache = ReleaseCache()
    job = {
        "metadata": {
            "name": "gone-build-r1-a1",
            "namespace": story.namespace,
            "labels": {"appdeploy.dev/deployment": "gone"},
        }
    }
    key = cache.put_job(job, deleted=False)
    assert key == (story.namespace, "gone") and cache.jobs(key)

    assert passes.reconcile("gone", cache=cache) is None, "nothing to look at again"
    assert cache.jobs(key) == {}


def test_a_status_write_that_loses_the_race_asks_for_another_pass_at_once(
    passes: Passes, story: Releases, api_client: Any
) -> None:
    story.apply("shop", release_spec(run_step("build", seconds=60)))
    custom = client.CustomObjectsApi(api_client)
    raced: list[str] = []

    def someone_writes_first(verb: str, resource: str) -> None:
        if (verb, resource) == ("update", "appdeployments/status") and not raced:
            raced.append(resource)
            custom.patch_namespaced_custom_object(
                GROUP,
                VERSION,
                story.namespace,
                PLURAL,
                "shop",
                {"metadata": {"labels": {"team": "mobile"}}},
            )

    assert passes.reconcile("shop", on_request=someone_writes_first) == RETRY_SOON
    assert raced, "the status write was attempted"
    assert not story.status("shop").steps, "the losing write stored nothing"

    passes.reconcile("shop")
    assert story.status("shop").step("build").job == job_name_for("shop", "build", 1, 1), (
        "the Job is adopted"
    )
    assert story.job_names("shop") == [job_name_for("shop", "build", 1, 1)]


def test_the_next_look_is_when_the_plan_needs_one(passes: Passes, story: Releases) -> None:
    story.apply("shop", release_spec({"name": "soak", "wait": {"duration": "1h"}}))
    delay = passes.reconcile("shop")
    assert delay is not None
    assert timedelta(minutes=59) <= delay <= timedelta(hours=1)
