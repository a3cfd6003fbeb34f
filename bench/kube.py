"""Clients and one-time setup on the bench cluster: the CRD and the namespaces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.cluster.clients import admin_client
from tests.cluster.crd import install_crd as apply_crd
from tests.cluster.wait import wait_for

from appdeploy.api.crd import build_crd

SETUP_TIMEOUT = 60.0
# Watches hold connections for the whole run and the approver and release
# creators run in parallel: more than urllib3's default pool of 4.
POOL_SIZE = 32


def api_client(kubeconfig: Path) -> Any:
    """An admin ApiClient with a connection pool for the bench's parallel watchers."""
    return admin_client(kubeconfig, pool_size=POOL_SIZE)


def install_crd(api: Any) -> None:
    """Create the AppDeployment CRD and wait until it is served and listable.

    Listable matters: the operator, started right after, would otherwise log
    429 "storage is (re)initializing" errors and retry.
    """
    apply_crd(api, build_crd(), SETUP_TIMEOUT)


def create_namespace(api: Any, name: str) -> None:
    """Create a namespace and wait for its default ServiceAccount.

    Pods are refused until that ServiceAccount exists; a Job controller
    that hits this backs off, which would show up as operator latency.
    """
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": name}})  # type: ignore[arg-type]
    wait_for(
        lambda: core.read_namespaced_service_account("default", name),
        SETUP_TIMEOUT,
        f"ServiceAccount {name}/default",
        ignore=(ApiException,),
    )


def server_version(api: Any) -> str:
    """The API server's gitVersion."""
    return str(client.VersionApi(api).get_code().git_version)
