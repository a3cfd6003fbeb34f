"""What the cluster must hold before the release can run, created as the admin.

Everything is create-or-update, so the demo can run again and again against
the same cluster: the CRDs (from ``crds/``, so the demo exercises the
committed schemas), the namespace, the service accounts and dummy Secrets the
example references, the node labels its nodeSelectors ask for, the
NotificationChannels it tells people through (pointed at the fake providers,
with their Secrets), and the RBAC that lets the approver groups annotate
releases and read what the web console shows of them (their Events, their
steps' pod logs), and nothing more: approvals then go through the API
server's authorization as those people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.cluster.crd import install_crd as apply_crd
from tests.cluster.wait import WaitTimeout, wait_for

from appdeploy.api.channels import CHANNEL_PLURAL
from demo.channels import CHANNEL_CRD, DemoChannels
from demo.release import CRD, DemoRelease

GROUP, VERSION, PLURAL = "appdeploy.dev", "v1alpha1", "appdeployments"
APPROVER_ROLE = "appdeploy-demo-approver"
MANAGED = {"app.kubernetes.io/managed-by": "appdeploy-demo"}
CONFLICT, NOT_FOUND = 409, 404
POLICY_CRD = CRD.parent / "releasepolicies.appdeploy.dev.yaml"


def create_or_patch(
    create: Callable[[], object], patch: Callable[[], object], retries: int = 3
) -> None:
    """Create the object; if it exists, patch it to what the demo wants."""
    for _ in range(retries):
        try:
            create()
            return
        except ApiException as error:
            if error.status != CONFLICT:
                raise
        try:
            patch()
            return
        except ApiException as error:
            if error.status != NOT_FOUND:  # deleted in between: create again
                raise
    raise RuntimeError("the object kept disappearing and reappearing; try again")


def install_crd(api: Any, timeout: float = 30) -> None:
    """Apply the committed CRDs (releases, channels, policies) and wait until they are served."""
    for path in (CRD, CHANNEL_CRD, POLICY_CRD):
        apply_crd(api, yaml.safe_load(path.read_text()), timeout)


def _ensure_in(namespace: str, kind: str, api: Any, body: dict[str, Any]) -> None:
    """Create-or-patch a namespaced object with the client's ``*_namespaced_<kind>`` calls."""
    name = body["metadata"]["name"]
    create = getattr(api, f"create_namespaced_{kind}")
    patch = getattr(api, f"patch_namespaced_{kind}")
    create_or_patch(lambda: create(namespace, body), lambda: patch(name, namespace, body))


def _ensure_secrets(core: Any, namespace: str, secrets: dict[str, dict[str, str]]) -> None:
    for secret, data in secrets.items():
        body: dict[str, Any] = {
            "metadata": {"name": secret, "labels": MANAGED},
            "type": "Opaque",
            "stringData": data,
        }
        _ensure_in(namespace, "secret", core, body)


def install_namespace(api: Any, release: DemoRelease, approver_groups: Iterable[str]) -> None:
    """Namespace, service accounts, dummy Secrets and the approvers' Role and RoleBinding."""
    # Plain dicts as bodies (the client accepts them), hence Any rather than its models.
    core: Any = client.CoreV1Api(api)
    rbac: Any = client.RbacAuthorizationV1Api(api)
    namespace = release.namespace
    ns_body = {"metadata": {"name": namespace, "labels": MANAGED}}
    create_or_patch(
        lambda: core.create_namespace(ns_body),
        lambda: core.patch_namespace(namespace, ns_body),
    )
    for account in release.service_accounts:
        account_body = {"metadata": {"name": account, "labels": MANAGED}}
        _ensure_in(namespace, "service_account", core, account_body)
    _ensure_secrets(core, namespace, release.secrets)
    role = {
        "metadata": {"name": APPROVER_ROLE, "labels": MANAGED},
        "rules": [
            {
                "apiGroups": [GROUP],
                "resources": [PLURAL],
                "verbs": ["get", "list", "watch", "patch"],
            },
            # What the console reads as the person: refusals and history
            # (Events), a step's logs (its pod's log).
            {"apiGroups": [""], "resources": ["events", "pods"], "verbs": ["list"]},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        ],
    }
    _ensure_in(namespace, "role", rbac, role)
    binding = {
        "metadata": {"name": APPROVER_ROLE, "labels": MANAGED},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": APPROVER_ROLE},
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}
            for group in approver_groups
        ],
    }
    _ensure_in(namespace, "role_binding", rbac, binding)


def install_channels(api: Any, namespace: str, channels: DemoChannels) -> None:
    """The channels' Secrets first: a channel checked before its Secret exists is not Ready."""
    custom: Any = client.CustomObjectsApi(api)
    _ensure_secrets(client.CoreV1Api(api), namespace, channels.secrets)
    for manifest in channels.manifests:
        name = manifest["metadata"]["name"]
        create_or_patch(
            lambda m=manifest: custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, CHANNEL_PLURAL, m
            ),
            lambda m=manifest, n=name: custom.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, CHANNEL_PLURAL, n, m
            ),
        )


def wait_for_channels_ready(api: Any, namespace: str, names: Iterable[str], timeout: float) -> None:
    """Return once the operator found every channel Ready; raise naming those that are not."""
    custom: Any = client.CustomObjectsApi(api)
    wanted = list(names)
    not_ready: list[str] = []

    def all_ready() -> bool:
        listing = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, CHANNEL_PLURAL)
        found = {item["metadata"]["name"]: item for item in listing["items"]}
        not_ready[:] = []
        for name in wanted:
            conditions = ((found.get(name) or {}).get("status") or {}).get("conditions") or []
            ready = next((c for c in conditions if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") != "True":
                why = (
                    f"{ready.get('reason')}: {ready.get('message')}" if ready else "not checked yet"
                )
                not_ready.append(f"{name} ({why})")
        return not not_ready

    try:
        wait_for(all_ready, timeout, "the NotificationChannels to be Ready")
    except WaitTimeout:
        raise WaitTimeout(
            f"NotificationChannels not Ready after {timeout:g}s: {'; '.join(not_ready)}"
        ) from None


def label_nodes(api: Any, labels: dict[str, str]) -> list[str]:
    """Give the KWOK nodes the labels the steps' nodeSelectors ask for (e.g. a macOS pool)."""
    if not labels:
        return []
    core: Any = client.CoreV1Api(api)
    nodes = core.list_node(label_selector="type=kwok").items
    for node in nodes:
        core.patch_node(node.metadata.name, {"metadata": {"labels": labels}})
    return [node.metadata.name for node in nodes]


def delete_previous(api: Any, release: DemoRelease, timeout: float = 60) -> bool:
    """Delete an earlier demo's release and wait until it and its Jobs are gone.

    Foreground deletion: the API server keeps the release until the garbage
    collector deleted its Jobs (they block owner deletion), so the new run's
    deterministic Job names are free again when this returns.
    """
    custom: Any = client.CustomObjectsApi(api)
    try:
        custom.delete_namespaced_custom_object(
            GROUP,
            VERSION,
            release.namespace,
            PLURAL,
            release.name,
            propagation_policy="Foreground",
        )
    except ApiException as error:
        if error.status == NOT_FOUND:
            return False
        raise

    def gone() -> bool:
        try:
            custom.get_namespaced_custom_object(
                GROUP, VERSION, release.namespace, PLURAL, release.name
            )
        except ApiException as error:
            if error.status == NOT_FOUND:
                return True
            raise
        return False

    wait_for(gone, timeout, f"the previous {release.name} and its Jobs to be deleted")
    return True


def create_release(api: Any, release: DemoRelease) -> dict[str, Any]:
    """Create the demo's AppDeployment; returns the stored object."""
    custom: Any = client.CustomObjectsApi(api)
    created: dict[str, Any] = custom.create_namespaced_custom_object(
        GROUP, VERSION, release.namespace, PLURAL, release.manifest
    )
    return created


def may_patch(api: Any, namespace: str, user: str, groups: Iterable[str]) -> bool:
    """Whether the API server's authorizer lets ``user`` annotate releases in ``namespace``.

    Shown at the start so it is visible that approvals are authorized as the
    approver: the approver groups may, anybody else may not.
    """
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user,
            "groups": list(groups),
            "resourceAttributes": {
                "namespace": namespace,
                "verb": "patch",
                "group": GROUP,
                "resource": PLURAL,
            },
        },
    }
    authorization: Any = client.AuthorizationV1Api(api)
    return bool(authorization.create_subject_access_review(review).status.allowed)
