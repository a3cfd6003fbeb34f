"""Put rendered chart objects on the local control plane, and act as the chart's ServiceAccount.

Objects go through ``kubectl apply --server-side`` (as an admin would), for
real or with ``--dry-run=server``. Only RBAC, ServiceAccounts, Secrets,
namespaces and admission policies are ever applied for real: webhook
configurations that reference a Service are dry-run only, because the API
server would dial the Service's (non-loopback) address.

``service_account_kubeconfig`` asks the TokenRequest API for a token of the
chart's ServiceAccount and writes a kubeconfig with it, so the operator
process runs with exactly the chart's rights.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from tests.cluster.clients import kubectl_argv

# Kinds a test may create for real on the loopback-only cluster.
SAFE_KINDS = frozenset(
    {
        "Namespace",
        "ServiceAccount",
        "Secret",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "CustomResourceDefinition",
    }
)
TOKEN_SECONDS = 3600


class ApplyError(AssertionError):
    """kubectl refused the objects; the message carries its stderr."""


def _kubectl(
    kubeconfig: Path, args: Sequence[str], objects: Iterable[dict[str, Any]]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kubectl_argv(kubeconfig, *args),
        input=yaml.safe_dump_all(list(objects)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def run_kubectl(kubeconfig: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """kubectl with the given kubeconfig and no input."""
    return _kubectl(kubeconfig, args, [])


def apply(kubeconfig: Path, objects: Sequence[dict[str, Any]], *, dry_run: bool = False) -> str:
    """Server-side apply; with dry_run the API server validates and admits but stores nothing."""
    unsafe = sorted({obj["kind"] for obj in objects} - SAFE_KINDS)
    if not dry_run and unsafe:
        raise ValueError(f"refusing to create {unsafe} for real on the loopback-only cluster")
    args = ["apply", "--server-side", "--force-conflicts", "--field-manager=appdeploy-tests"]
    if dry_run:
        args.append("--dry-run=server")
    result = _kubectl(kubeconfig, [*args, "-f", "-"], objects)
    if result.returncode != 0:
        raise ApplyError(f"kubectl apply{' (dry run)' if dry_run else ''} failed:\n{result.stderr}")
    return result.stdout


def delete(kubeconfig: Path, objects: Sequence[dict[str, Any]]) -> None:
    """Delete the objects if present (not awaited)."""
    _kubectl(kubeconfig, ["delete", "--ignore-not-found", "--wait=false", "-f", "-"], objects)


def service_account_kubeconfig(
    api_client: Any, admin_kubeconfig: Path, namespace: str, name: str, path: Path
) -> Path:
    """A kubeconfig that authenticates as ServiceAccount namespace/name (TokenRequest)."""
    token = client.CoreV1Api(api_client).create_namespaced_service_account_token(
        name, namespace, {"spec": {"expirationSeconds": TOKEN_SECONDS}}
    )
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": cluster}],
        "users": [{"name": name, "user": {"token": token.status.token}}],
        "contexts": [{"name": name, "context": {"cluster": "local", "user": name}}],
        "current-context": name,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    path.chmod(0o600)
    return path


def is_allowed(
    api_client: Any, user: str, verb: str, resource: str, *, namespace: str, group: str = ""
) -> bool:
    """Whether RBAC lets ``user`` (a ServiceAccount's full name) do verb on resource."""
    resource, _, subresource = resource.partition("/")
    groups = ["system:authenticated"]
    if user.startswith("system:serviceaccount:"):
        groups += ["system:serviceaccounts", f"system:serviceaccounts:{user.split(':')[2]}"]
    review = client.AuthorizationV1Api(api_client).create_subject_access_review(
        {
            "spec": {
                "user": user,
                "groups": groups,
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": verb,
                    "group": group,
                    "resource": resource,
                    "subresource": subresource,
                },
            }
        }
    )
    return bool(review.status.allowed)
