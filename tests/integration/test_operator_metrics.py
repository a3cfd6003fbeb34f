"""The operator's /metrics tell the truth about the releases it knows."""

from __future__ import annotations

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION
from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.integration.releases import Releases, gate_step, release_spec

TIMEOUT = 60.0
RELEASES = "appdeploy_releases"


def test_a_deleted_release_is_no_longer_counted(
    metered: tuple[OperatorProcess, str], unwatched_releases: Releases
) -> None:
    operator, namespace = metered
    story = unwatched_releases
    # Given a release waiting for approval (no Jobs: nothing else will wake the operator)
    story.apply("shop", release_spec(gate_step("qa")))
    story.wait_for("shop", phase="AwaitingApproval")
    wait_for(
        lambda: operator.metric(RELEASES, phase="AwaitingApproval") == 1,
        TIMEOUT,
        "appdeploy_releases{phase=AwaitingApproval} == 1",
    )

    # When it is deleted
    story.custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "shop")

    # Then it is no longer counted in any phase
    wait_for(
        lambda: operator.metric(RELEASES) == 0,
        TIMEOUT,
        "appdeploy_releases to count nothing",
    )


def test_a_release_that_ends_is_timed_by_app_and_outcome_and_its_gate_by_group(
    metered: tuple[OperatorProcess, str], unwatched_releases: Releases
) -> None:
    operator, _ = metered
    story = unwatched_releases
    # Given a release of app shop waiting on a gate of group qa
    story.apply("shop", release_spec(gate_step("qa-signoff")))
    story.wait_for("shop", phase="AwaitingApproval")

    # When someone in qa approves it
    story.approve("shop", "qa-signoff", as_user="alice", groups=["qa"])
    story.wait_for("shop", phase="Succeeded")

    # Then the gate's wait is counted for app shop and group qa, and the run's end once
    gate = {"app": "shop", "group": "qa", "outcome": "Approved"}
    wait_for(
        lambda: operator.metric("appdeploy_gate_wait_seconds_count", **gate) == 1,
        TIMEOUT,
        "appdeploy_gate_wait_seconds{app=shop,group=qa,outcome=Approved} counted once",
    )
    ended = {"app": "shop", "outcome": "Succeeded"}
    wait_for(
        lambda: operator.metric("appdeploy_release_duration_seconds_count", **ended) == 1,
        TIMEOUT,
        "appdeploy_release_duration_seconds{app=shop,outcome=Succeeded} counted once",
    )
    assert operator.metric("appdeploy_release_duration_seconds_count") == 1  # no other outcome
    bucket = {**ended, "le": "+Inf"}
    assert operator.metric("appdeploy_release_duration_seconds_bucket", **bucket) == 1
