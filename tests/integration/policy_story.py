"""ReleasePolicies for the operator's policy stories (``test_policy_operator.py``).

Policies are cluster-scoped and outlive a test's namespace, so each story's
policy selects only its own namespace (by a label naming it), is named after
it, and is deleted when the story ends. Whether the operator has seen a
policy is read from a canary release's ``status.policies``: the operator
judges every release again when a policy changes, so once the canary lists
the policy, the operator's cache holds it and the namespace's labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.policy import POLICY_PLURAL
from appdeploy.k8s.labels import GROUP, VERSION
from tests.cluster.wait import wait_for
from tests.integration.releases import TIMEOUT, Releases, gate_step, release_spec, run_step

SECRET = "asc-api-key"
STORY_LABEL = "policy-story.appdeploy.dev/namespace"


def upload_step(needs: list[str]) -> dict[str, Any]:
    """A run step reading the protected Secret through ``env[].valueFrom.secretKeyRef``."""
    step = run_step("upload", needs)
    secret = {"secretKeyRef": {"name": SECRET, "key": "key.p8"}}
    step["run"]["env"] = [{"name": "ASC_KEY", "valueFrom": secret}]
    return step


class Policies:
    """The story's ReleasePolicy (one per story), created, changed and deleted as an admin."""

    def __init__(self, api_client: Any, releases: Releases) -> None:
        self.custom = client.CustomObjectsApi(api_client)
        self.releases = releases
        self.name = f"store-{releases.namespace}"
        self.created = False

    def spec(self, **fields: Any) -> dict[str, Any]:
        """Protect the Secret, require gate compliance, select only this story's namespace."""
        labels = {"appdeploy.dev/tier": "production", STORY_LABEL: self.releases.namespace}
        return {
            "namespaceSelector": {"matchLabels": labels},
            "protect": {"secretNames": [SECRET]},
            "requireGates": [{"name": "compliance", "approverGroups": ["compliance"]}],
            **fields,
        }

    def create(self, **fields: Any) -> None:
        """Create the policy."""
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ReleasePolicy",
            "metadata": {"name": self.name},
            "spec": self.spec(**fields),
        }
        self.custom.create_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, body)
        self.created = True

    def patch(self, **fields: Any) -> None:
        """Change the policy's spec (merge patch of the given fields)."""
        body = {"spec": fields}
        self.custom.patch_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, self.name, body)

    def delete(self) -> None:
        """Delete the policy (gone already is fine)."""
        try:
            self.custom.delete_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, self.name)
        except ApiException as error:
            if error.status != 404:
                raise
        self.created = False

    def seen_by(self, release: str) -> None:
        """Wait until the operator judged ``release`` by the policy (its status lists it)."""
        wait_for(
            lambda: any(r.policy == self.name for r in self.releases.status(release).policies),
            TIMEOUT,
            f"{release} judged by ReleasePolicy {self.name}",
        )

    def create_seen(self, **fields: Any) -> None:
        """Create the policy and wait until the operator holds it and the namespace's labels.

        A canary release, running before the policy exists (so it is judged
        mid-run, never refused), lists the policy in its status once judged by it.
        """
        self.releases.apply("canary", release_spec(gate_step("hold")))
        self.releases.wait_for("canary", phase="AwaitingApproval")
        self.create(**fields)
        self.seen_by("canary")


def production(api_client: Any, releases: Releases) -> Policies:
    """Label the releases' namespace as production (and this story's), add the Secret."""
    core = client.CoreV1Api(api_client)
    namespace = releases.namespace
    labels = {"appdeploy.dev/tier": "production", STORY_LABEL: namespace}
    core.patch_namespace(namespace, {"metadata": {"labels": labels}})
    secret = {"metadata": {"name": SECRET}, "stringData": {"key.p8": "not-a-real-key"}}
    core.create_namespaced_secret(namespace, secret)
    return Policies(api_client, releases)


@pytest.fixture
def policies(api_client: Any, releases: Releases) -> Iterator[Policies]:
    """A production namespace watched by the shared operator; its policy deleted at the end."""
    story = production(api_client, releases)
    yield story
    story.delete()
