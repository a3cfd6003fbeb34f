"""The chart's RBAC on the cluster, and the operator running with its ServiceAccount.

``install_chart`` renders the chart, applies its ServiceAccount and RBAC (and
the admission policy when asked) for real, gets a TokenRequest token of the
ServiceAccount and starts the operator process with it: every request the
operator makes is authorized exactly as in a cluster.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client

from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.chart import render
from tests.helm.variants import with_webhook_from

RBAC_KINDS = frozenset(
    {"ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
)
POLICY_KINDS = frozenset({"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"})
# Fixed names (people bind to them), so one installation at a time may own them.
USER_ROLES = frozenset({"appdeploy-view", "appdeploy-edit", "appdeploy-approve"})


def create_namespace(api_client: Any, prefix: str, labels: dict[str, str] | None = None) -> str:
    """A fresh namespace whose default ServiceAccount exists (pods are admitted)."""
    core = client.CoreV1Api(api_client)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name, "labels": labels or {}}})
    wait_for(
        lambda: core.read_namespaced_service_account("default", name),
        30,
        f"ServiceAccount {name}/default",
        ignore=(client.ApiException,),
    )
    return name


@dataclass
class Installation:
    """The chart's RBAC on the cluster and the operator running with its ServiceAccount."""

    release: str
    namespace: str
    watched: list[str]
    objects: list[dict[str, Any]]
    user: str
    kubeconfig: Path
    operator: OperatorProcess
    cluster_scoped: list[dict[str, Any]] = field(default_factory=list)

    def operator_role(self, namespace: str) -> dict[str, Any]:
        """The rendered Role of the operator in a watched namespace."""
        return next(
            obj
            for obj in self.objects
            if obj["kind"] == "Role"
            and obj["metadata"]["namespace"] == namespace
            and obj["metadata"]["name"].endswith("-operator")
        )


def install_chart(
    cluster: Any,
    api_client: Any,
    directory: Path,
    *,
    watched: list[str],
    extra_kinds: frozenset[str] = frozenset(),
    user_roles: bool = False,
) -> Installation:
    """Render the chart (namespaced when ``watched``), apply its RBAC, start the operator."""
    release = f"lp{uuid.uuid4().hex[:6]}"
    namespace = create_namespace(api_client, "helm-op")
    objects = render(
        with_webhook_from({"watchNamespaces": watched}), release=release, namespace=namespace
    )
    applied = [
        obj
        for obj in objects
        if obj["kind"] in RBAC_KINDS | extra_kinds
        and (user_roles or obj["metadata"]["name"] not in USER_ROLES)
    ]
    install.apply(cluster.kubeconfig, applied)
    account = next(obj for obj in objects if obj["kind"] == "ServiceAccount")["metadata"]["name"]
    kubeconfig = install.service_account_kubeconfig(
        api_client, cluster.kubeconfig, namespace, account, directory / "operator.kubeconfig"
    )
    deployment = next(obj for obj in objects if obj["kind"] == "Deployment")
    key_flag = next(
        arg
        for arg in deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        if arg.startswith("--approval-key-secret=")
    )
    args = ["--trust-unverified-approvals", key_flag]
    for name in watched:
        args += ["-n", name]
    operator = OperatorProcess(kubeconfig, directory / "operator.log", args)
    installation = Installation(
        release=release,
        namespace=namespace,
        watched=watched,
        objects=objects,
        user=f"system:serviceaccount:{namespace}:{account}",
        kubeconfig=kubeconfig,
        operator=operator,
        cluster_scoped=[obj for obj in applied if "namespace" not in obj["metadata"]],
    )
    operator.start()
    try:
        if watched:
            for name in watched:
                wait_until_served(api_client, name)
        else:
            probe = create_namespace(api_client, "helm-probe")
            wait_until_served(api_client, probe)
            client.CoreV1Api(api_client).delete_namespace(probe)
    except BaseException:
        uninstall(cluster, api_client, installation)
        raise
    return installation


# In namespaced mode, without the right to list namespaces, kopf retries that
# with backoff for about a minute before it falls back to the namespaces it
# was given (docs/install.md, RBAC).
SERVED_TIMEOUT = 150.0


def wait_until_served(api_client: Any, namespace: str) -> None:
    """Wait until the operator reconciles releases in ``namespace`` (a probe release)."""
    custom = client.CustomObjectsApi(api_client)
    probe = {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "AppDeployment",
        "metadata": {"name": "probe"},
        "spec": {
            "app": "probe",
            "version": "1",
            "steps": [{"name": "wait", "wait": {"duration": "1h"}}],
        },
    }
    custom.create_namespaced_custom_object(
        "appdeploy.dev", "v1alpha1", namespace, "appdeployments", probe
    )
    wait_for(
        lambda: custom.get_namespaced_custom_object(
            "appdeploy.dev", "v1alpha1", namespace, "appdeployments", "probe"
        ).get("status"),
        SERVED_TIMEOUT,
        f"the operator to serve namespace {namespace}",
    )
    custom.delete_namespaced_custom_object(
        "appdeploy.dev", "v1alpha1", namespace, "appdeployments", "probe"
    )


def uninstall(cluster: Any, api_client: Any, installation: Installation) -> None:
    """Stop the operator; delete what was applied (namespaces are not awaited)."""
    installation.operator.stop()
    install.delete(cluster.kubeconfig, installation.cluster_scoped)
    core = client.CoreV1Api(api_client)
    for name in [installation.namespace, *installation.watched]:
        core.delete_namespace(name)


def bind(api_client: Any, namespace: str, role: str, subject: dict[str, str]) -> None:
    """RoleBinding in ``namespace`` of ClusterRole ``role`` to one user or group."""
    name = f"{role}-{subject['name']}".lower().replace(":", "-")
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": name},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", **subject}],
        },
    )
