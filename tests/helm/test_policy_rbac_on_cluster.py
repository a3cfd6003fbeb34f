"""The chart's RBAC for ReleasePolicies and the reference check, on the real API server.

The operator's own token (the chart's ServiceAccount) answers the reference
check's SubjectAccessReviews; a policy admin may write ReleasePolicies, a
viewer only read them, an editor of releases neither; and the built-in edit
role no longer lets anyone write releases unless the admin asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.admission.access_review import SubjectAccessReviews
from appdeploy.admission.references import Access, AccessUnknown, Requester
from tests.cluster.clients import admin_client
from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.installation import Installation, bind

pytestmark = pytest.mark.integration

GROUP, RBAC = "appdeploy.dev", "rbac.authorization.k8s.io"


def named(installation: Installation, kind: str, suffix: str) -> str:
    """The name of the rendered ``kind`` whose name ends with ``suffix``."""
    return next(
        obj["metadata"]["name"]
        for obj in installation.objects
        if obj["kind"] == kind and obj["metadata"]["name"].endswith(suffix)
    )


@pytest.fixture
def operator_reviews(namespaced_install: Installation) -> Iterator[SubjectAccessReviews]:
    """The reference check, asking with the operator's own token."""
    api = admin_client(namespaced_install.kubeconfig)
    yield SubjectAccessReviews(lambda: api, (5.0, 30.0))
    api.close()


def test_the_operators_token_answers_the_reference_check(
    namespaced_install: Installation, operator_reviews: SubjectAccessReviews
) -> None:
    namespace = namespaced_install.namespace
    operator = Requester(
        namespaced_install.user,
        ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
    )
    stranger = Requester("mallory", ("system:authenticated",))
    deployment = next(obj for obj in namespaced_install.objects if obj["kind"] == "Deployment")
    approval_key = next(
        arg.split("/", 1)[1]
        for arg in deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        if arg.startswith("--approval-key-secret=")
    )
    assert operator_reviews(operator, namespace, "get", "secrets", approval_key).allowed
    refused = operator_reviews(stranger, namespace, "get", "secrets", approval_key)
    assert refused == Access(False, refused.reason)
    assert not operator_reviews(stranger, namespace, "use", "serviceaccounts", "default").allowed


def test_without_the_access_review_role_the_check_cannot_be_made(
    namespaced_install: Installation, api_client: Any, operator_reviews: SubjectAccessReviews
) -> None:
    rbac = client.RbacAuthorizationV1Api(api_client)
    name = named(namespaced_install, "ClusterRoleBinding", "-access-review")
    binding = rbac.read_cluster_role_binding(name)
    rbac.delete_cluster_role_binding(name)
    try:
        stranger = Requester("mallory")
        wait_for(
            lambda: _unknown(operator_reviews, stranger, namespaced_install.namespace),
            30,
            "SubjectAccessReviews to be refused to the operator",
        )
    finally:
        binding.metadata.resource_version = None
        rbac.create_cluster_role_binding(binding)


def _unknown(reviews: SubjectAccessReviews, who: Requester, namespace: str) -> str:
    try:
        reviews(who, namespace, "get", "secrets", "x")
    except AccessUnknown as unknown:
        return str(unknown)
    return ""


@pytest.mark.parametrize(
    ("role", "verb", "allowed"),
    [("-policy-admin", "create", True), ("-policy-admin", "delete", True),
     ("-policy-viewer", "list", True), ("-policy-viewer", "create", False),
     ("-policy-viewer", "update", False)],
)  # fmt: skip
def test_policy_admins_write_policies_and_viewers_only_read(
    namespaced_install: Installation, api_client: Any, role: str, verb: str, allowed: bool
) -> None:
    name = named(namespaced_install, "ClusterRole", role)
    user = f"people{role}"
    rbac = client.RbacAuthorizationV1Api(api_client)
    try:
        rbac.create_cluster_role_binding(
            {
                "metadata": {"name": f"{name}-test"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": name,
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
                ],
            }
        )
    except ApiException as error:
        if error.status != 409:
            raise
    wait_for(
        lambda: (
            install.is_allowed(api_client, user, verb, "releasepolicies", namespace="", group=GROUP)
            == allowed
        ),
        30,
        f"{name} to {'allow' if allowed else 'refuse'} {verb} releasepolicies",
    )


def test_a_release_editor_may_not_write_policies(
    namespaced_install: Installation, api_client: Any
) -> None:
    namespace = namespaced_install.watched[0]
    try:
        bind(api_client, namespace, "appdeploy-edit", {"kind": "User", "name": "policy-editor"})
    except ApiException as error:
        if error.status != 409:
            raise
    assert install.is_allowed(
        api_client, "policy-editor", "create", "appdeployments", namespace=namespace, group=GROUP
    )
    for where in (namespace, ""):
        assert not install.is_allowed(
            api_client, "policy-editor", "create", "releasepolicies", namespace=where, group=GROUP
        )
