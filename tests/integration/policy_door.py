"""The door's test setting: ReleasePolicies on the cluster, release authors and their grants.

Release authors write through kubectl as themselves (impersonated), so the
API server authenticates them, the webhook judges them, and RBAC answers the
SubjectAccessReviews the reference check makes. ReleasePolicies are
cluster-scoped: each has a unique name and selects only the test namespace.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.policy import POLICY_PLURAL
from appdeploy.k8s.labels import GROUP, VERSION
from tests.cluster.clients import kubectl_argv
from tests.cluster.wait import wait_for

AUTHORS = "release-authors"
"""May create and change releases (like appdeploy-edit), nothing else."""
MANAGERS = "release-managers"
"""May also read Secret asc-api-key and use ServiceAccount store-publisher."""
SECRET, ACCOUNT = "asc-api-key", "store-publisher"
DENIED = 'admission webhook "validate-spec.appdeploy.dev" denied the request: '


def rbac_subject(kind: str, name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def bind(api_client: Any, namespace: str, name: str, role: str, subject: dict[str, str]) -> None:
    """A RoleBinding of Role ``role`` to one user or group."""
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [subject],
        },
    )


def grant_authors(api_client: Any, namespace: str) -> None:
    """Roles for release authors, the store Secret and account, and who may use them.

    ``use`` on a ServiceAccount is a custom verb: RBAC stores and matches it like any other.
    """
    core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": SECRET}, "stringData": {"k": "v"}}
    )
    core.create_namespaced_service_account(namespace, {"metadata": {"name": ACCOUNT}})
    verbs = ["get", "list", "watch", "create", "update", "patch", "delete"]
    rules = [{"apiGroups": [GROUP], "resources": ["appdeployments"], "verbs": verbs}]
    rbac.create_namespaced_role(namespace, {"metadata": {"name": "author"}, "rules": rules})
    store = [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": [SECRET], "verbs": ["get"]},
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts"],
            "resourceNames": [ACCOUNT],
            "verbs": ["use"],
        },
    ]
    rbac.create_namespaced_role(namespace, {"metadata": {"name": "store"}, "rules": store})
    bind(api_client, namespace, "authors", "author", rbac_subject("Group", AUTHORS))
    bind(api_client, namespace, "managers", "store", rbac_subject("Group", MANAGERS))


class Door:
    """Writes of releases as people, and the ReleasePolicies they are judged by."""

    def __init__(self, api_client: Any, namespace: str, kubeconfig: Path, directory: Path) -> None:
        self.api_client = api_client
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.directory = directory
        self.custom = client.CustomObjectsApi(api_client)
        self.policies: list[str] = []

    def apply(
        self, name: str, spec: dict[str, Any], *, user: str, groups: Sequence[str]
    ) -> subprocess.CompletedProcess[str]:
        """``kubectl apply -f`` of release ``name`` as ``user``: what kubectl printed."""
        manifest = self.directory / f"{name}-{uuid.uuid4().hex[:6]}.yaml"
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AppDeployment",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": spec,
        }
        manifest.write_text(yaml.safe_dump(body))
        argv = kubectl_argv(
            self.kubeconfig, "apply", "-f", str(manifest), as_user=user, groups=groups
        )
        return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)

    def spec(self, name: str) -> dict[str, Any] | None:
        """The release's spec as stored; None when there is no such release."""
        try:
            body = self.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, "appdeployments", name
            )
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        spec: dict[str, Any] = body["spec"]
        return spec

    def install_policy(self, name: str, **spec: Any) -> str:
        """Create ReleasePolicy ``name-<random>`` for this namespace; return when the webhook
        judges by it. Watch events of one resource arrive in order, so once a canary policy
        created after it is seen at the door, so is this one."""
        unique = f"{name}-{uuid.uuid4().hex[:6]}"
        self._create(unique, spec)
        canary = f"canary-{uuid.uuid4().hex[:6]}"
        self._create(canary, {"apps": [canary], "requireGates": [{"name": "canary"}]})
        probe = {"app": canary, "version": "1", "steps": [{"name": "b", "run": {"image": "b"}}]}

        def canary_seen() -> bool:
            try:
                self.custom.create_namespaced_custom_object(
                    GROUP,
                    VERSION,
                    self.namespace,
                    "appdeployments",
                    {
                        "apiVersion": f"{GROUP}/{VERSION}",
                        "kind": "AppDeployment",
                        "metadata": {"name": canary},
                        "spec": probe,
                    },
                    dry_run="All",
                )
            except ApiException as error:
                return f"ReleasePolicy {canary}" in str(error.body)
            return False

        wait_for(canary_seen, 60, f"the webhook to judge by ReleasePolicy {canary}")
        self.delete_policy(canary)
        return unique

    def _create(self, name: str, spec: dict[str, Any]) -> None:
        selector = {"matchLabels": {"kubernetes.io/metadata.name": self.namespace}}
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ReleasePolicy",
            "metadata": {"name": name},
            "spec": {"namespaceSelector": selector, **spec},
        }
        self.custom.create_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, body)
        self.policies.append(name)

    def delete_policy(self, name: str) -> None:
        self.custom.delete_cluster_custom_object(GROUP, VERSION, POLICY_PLURAL, name)
        self.policies.remove(name)

    def cleanup(self) -> None:
        for name in list(self.policies):
            self.delete_policy(name)
