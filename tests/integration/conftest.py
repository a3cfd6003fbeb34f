"""Integration tests: everything here runs against the local control plane."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from appdeploy.api.channel_crd import build_channel_crd
from appdeploy.api.crd import build_crd
from appdeploy.api.policy_crd import build_policy_crd
from tests.cluster.crd import install_crd
from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.integration.job_creations import JobCreations
from tests.integration.notify_story import NotifyStory, open_story
from tests.integration.releases import Releases, grant_approvers

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Hooks in a conftest see the whole session's items; mark only ours.
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


# --- appdeploy on the cluster ------------------------------------------------------


STORY_NAMESPACES = "t-*"


@pytest.fixture(scope="session")
def crd(api_client: Any) -> None:
    """The AppDeployment, NotificationChannel and ReleasePolicy CRDs, installed once per session."""
    install_crd(api_client, build_crd())
    install_crd(api_client, build_channel_crd())
    install_crd(api_client, build_policy_crd())


@pytest.fixture(scope="session")
def operator(
    cluster: Any, crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """The operator process, watching the story namespaces (t-*), trusting unsigned approvals."""
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    process = OperatorProcess(
        cluster.kubeconfig, log, ["--trust-unverified-approvals", "-n", STORY_NAMESPACES]
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture
def unwatched_namespace(api_client: Any, crd: None) -> Iterator[str]:
    """A fresh namespace that the shared story operator does not watch (it watches t-*)."""
    core = client.CoreV1Api(api_client)
    name = f"u-{uuid.uuid4().hex[:10]}"
    core.create_namespace({"metadata": {"name": name}})
    wait_for(
        lambda: core.list_namespaced_service_account(name).items,
        30,
        f"ServiceAccount {name}/default",
    )
    grant_approvers(api_client, name)
    yield name
    core.delete_namespace(name)


@pytest.fixture
def job_creations(api_client: Any, unwatched_namespace: str) -> Iterator[JobCreations]:
    """Job creations in ``unwatched_namespace``, counted from before the test's first step."""
    watched = JobCreations(api_client, unwatched_namespace)
    yield watched
    watched.stop()


@pytest.fixture
def unwatched_releases(
    api_client: Any, unwatched_namespace: str, kubectl: Callable[..., list[str]]
) -> Releases:
    """Release helpers in the unwatched namespace (for a test's own operator or reconciler)."""
    return Releases(api_client, unwatched_namespace, kubectl)


@pytest.fixture
def metered(
    cluster: Any, unwatched_namespace: str, tmp_path: Path
) -> Iterator[tuple[OperatorProcess, str]]:
    """An operator of its own, serving /metrics, on a namespace of its own: (operator, ns)."""
    process = OperatorProcess(
        cluster.kubeconfig,
        tmp_path / "operator.log",
        ["--trust-unverified-approvals", "-n", unwatched_namespace],
        metrics=True,
    )
    process.start()
    yield process, unwatched_namespace
    process.stop()


@pytest.fixture
def releases(api_client: Any, namespace: str, operator: OperatorProcess, kubectl: Any) -> Releases:
    """Release helpers in a fresh namespace, where groups qa, compliance and dev may annotate."""
    grant_approvers(api_client, namespace)
    return Releases(api_client, namespace, kubectl)


@pytest.fixture
def notify_story(
    cluster: Any,
    api_client: Any,
    unwatched_namespace: str,
    kubectl: Callable[..., list[str]],
    tmp_path: Path,
) -> Iterator[NotifyStory]:
    """A notification story: its own operator (signed webhooks, real transports), fake providers."""
    yield from open_story(cluster, api_client, unwatched_namespace, kubectl, tmp_path)
