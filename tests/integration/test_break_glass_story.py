"""Break-glass end to end: a Deny policy refuses, sam of sre-oncall overrides it, it is recorded.

The operator serves its webhooks on 127.0.0.1 (admission_setup) and reconciles
the namespace. A release whose upload step reads the protected Secret with no
compliance gate upstream is refused at the door for alice; sam (sre-oncall,
the policy's breakGlass.groups) creates the same release with a break-glass
annotation in the same request: it is signed, admitted with a warning, the run
runs, the upload's Job included, and ``status.policies`` records the
override (who, why) with a BreakGlass Event. Any later spec change needs the
glass broken again: the same write by alice with a new version is refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client

from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION
from tests.cluster.wait import wait_for
from tests.integration.admission_setup import Admission, admission, releases
from tests.integration.attribution_setup import SAM, as_person, editors
from tests.integration.releases import Releases, run_step

__all__ = ["admission", "editors", "releases"]  # fixtures used below

SECRET = "asc-api-key"
REASON = "CVE-2026-1234 hotfix"


@pytest.fixture
def deny_policy(admission: Admission) -> Iterator[str]:
    """A Deny policy for this namespace only, with break-glass for sre-oncall; and the
    Secret it protects readable by the editors (the reference check asks)."""
    name = f"store-deny-{uuid.uuid4().hex[:6]}"
    custom = client.CustomObjectsApi(admission.api_client)
    rbac = client.RbacAuthorizationV1Api(admission.api_client)
    rbac.create_namespaced_role(
        admission.namespace,
        {
            "metadata": {"name": name},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["secrets"],
                    "resourceNames": [SECRET],
                    "verbs": ["get"],
                }
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        admission.namespace,
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
                for group in ("dev", "sre-oncall")
            ],
        },
    )
    custom.create_cluster_custom_object(
        "appdeploy.dev",
        "v1alpha1",
        "releasepolicies",
        {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "ReleasePolicy",
            "metadata": {"name": name},
            "spec": {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": admission.namespace}
                },
                "protect": {"secretNames": [SECRET]},
                "requireGates": [{"name": "compliance", "approverGroups": ["compliance"]}],
                "enforcement": "Deny",
                "breakGlass": {"groups": ["sre-oncall"]},
            },
        },
    )
    yield name
    custom.delete_cluster_custom_object("appdeploy.dev", "v1alpha1", "releasepolicies", name)
    rbac.delete_namespaced_role_binding(name, admission.namespace)
    rbac.delete_namespaced_role(name, admission.namespace)


def hotfix(version: str = "4.12.1") -> dict[str, Any]:
    """build -> upload, the upload reading the protected Secret: no compliance gate at all."""
    upload = run_step("upload", ["build"])
    upload["run"]["env"] = [
        {"name": "ASC_KEY", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "key"}}}
    ]
    return {"app": "shop", "version": version, "steps": [run_step("build"), upload]}


def manifest(name: str, spec: dict[str, Any], annotations: dict[str, str]) -> str:
    metadata = {"name": name, "annotations": annotations}
    body = {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "AppDeployment",
        "metadata": metadata,
        "spec": spec,
    }
    return yaml.dump(body)


def test_sam_breaks_the_glass_the_run_goes_on_recorded_and_a_new_spec_needs_it_again(
    releases: Releases,
    kubectl: Callable[..., list[str]],
    editors: None,
    deny_policy: str,
) -> None:
    name = "hotfix"
    denied = f"ReleasePolicy {deny_policy} (rule protect): spec.steps[1]: upload uses Secret"

    def refused_for_alice() -> str | None:
        # Until the operator's cache has the new policy, the door admits with a warning.
        attempt = as_person(
            kubectl,
            releases,
            "alice",
            ["dev"],
            "create",
            "--dry-run=server",
            "-f",
            "-",
            stdin=manifest(name, hotfix(), {}),
        )
        return attempt.stderr if attempt.returncode != 0 else None

    refusal = wait_for(refused_for_alice, 60, f"the door to know ReleasePolicy {deny_policy}")
    assert denied in refusal and "needs gate compliance upstream" in refusal

    glass = json.dumps({"reason": REASON})
    created = as_person(
        kubectl,
        releases,
        *SAM,
        "create",
        "-f",
        "-",
        stdin=manifest(name, hotfix(), {BREAK_GLASS_ANNOTATION: glass}),
    )
    assert created.returncode == 0, created.stderr
    assert f"ReleasePolicy {deny_policy} overridden by break-glass of sam" in created.stderr

    status = releases.wait_for(name, phase="Succeeded")
    (result,) = status.policies
    assert (result.policy, result.outcome, result.enforcement) == (
        deny_policy,
        "Overridden",
        "Deny",
    )
    assert result.break_glass is not None
    assert (result.break_glass.user, result.break_glass.reason) == ("sam", REASON)
    assert result.break_glass.verified and "sre-oncall" in result.break_glass.groups
    assert any("upload uses Secret asc-api-key" in v for v in result.violations)
    assert status.author == "sam"
    assert "upload" in " ".join(releases.job_names(name))
    reason, message = releases.wait_for_event(name, "BreakGlass")[1:]
    assert reason == "BreakGlass" and "sam" in message and REASON in message

    # The override was for that spec: alice's version bump is refused at the door again.
    before = releases.get(name)["metadata"]["resourceVersion"]
    bumped = as_person(
        kubectl,
        releases,
        "alice",
        ["dev"],
        "patch",
        f"appdeployment/{name}",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"version": "4.12.2"}}),
    )
    assert bumped.returncode != 0 and denied in bumped.stderr
    assert releases.get(name)["metadata"]["resourceVersion"] == before
