"""Without the chart's admission policy, a forged Job still does not decide a step.

Story: someone who may create Jobs in the release's namespace copies a
running step Job's labels and owner reference into a Job of their own that
"succeeds" at once with chosen outputs. The operator recorded the uid of the
Job it created (status.steps[].jobUID) and ignores the copy; the real Job's
result stands. (A forged *pod* is adopted by the Job controller itself, so
only admission can stop that one: tests/helm/test_forged_results.py.)
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from tests.cluster.wait import wait_for
from tests.forgery import FORGED_OUTPUTS, REAL_OUTPUTS, forged_job
from tests.integration.releases import Releases, release_spec, run_step


def test_a_forged_job_is_ignored_and_the_real_result_stands(
    releases: Releases, api_client: Any
) -> None:
    batch = client.BatchV1Api(api_client)
    releases.apply("build", release_spec(run_step("build", seconds=8, outputs=REAL_OUTPUTS)))
    releases.wait_for("build", steps={"build": "Running"})
    (real,) = releases.jobs("build")
    # Sorted after the real Job's name, so a planner keyed by labels alone would take it.
    batch.create_namespaced_job(releases.namespace, forged_job(real, "zz-forged"))
    wait_for(
        lambda: any(
            c.type == "Complete" and c.status == "True"
            for c in batch.read_namespaced_job("zz-forged", releases.namespace).status.conditions
            or []
        ),
        60,
        "the forged Job to complete",
    )
    assert FORGED_OUTPUTS != REAL_OUTPUTS
    status = releases.wait_for("build", phase="Succeeded")
    assert status.step("build").outputs == REAL_OUTPUTS
    assert status.step("build").job_uid == real["metadata"]["uid"]
