"""The operator's admission webhooks for the demo, served on 127.0.0.1.

The demo runs the operator as a cluster should: approvals are signed by its
mutating webhook and checked by its validating webhook, with no
``--trust-unverified-approvals``. So the demo needs what the Helm chart would
otherwise provide: a throw-away CA and a 127.0.0.1 serving certificate, the
webhook configurations (pointing at ``https://127.0.0.1:PORT``, limited to
the demo's namespace), and a namespace for the approval signing key, which
the operator creates on first start and keeps across demos.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.cluster.certs import create_webhook_pki
from tests.cluster.ports import LOOPBACK, free_ports
from tests.cluster.wait import wait_for

from appdeploy.admission.configurations import webhook_configurations
from demo.install import GROUP, MANAGED, NOT_FOUND, PLURAL, VERSION, create_or_patch

KEY_NAMESPACE = "appdeploy-system"
KEY_SECRET = f"{KEY_NAMESPACE}/appdeploy-approval-key"
CONFIGURATION = "appdeploy-demo"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
SERVED_TIMEOUT = 60.0


@dataclass(frozen=True)
class DemoWebhooks:
    """Where the operator serves the webhooks, with which certificate, for which namespace."""

    namespace: str
    port: int
    ca_cert: Path
    cert: Path
    key: Path

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def operator_args(self) -> list[str]:
        """The operator's flags: serve the webhooks here, sign with the key in KEY_SECRET."""
        return [
            "--approval-key-secret",
            KEY_SECRET,
            "--webhook-address",
            self.address,
            "--webhook-cert",
            str(self.cert),
            "--webhook-key",
            str(self.key),
        ]

    def configurations(self) -> list[dict[str, Any]]:
        """Mutating and validating configurations, as shipped, for the demo's namespace only."""
        return webhook_configurations(
            base64.b64encode(self.ca_cert.read_bytes()).decode(),
            base_url=f"https://{self.address}",
            # The label the API server puts on every namespace: no other
            # namespace of a shared cluster (tests use it too) sees the demo's hooks.
            namespace_selector={"matchLabels": {NAMESPACE_LABEL: self.namespace}},
            name=CONFIGURATION,
        )


def prepare_webhooks(directory: Path, namespace: str) -> DemoWebhooks:
    """A fresh CA and serving certificate in ``directory`` and a free loopback port."""
    ca, serving = create_webhook_pki(directory)
    return DemoWebhooks(namespace, free_ports(1)[0], ca.cert, serving.cert, serving.key)


def install_key_namespace(api: Any) -> None:
    """The namespace of the signing key: apart from the releases, whose steps may read Secrets."""
    core: Any = client.CoreV1Api(api)
    body = {"metadata": {"name": KEY_NAMESPACE, "labels": MANAGED}}
    create_or_patch(
        lambda: core.create_namespace(body), lambda: core.patch_namespace(KEY_NAMESPACE, body)
    )


def remove_webhooks(api: Any) -> bool:
    """Delete the demo's configurations (an interrupted demo may have left them); True if any."""
    registration: Any = client.AdmissionregistrationV1Api(api)
    removed = False
    for delete in (
        registration.delete_mutating_webhook_configuration,
        registration.delete_validating_webhook_configuration,
    ):
        try:
            delete(CONFIGURATION)
            removed = True
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise
    return removed


def install_webhooks(api: Any, webhooks: DemoWebhooks, timeout: float = SERVED_TIMEOUT) -> None:
    """Register the webhooks and wait until the API server reaches the operator through them."""
    registration: Any = client.AdmissionregistrationV1Api(api)
    remove_webhooks(api)
    mutating, validating = webhooks.configurations()
    registration.create_mutating_webhook_configuration(mutating)
    registration.create_validating_webhook_configuration(validating)
    wait_for(
        lambda: _refuses_invalid_release(api, webhooks.namespace),
        timeout,
        f"the API server to call the operator's webhooks on {webhooks.address}",
    )


def _refuses_invalid_release(api: Any, namespace: str) -> bool:
    """Whether validate-spec answers: it fails open, so only a refusal proves it is reached.

    A dry run: nothing is stored. The same server signs decisions, so once it
    answers, approvals are signed too.
    """
    probe = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "AppDeployment",
        "metadata": {"name": "webhook-probe"},
        "spec": {
            "app": "probe",
            "version": "0",
            "steps": [
                {"name": "a", "needs": ["b"], "run": {"image": "busybox"}},
                {"name": "b", "needs": ["a"], "run": {"image": "busybox"}},
            ],
        },
    }
    custom: Any = client.CustomObjectsApi(api)
    try:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, PLURAL, probe, dry_run="All"
        )
    except ApiException as error:
        return "invalid AppDeployment" in str(error.body)
    return False
