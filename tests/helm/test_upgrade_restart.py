"""An upgrade with changed values, while a release runs: the operator restarts and it completes.

No container runtime runs here, so the "pod" is the operator process on the
chart's ServiceAccount token: ``helm upgrade`` with Recreate stops the old pod,
then starts one with the upgraded Deployment's arguments. The process is run
with exactly those arguments, minus the ones that only make sense inside the
pod (listen addresses and the mounted webhook certificate).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cluster.operator import OperatorProcess
from tests.helm.chart import one, render
from tests.helm.installation import Installation
from tests.helm.variants import with_webhook_from
from tests.integration.releases import Releases, release_spec, run_step

POD_ONLY = (
    "--health-address",
    "--metrics-address",
    "--webhook-address",
    "--webhook-cert",
    "--webhook-key",
    "--webhook-configuration",  # the test applies no webhook configurations
)


def operator_args(objects: list[dict[str, Any]]) -> list[str]:
    container = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return [arg for arg in container["args"] if not arg.startswith(POD_ONLY)]


@pytest.mark.integration
def test_an_upgrade_restarts_the_operator_and_the_running_release_completes(
    namespaced_install: Installation, watched_releases: Releases, tmp_path: Any
) -> None:
    releases = watched_releases
    releases.apply(
        "upgrading", release_spec(run_step("build", seconds=3), run_step("ship", ["build"]))
    )
    releases.wait_for("upgrading", steps={"build": "Running"})

    upgraded = render(
        with_webhook_from(
            {
                "watchNamespaces": namespaced_install.watched,
                "operator": {
                    "workers": 2,
                    "jobTTL": "1h",
                    "logFormat": "json",
                    "trustUnverifiedApprovals": True,
                },
            }
        ),
        release=namespaced_install.release,
        namespace=namespaced_install.namespace,
    )
    assert one(upgraded, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}
    args = operator_args(upgraded)
    assert {"--workers=2", "--job-ttl=1h", "--log-format=json"} <= set(args)

    namespaced_install.operator.stop()  # Recreate: the old pod is gone before the new one
    namespaced_install.operator = OperatorProcess(
        namespaced_install.kubeconfig, tmp_path / "upgraded-operator.log", args
    ).start()

    done = releases.wait_for("upgrading", phase="Succeeded")
    assert [step.attempts for step in done.steps] == [1, 1], "no step ran twice"
    ship = next(job for job in releases.jobs("upgrading") if "-ship-" in job["metadata"]["name"])
    assert ship["spec"]["ttlSecondsAfterFinished"] == 3600, "the new value applies"
    lines = namespaced_install.operator.log_path.read_text().splitlines()
    transitions = [json.loads(line) for line in lines if line.startswith("{")]
    assert any(entry.get("reason") == "RunSucceeded" for entry in transitions)
