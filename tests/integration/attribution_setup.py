"""The attribution stories' setting: editors who may create and change releases, and a
ReleasePolicy with break-glass for the admission namespace (cluster-scoped: unique, removed).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client

from tests.integration.admission_setup import Admission
from tests.integration.releases import Releases, gate_step, release_spec

EDITORS = ("dev", "sre-oncall")
SAM = ("sam", ["sre-oncall"])


@pytest.fixture(scope="module")
def editors(admission: Admission) -> None:
    """Groups dev and sre-oncall may create and edit releases (the appdeploy-edit role)."""
    rbac = client.RbacAuthorizationV1Api(admission.api_client)
    rbac.create_namespaced_role(
        admission.namespace,
        {
            "metadata": {"name": "release-editor"},
            "rules": [
                {
                    "apiGroups": ["appdeploy.dev"],
                    "resources": ["appdeployments"],
                    "verbs": ["get", "list", "watch", "create", "update", "patch"],
                }
            ],
        },
    )
    rbac.create_namespaced_role_binding(
        admission.namespace,
        {
            "metadata": {"name": "release-editors"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "release-editor",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
                for group in EDITORS
            ],
        },
    )


def spec(version: str = "1.0.0") -> dict[str, Any]:
    return release_spec(gate_step("qa"), version=version)


def as_person(
    kubectl: Callable[..., list[str]],
    releases: Releases,
    user: str,
    groups: list[str],
    *args: str,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    argv = kubectl("-n", releases.namespace, *args, as_user=user, groups=groups)
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)


def create(kubectl: Callable[..., list[str]], releases: Releases, name: str, user: str) -> None:
    manifest = {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "AppDeployment",
        "metadata": {"name": name},
        "spec": spec(),
    }
    created = as_person(
        kubectl, releases, user, ["dev"], "create", "-f", "-", stdin=yaml.dump(manifest)
    )
    assert created.returncode == 0, created.stderr


@pytest.fixture
def store_policy(admission: Admission) -> Iterator[str]:
    """A ReleasePolicy for this namespace only (policies are cluster-scoped: unique, removed)."""
    name = f"production-store-{uuid.uuid4().hex[:6]}"
    custom = client.CustomObjectsApi(admission.api_client)
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
                "protect": {"secretNames": ["asc-api-key"]},
                "requireGates": [{"name": "compliance"}],
                "enforcement": "Audit",
                "breakGlass": {"groups": ["sre-oncall"]},
            },
        },
    )
    yield name
    custom.delete_cluster_custom_object("appdeploy.dev", "v1alpha1", "releasepolicies", name)
