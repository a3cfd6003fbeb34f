"""Check steps on the real control plane: measurements arrive as termination messages (KWOK).

Given the operator serving its signing webhooks on 127.0.0.1 and releasing
with a check after the build (measured twice, 1 s apart): a release whose
measurements are good passes; one whose value drops below the failure
condition fails, naming the value and the condition; one whose provider has
no data goes inconclusive, waits for a person, and is approved by an
impersonated member of qa with ``kubectl appdeploy approve``, through the
webhook (the approval is signed).

KWOK stands in for ``appdeploy provider measure`` (tests/cluster/stages/pod.yaml):
the measurement pod reports its first HTTP header's value as its result.
"""

from __future__ import annotations

import json
from typing import Any

from appdeploy.api.naming import measurement_job_name_for
from appdeploy.api.status import MeasurementPhase
from tests.integration.admission_setup import admission, consumed, decide, releases
from tests.integration.releases import Releases, release_spec, run_cli, run_step

__all__ = ["admission", "releases"]  # fixtures used by the stories below


def checked_release(result: dict[str, str], **check: Any) -> dict[str, Any]:
    """Build, then a check whose every measurement reports ``result``, then ship."""
    body: dict[str, Any] = {
        "provider": {
            "http": {
                "url": "http://127.0.0.1:9/health?build=$(steps.build.outputs.code)",
                "jsonPath": "$.crashFreeRate",
                "headers": [{"name": "X-Kwok-Result", "value": json.dumps(result)}],
            }
        },
        "successCondition": {"min": 0.995},
        "failureCondition": {"max": 0.99},
        "minSample": 100,
        "initialDelay": "1s",
        "interval": "1s",
        "count": 2,
        **check,
    }
    return release_spec(
        run_step("build", outputs={"code": "4120"}),
        {"name": "health", "needs": ["build"], "check": body},
        run_step("ship", ["health"]),
    )


def test_good_measurements_pass_and_the_release_ships(releases: Releases) -> None:
    releases.apply("good", checked_release({"value": "0.9991", "sample": "5000"}))
    done = releases.wait_for("good", phase="Succeeded")
    health = done.step("health")
    assert [m.phase for m in health.measurements] == [MeasurementPhase.SUCCESSFUL] * 2
    assert [m.value for m in health.measurements] == [0.9991, 0.9991]
    assert health.message == "passed: 2 measurement(s): 2 successful"
    names = releases.job_names("good")
    for number in (1, 2):
        assert measurement_job_name_for("good", "health", 1, number) in names


def test_a_low_value_fails_the_release_naming_value_and_condition(releases: Releases) -> None:
    releases.apply("low", checked_release({"value": "0.95", "sample": "5000"}))
    failed = releases.wait_for("low", phase="Failed")
    health = failed.step("health")
    assert str(health.phase) == "Failed"
    assert "0.95 meets failureCondition (max 0.99)" in health.message
    assert [m.phase for m in health.measurements] == [MeasurementPhase.FAILED]
    assert str(failed.step("ship").phase) == "Skipped"


def test_no_data_goes_to_a_person_who_approves_through_the_webhook(
    releases: Releases, cluster: Any
) -> None:
    ask = {"gate": {"approvers": {"groups": ["qa"]}, "timeout": "1h"}}
    releases.apply(
        "nodata",
        checked_release({"sample": "0", "note": "no sessions yet"}, onInconclusive=ask),
    )
    waiting = releases.wait_for("nodata", phase="AwaitingApproval", steps={"health": "Waiting"})
    health = waiting.step("health")
    assert [m.message for m in health.measurements] == ["no value: no sessions yet"] * 2
    assert health.deadline is not None
    assert "health" in waiting.waiting_on

    outsider = decide(releases, "nodata", "health", "mallory", ["dev"], comment="ship it")
    assert outsider.returncode != 0
    assert "mallory is not an approver of health: it needs group qa" in outsider.stderr

    approved = run_cli(
        cluster.kubeconfig,
        releases.namespace,
        "approve",
        "nodata",
        "health",
        "-m",
        "traffic is tiny",
        user="alice",
        groups=["qa"],
    )
    assert approved.returncode == 0, approved.stderr
    consumed(releases, "nodata", "health")
    done = releases.wait_for("nodata", phase="Succeeded")
    [approval] = done.step("health").approvals
    assert (approval.user, approval.comment, approval.verified) == (
        "alice",
        "traffic is tiny",
        True,
    )
    assert "approved by alice" in done.step("health").message
