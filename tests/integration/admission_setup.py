"""The admission webhooks' test setting: the operator serving them on 127.0.0.1.

Shared by the admission stories: a namespace whose webhooks point at an
operator process started with --webhook-address, and helpers that act as
approvers with kubectl.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.admission.configurations import webhook_configurations
from appdeploy.k8s.annotations import parse_decision_key
from appdeploy.k8s.identity import own_username
from tests.cluster.admission_config import webhook_client_ca
from tests.cluster.certs import create_webhook_pki
from tests.cluster.operator import OperatorProcess
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for
from tests.integration.releases import (
    Releases,
    gate_step,
    grant_approvers,
    release_spec,
    run_step,
)

GITOPS = "system:serviceaccount:argocd:argocd-application-controller"
LABEL = "appdeploy.dev/admission-test"


@dataclass
class Admission:
    namespace: str
    operator: OperatorProcess
    configurations: list[dict[str, Any]]
    api_client: Any
    url: str
    """https://127.0.0.1:PORT, where the operator serves the webhooks."""
    ca: Path
    """The CA of the webhook's serving certificate."""

    def remove_webhooks(self) -> None:
        registration = client.AdmissionregistrationV1Api(self.api_client)
        name = self.configurations[0]["metadata"]["name"]
        registration.delete_mutating_webhook_configuration(name)
        registration.delete_validating_webhook_configuration(name)

    def install_webhooks(self) -> None:
        registration = client.AdmissionregistrationV1Api(self.api_client)
        mutating, validating = self.configurations
        registration.create_mutating_webhook_configuration(mutating)
        registration.create_validating_webhook_configuration(validating)
        custom = client.CustomObjectsApi(self.api_client)
        probe = {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "AppDeployment",
            "metadata": {"name": "probe"},
            "spec": release_spec(run_step("a", ["b"]), run_step("b", ["a"])),
        }

        def refused() -> bool:
            try:
                custom.create_namespaced_custom_object(
                    "appdeploy.dev",
                    "v1alpha1",
                    self.namespace,
                    "appdeployments",
                    probe,
                    dry_run="All",
                )
            except ApiException as error:
                return "invalid AppDeployment" in str(error.body)
            return False

        wait_for(refused, 60, "the webhooks to answer")


@pytest.fixture(scope="module")
def admission(
    cluster: Any, api_client: Any, crd: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admission]:
    suffix = uuid.uuid4().hex[:8]
    namespace = f"adm-{suffix}"
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": {"name": namespace, "labels": {LABEL: suffix}}})
    wait_for(
        lambda: core.list_namespaced_service_account(namespace).items,
        30,
        f"ServiceAccount {namespace}/default",
    )
    grant_approvers(api_client, namespace)
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "gitops"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "release-approver",
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": "argocd-application-controller",
                    "namespace": "argocd",
                }
            ],
        },
    )
    directory = tmp_path_factory.mktemp("admission")
    ca, serving = create_webhook_pki(directory / "pki")
    port = free_ports(1)[0]
    operator = OperatorProcess(
        cluster.kubeconfig,
        directory / "operator.log",
        [
            "-n",
            namespace,
            "--approval-key-secret",
            f"{namespace}/appdeploy-approval-key",
            "--webhook-address",
            f"{LOOPBACK}:{port}",
            "--webhook-cert",
            str(serving.cert),
            "--webhook-key",
            str(serving.key),
            # Only the API server (its webhook client certificate) is answered.
            "--webhook-client-ca",
            str(webhook_client_ca(cluster.kubeconfig)),
            # Check steps' measurement Jobs (KWOK stands in for the program).
            "--provider-image",
            "example.invalid/appdeploy:test",
        ],
    ).start()
    configurations = webhook_configurations(
        base64.b64encode(Path(ca.cert).read_bytes()).decode(),
        base_url=f"https://{LOOPBACK}:{port}",
        namespace_selector={"matchLabels": {LABEL: suffix}},
        name=f"appdeploy-test-{suffix}",
        # The step-object hooks too, as where no ValidatingAdmissionPolicy is installed.
        operator_user=own_username(api_client),
    )
    state = Admission(
        namespace, operator, configurations, api_client, f"https://{LOOPBACK}:{port}", ca.cert
    )
    state.install_webhooks()
    yield state
    operator.stop()
    state.remove_webhooks()
    core.delete_namespace(namespace)


@pytest.fixture
def releases(admission: Admission, kubectl: Callable[..., list[str]]) -> Releases:
    return Releases(admission.api_client, admission.namespace, kubectl)


def decide(
    releases: Releases,
    name: str,
    gate: str,
    user: str,
    groups: list[str],
    *,
    comment: str = "ok",
    kind: str = "approve",
) -> subprocess.CompletedProcess[str]:
    """What an approver types: kubectl annotate, plain comment, as themselves."""
    return releases.annotate(
        name, f"{kind}.appdeploy.dev/{gate}", comment, as_user=user, groups=groups
    )


def pending(releases: Releases, name: str, gate: str, kind: str = "approve") -> list[str]:
    """Decision keys of ``gate`` still on the release: as written, or moved to their authors'."""
    found = []
    for key in releases.annotations(name):
        parsed = parse_decision_key(key)
        if parsed is not None and (parsed.kind, parsed.gate) == (kind, gate):
            found.append(key)
    return found


def consumed(releases: Releases, name: str, gate: str, kind: str = "approve") -> None:
    wait_for(
        lambda: not pending(releases, name, gate, kind), 60, f"{kind} of {gate} to be consumed"
    )


def qa_and_compliance() -> dict[str, Any]:
    return release_spec(
        run_step("build"),
        gate_step(
            "qa-signoff",
            ["build"],
            required=2,
            approvers={"groups": ["qa"], "users": ["system:serviceaccount:ci:release-bot"]},
        ),
        gate_step(
            "compliance",
            ["qa-signoff"],
            approvers={"groups": ["compliance", "qa"]},
            distinctFrom=["qa-signoff"],
        ),
        run_step("ship", ["compliance"]),
    )
