"""Shared pytest fixtures.

The cluster fixtures are lazy: nothing starts unless a test requests
`cluster` (directly or through `api_client`, `namespace`, ...), so unit tests
never pay for a control plane. Imports of the cluster tooling happen inside
the fixtures for the same reason.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Set to an existing cluster's admin kubeconfig to run against it instead of
# starting one (e.g. `python -m tests.cluster up` once, many pytest runs).
REUSE_ENV = "APPDEPLOY_KUBECONFIG"
NAMESPACE_READY_TIMEOUT = 30.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: needs the local Kubernetes control plane (tests/cluster); "
        "deselect with -m 'not integration'",
    )


@dataclass(frozen=True)
class ClusterAccess:
    """How tests reach the cluster."""

    kubeconfig: Path
    # False when reusing a cluster given by APPDEPLOY_KUBECONFIG.
    owned: bool


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterAccess]:
    """A running cluster for the whole session (built and started if needed)."""
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        yield ClusterAccess(kubeconfig=Path(reuse), owned=False)
        return
    from tests.cluster import down, up

    run_dir = tmp_path_factory.mktemp("cluster")
    started = up(run_dir, name="pytest")
    try:
        yield ClusterAccess(kubeconfig=started.kubeconfig, owned=True)
    finally:
        down(run_dir)


@pytest.fixture(scope="session")
def api_client(cluster: ClusterAccess) -> Iterator[Any]:
    """Admin kubernetes.client.ApiClient."""
    from tests.cluster.clients import admin_client

    api = admin_client(cluster.kubeconfig)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def as_user(cluster: ClusterAccess) -> Iterator[Callable[..., Any]]:
    """Factory: as_user("alice", groups=["qa"]) -> impersonating ApiClient."""
    from tests.cluster.clients import impersonating_client

    made: list[Any] = []

    def make(user: str, groups: Sequence[str] = ()) -> Any:
        api = impersonating_client(cluster.kubeconfig, user, groups)
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


@pytest.fixture
def kubectl(cluster: ClusterAccess) -> Callable[..., list[str]]:
    """Factory: kubectl("get", "pods", as_user="alice", groups=["qa"]) -> argv."""
    from tests.cluster.clients import kubectl_argv

    def build(*args: str, as_user: str | None = None, groups: Sequence[str] = ()) -> list[str]:
        return kubectl_argv(cluster.kubeconfig, *args, as_user=as_user, groups=groups)

    return build


def _namespace_name(test_name: str) -> str:
    # DNS-1123 label: lowercase alphanumerics and '-', at most 63 characters.
    stem = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")[:40].rstrip("-")
    return f"t-{stem}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def namespace(api_client: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace (ready for pods), deleted after the test."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    from tests.cluster.wait import wait_for

    core = client.CoreV1Api(api_client)
    name = _namespace_name(request.node.name)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))

    def default_service_account() -> bool:
        try:
            core.read_namespaced_service_account("default", name)
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    # Pods are rejected until the namespace's default ServiceAccount exists.
    wait_for(default_service_account, NAMESPACE_READY_TIMEOUT, f"ServiceAccount {name}/default")
    yield name
    # Not awaited: the namespace controller finishes the deletion on its own.
    core.delete_namespace(name)
