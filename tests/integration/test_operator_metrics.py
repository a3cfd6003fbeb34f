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
