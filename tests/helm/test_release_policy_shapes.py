"""The chart's CEL policy for ReleasePolicy shapes, in the real API server, with no operator.

releasePolicies.admissionPolicy ships a ValidatingAdmissionPolicy whose
params are the ReleasePolicies: the simple shapes (each required gate exists,
its required is at least minRequired, no onTimeout: Approve when forbidden)
are refused even though no operator runs here at all (so no webhook could
answer). What it leaves alone: other namespaces, Warn policies, releases
carrying a break-glass annotation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.policy_crd import build_policy_crd
from tests.cluster.crd import install_crd
from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.chart import render
from tests.helm.installation import create_namespace
from tests.helm.variants import with_webhook_from
from tests.integration.releases import gate_step, release_spec, run_step

pytestmark = pytest.mark.integration

GROUP, VERSION = "appdeploy.dev", "v1alpha1"
TIER = "appdeploy.dev/tier"


class Shapes:
    """The installed policy, a namespace it covers, one it does not, and a ReleasePolicy."""

    def __init__(self, api_client: Any, covered: str, other: str, policy: str) -> None:
        self.custom = client.CustomObjectsApi(api_client)
        self.covered, self.other, self.policy = covered, other, policy

    def create(
        self,
        name: str,
        spec: dict[str, Any],
        *,
        namespace: str = "",
        dry_run: bool = False,
        **meta: Any,
    ) -> str:
        """ "" when stored (or admitted, dry run); else the API server's refusal."""
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AppDeployment",
            "metadata": {"name": name, **meta},
            "spec": spec,
        }
        try:
            self.custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace or self.covered, "appdeployments", body,
                **({"dry_run": "All"} if dry_run else {}),
            )  # fmt: skip
        except ApiException as error:
            return str(error.body)
        return ""

    def stored(self, name: str, namespace: str = "") -> bool:
        try:
            self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace or self.covered, "appdeployments", name
            )
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True


def compliant(**compliance: Any) -> dict[str, Any]:
    gate = {"approvers": {"groups": ["compliance"]}, "required": 2, **compliance}
    return release_spec(
        run_step("build"),
        gate_step("compliance", ["build"], **gate),
        run_step("ship", ["compliance"]),
    )


@pytest.fixture(scope="module")
def shapes(cluster: Any, api_client: Any, chart_crd: None) -> Iterator[Shapes]:
    install_crd(api_client, build_policy_crd())
    suffix = uuid.uuid4().hex[:6]
    objects = [
        obj
        for obj in render(
            with_webhook_from({"releasePolicies": {"admissionPolicy": True}}),
            release=f"rps{suffix}",
        )
        if obj["kind"] in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
        and obj["metadata"]["name"].endswith("-release-policy-shapes")
    ]
    assert len(objects) == 2
    covered = create_namespace(api_client, "rps", {TIER: f"production-{suffix}"})
    other = create_namespace(api_client, "rps-dev")
    policy = f"store-shapes-{suffix}"
    custom = client.CustomObjectsApi(api_client)
    custom.create_cluster_custom_object(
        GROUP,
        VERSION,
        "releasepolicies",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ReleasePolicy",
            "metadata": {"name": policy},
            "spec": {
                "namespaceSelector": {"matchLabels": {TIER: f"production-{suffix}"}},
                "requireGates": [{"name": "compliance", "minRequired": 2}],
                "forbid": {"onTimeoutApprove": True},
            },
        },
    )
    install.apply(cluster.kubeconfig, objects)
    state = Shapes(api_client, covered, other, policy)
    wait_for(
        lambda: policy in state.create("probe", release_spec(run_step("b")), dry_run=True),
        60,
        "the API server to judge by the chart's CEL policy",
    )
    yield state
    install.delete(cluster.kubeconfig, objects)
    custom.delete_cluster_custom_object(GROUP, VERSION, "releasepolicies", policy)
    for namespace in (covered, other):
        client.CoreV1Api(api_client).delete_namespace(namespace)


@pytest.mark.parametrize(
    ("name", "spec", "refusal"),
    [
        ("no-gate", release_spec(run_step("build"), run_step("ship", ["build"])),
         "(rule requireGates): spec.steps: requires gate steps named compliance"),
        ("run-not-gate", release_spec(run_step("compliance")),
         "(rule requireGates): spec.steps: requires gate steps named compliance"),
        ("one-approval", compliant(required=1),
         "(rule requireGates.minRequired): gate.required of compliance is below minRequired"),
        ("pass-by-timeout", compliant(onTimeout="Approve", timeout="1s"),
         "(rule forbid.onTimeoutApprove): compliance may not pass by onTimeout: Approve"),
    ],
)  # fmt: skip
def test_simple_shapes_are_refused_with_no_operator_running(
    shapes: Shapes, name: str, spec: dict[str, Any], refusal: str
) -> None:
    refused = shapes.create(name, spec)
    assert f"ReleasePolicy {shapes.policy} {refusal}" in refused
    assert not shapes.stored(name), "a refused create stores nothing"


def test_what_it_leaves_to_the_webhook_and_the_operator(shapes: Shapes) -> None:
    assert shapes.create("meets-it", compliant()) == ""
    ungated = release_spec(run_step("build"))
    assert shapes.create("elsewhere", ungated, namespace=shapes.other) == ""
    glass = {"appdeploy.dev/break-glass": "{}"}  # unverifiable here: the webhook judges it
    assert shapes.create("broken-glass", ungated, annotations=glass) == ""
