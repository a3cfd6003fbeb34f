"""An operator whose webhooks miss a watched namespace refuses to start, and names it.

Story: the operator is told to watch two namespaces, but its webhook
configurations select only the first (someone added a namespace to the
operator's flags and not to the chart's selector). With
``--webhook-configuration`` it reads them at start and exits 1, naming the
namespace the webhooks do not see; once they cover both, it starts.
"""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from appdeploy.admission.configurations import webhook_configurations
from tests.cluster.certs import create_webhook_pki
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK, free_ports

EXIT_TIMEOUT = 60.0


@pytest.fixture
def second_namespace(api_client: Any) -> Iterator[str]:
    core = client.CoreV1Api(api_client)
    name = f"u-{uuid.uuid4().hex[:10]}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def install(api_client: Any, tmp_path: Path, name: str, namespaces: list[str]) -> None:
    """appdeploy's webhook configurations, selecting exactly ``namespaces`` (as the chart does)."""
    ca, _ = create_webhook_pki(tmp_path / f"pki-{len(namespaces)}")
    mutating, validating = webhook_configurations(
        base64.b64encode(Path(ca.cert).read_bytes()).decode(),
        base_url=f"https://{LOOPBACK}:{free_ports(1)[0]}",
        namespace_selector={
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": namespaces}
            ]
        },
        name=name,
        operator_user="appdeploy-admin",
    )
    remove(api_client, name)
    registration = client.AdmissionregistrationV1Api(api_client)
    registration.create_mutating_webhook_configuration(mutating)
    registration.create_validating_webhook_configuration(validating)


def remove(api_client: Any, name: str) -> None:
    registration = client.AdmissionregistrationV1Api(api_client)
    for delete in (
        registration.delete_mutating_webhook_configuration,
        registration.delete_validating_webhook_configuration,
    ):
        with contextlib.suppress(client.ApiException):
            delete(name)


def start_operator(cluster: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``appdeploy operator`` until it exits (it is expected to refuse to start)."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["KUBECONFIG"] = str(cluster.kubeconfig)
    health = f"{LOOPBACK}:{free_ports(1)[0]}"
    return subprocess.run(
        [sys.executable, "-m", "appdeploy", "operator", "--health-address", health, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=EXIT_TIMEOUT,
        check=False,
    )


def test_an_operator_whose_webhooks_miss_a_watched_namespace_refuses_to_start(
    cluster: Any,
    api_client: Any,
    unwatched_namespace: str,
    second_namespace: str,
    tmp_path: Path,
) -> None:
    name = f"appdeploy-coverage-{uuid.uuid4().hex[:6]}"
    args = ["-n", unwatched_namespace, "-n", second_namespace, "--webhook-configuration", name]
    try:
        # Given webhooks that select only the first of the two watched namespaces
        install(api_client, tmp_path, name, [unwatched_namespace])
        # When the operator starts
        started = start_operator(cluster, *args)
        # Then it refuses, naming the namespace and the webhooks that do not see it
        assert started.returncode == 1, started.stderr
        message = started.stderr.strip().splitlines()[-1]
        assert message.startswith(
            "appdeploy operator: the admission webhooks do not see every watched namespace"
        ), message
        assert f"does not select the watched namespaces {second_namespace}" in message
        assert f"ValidatingWebhookConfiguration {name}, webhook check-step-pods.appdeploy.dev" in (
            message
        )
        assert unwatched_namespace not in message.split("watched namespaces ", 1)[1].split(";")[0]

        # Given webhooks that select both, it starts
        install(api_client, tmp_path, name, [unwatched_namespace, second_namespace])
        with OperatorProcess(cluster.kubeconfig, tmp_path / "operator.log", args):
            pass
    finally:
        remove(api_client, name)


def test_a_missing_configuration_is_named(cluster: Any, unwatched_namespace: str) -> None:
    started = start_operator(
        cluster, "-n", unwatched_namespace, "--webhook-configuration", "no-such-hooks"
    )
    assert started.returncode == 1
    assert (
        "MutatingWebhookConfiguration no-such-hooks (--webhook-configuration) does not exist"
        in started.stderr
    )
