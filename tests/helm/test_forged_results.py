"""Forged step results are refused at admission (the chart's step-objects policy).

The operator runs as the chart's ServiceAccount with the chart's policies
applied (tests/helm/installation.py). Someone who may create Jobs and pods
in the release's namespace (here: the cluster admin, whom admission policies
bind too) tries to make a running step "succeed" with chosen outputs: with a
Job carrying the step's labels, and with a pod carrying the real Job's
controller-uid (which the Job controller would adopt and count). Both are
refused, and the real Job's result stands.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.forgery import REAL_OUTPUTS, forged_job, forged_pod
from tests.helm.installation import Installation
from tests.integration.releases import Releases, release_spec, run_step

pytestmark = pytest.mark.integration


def _refused(call: Any) -> str:
    with pytest.raises(ApiException) as refused:
        call()
    assert refused.value.status == 403, refused.value.body
    return str(json.loads(refused.value.body)["message"])


def test_forged_jobs_and_pods_are_refused_and_the_real_result_stands(
    namespaced_install: Installation, watched_releases: Releases, api_client: Any
) -> None:
    namespace = watched_releases.namespace
    batch, core = client.BatchV1Api(api_client), client.CoreV1Api(api_client)
    # Given a release whose build step runs for a while and then reports 412
    watched_releases.apply(
        "forged", release_spec(run_step("build", seconds=10, outputs=REAL_OUTPUTS))
    )
    watched_releases.wait_for("forged", steps={"build": "Running"})
    (real,) = watched_releases.jobs("forged")
    assert real["spec"]["template"]["metadata"]["labels"]  # the controller-uid is there

    # When someone creates a Job with the step's labels and owner reference
    message = _refused(
        lambda: batch.create_namespaced_job(namespace, forged_job(real, "forged-build"))
    )
    assert "only the appdeploy operator may create Jobs labelled" in message
    # ... or a pod the Job controller would adopt as the real Job's
    message = _refused(
        lambda: core.create_namespaced_pod(namespace, forged_pod(real, "forged-build-pod"))
    )
    assert "only the Job controller may create pods labelled" in message
    # ... or relabels a pod of their own into one
    plain = forged_pod(real, "plain-pod")
    plain["metadata"]["labels"] = {"app": "mine"}
    core.create_namespaced_pod(namespace, plain)
    message = _refused(
        lambda: core.patch_namespaced_pod(
            "plain-pod",
            namespace,
            {"metadata": {"labels": forged_pod(real, "x")["metadata"]["labels"]}},
        )
    )
    assert "batch.kubernetes.io/controller-uid=" in message

    # Then the real Job decides the step
    status = watched_releases.wait_for("forged", phase="Succeeded")
    build = status.step("build")
    assert build.outputs == REAL_OUTPUTS
    assert build.job_uid == real["metadata"]["uid"]
