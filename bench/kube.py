"""Clients and one-time setup on the bench cluster: the CRD and the namespaces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from tests.cluster.wait import wait_for

from appdeploy.api.crd import build_crd
from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

SETUP_TIMEOUT = 60.0
# Watches hold connections for the whole run and the approver and release
# creators run in parallel: more than urllib3's default pool of 4.
POOL_SIZE = 32


def api_client(kubeconfig: Path) -> Any:
    """An admin ApiClient that never goes through a proxy (the cluster is on loopback)."""
    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), client_configuration=configuration
    )
    configuration.proxy = None
    configuration.no_proxy = "*"
    configuration.connection_pool_maxsize = POOL_SIZE
    return client.ApiClient(configuration)


def install_crd(api: Any) -> None:
    """Create the AppDeployment CRD and wait until it is served."""
    extensions = client.ApiextensionsV1Api(api)
    crd = build_crd()
    extensions.create_custom_resource_definition(crd)  # type: ignore[arg-type]

    def established() -> bool:
        read = extensions.read_custom_resource_definition(crd["metadata"]["name"])
        conditions = (read.status.conditions if read.status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for(established, SETUP_TIMEOUT, "the AppDeployment CRD to be Established")
    # Established is not yet listable: until the API server's watch cache for
    # the new resource is ready, lists answer 429 "storage is (re)initializing"
    # (the operator would log an error and retry).
    custom = client.CustomObjectsApi(api)
    wait_for(
        lambda: custom.list_cluster_custom_object(GROUP, VERSION, PLURAL, limit=1),
        SETUP_TIMEOUT,
        "AppDeployments to be listable",
        ignore=(ApiException,),
    )


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
