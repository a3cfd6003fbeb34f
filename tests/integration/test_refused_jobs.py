"""A Job the API server refuses: the release says so and stops asking, until the spec is fixed."""

from __future__ import annotations

from typing import Any

from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.integration.releases import Releases, release_spec, run_step

TIMEOUT = 60.0
CREATES = {"verb": "create", "resource": "jobs"}


def test_a_refused_job_stalls_the_release_without_retrying_until_the_spec_is_fixed(
    metered: tuple[OperatorProcess, str], unwatched_releases: Releases
) -> None:
    operator = metered[0]
    story = unwatched_releases
    # Given a step whose pod spec passes appdeploy's validation but not the API server's
    build = run_step("build", seconds=0.2)
    build["run"]["nodeSelector"] = {"disk": "not a label value!"}
    story.apply("shop", release_spec(build))

    # Then the release is Stalled, naming the step and the field, with a Warning Event
    def stalled() -> Any:
        status = story.status("shop")
        return next(
            (c for c in status.conditions if c.type == "Stalled" and c.status == "True"), None
        )

    condition = wait_for(stalled, TIMEOUT, "shop to be Stalled")
    assert condition.reason == "JobRefused"
    assert condition.message.startswith("step build: the API server refused its Job")
    assert "spec.template.spec.nodeSelector" in condition.message
    story.wait_for_event("shop", "JobRefused", "spec.template.spec.nodeSelector")
    assert story.jobs("shop") == []

    # And it does not spin: later reconciles (woken by annotations) ask the API server no more
    assert operator.metric("appdeploy_api_requests_total", **CREATES) == 1
    settled = operator.metric("appdeploy_reconciles_total")
    for touch in range(3):
        assert story.annotate("shop", f"example.com/touch-{touch}", "yes").returncode == 0
    wait_for(
        lambda: operator.metric("appdeploy_reconciles_total") >= settled + 3,
        TIMEOUT,
        "three more reconciles of shop",
    )
    assert operator.metric("appdeploy_api_requests_total", **CREATES) == 1
    assert operator.metric("appdeploy_reconciles_total", result="error") == 0

    # When the spec is fixed, the new run proceeds
    story.replace_spec("shop", release_spec(run_step("build", seconds=0.2)))
    done = story.wait_for("shop", phase="Succeeded", run=2)
    assert [c.status for c in done.conditions if c.type == "Stalled"] == ["False"]
