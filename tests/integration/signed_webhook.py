"""An operator's admission webhooks on 127.0.0.1 for one namespace, across operator restarts.

The serving certificate, the port and the approval key Secret stay the same
from one operator process to the next, so a story can SIGKILL the operator and
start it again while every decision keeps going through the real webhook and
is signed (no ``--trust-unverified-approvals``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.admission.configurations import webhook_configurations
from tests.cluster.certs import create_webhook_pki
from tests.cluster.ports import LOOPBACK, free_ports, is_listening
from tests.cluster.wait import wait_for
from tests.integration.releases import release_spec, run_step

LIVE_TIMEOUT = 60.0


@dataclass
class SignedWebhook:
    """The flags that make an operator serve signed webhooks, and their configurations."""

    api_client: Any
    namespace: str
    directory: Path
    port: int = field(default_factory=lambda: free_ports(1)[0])
    installed: bool = False
    key_secret: str = ""
    """NS/NAME of the approval key Secret; empty: ``appdeploy-approval-key`` in ``namespace``."""

    def __post_init__(self) -> None:
        self.ca, self.serving = create_webhook_pki(self.directory / "pki")

    @property
    def name(self) -> str:
        """The configurations' name."""
        return f"appdeploy-{self.namespace}"

    def operator_args(self) -> list[str]:
        """``appdeploy operator`` flags: the webhook on 127.0.0.1 and the signing key Secret."""
        return [
            "--approval-key-secret",
            self.key_secret or f"{self.namespace}/appdeploy-approval-key",
            "--webhook-address",
            f"{LOOPBACK}:{self.port}",
            "--webhook-cert",
            str(self.serving.cert),
            "--webhook-key",
            str(self.serving.key),
        ]

    def configurations(self) -> list[dict[str, Any]]:
        """The shipped configurations, pointed at 127.0.0.1:port, for this namespace only."""
        return webhook_configurations(
            base64.b64encode(Path(self.ca.cert).read_bytes()).decode(),
            base_url=f"https://{LOOPBACK}:{self.port}",
            namespace_selector={"matchLabels": {"kubernetes.io/metadata.name": self.namespace}},
            name=self.name,
        )

    def ensure_live(self) -> None:
        """Install the configurations once; wait until this operator's webhook answers."""
        wait_for(lambda: is_listening(self.port), LIVE_TIMEOUT, "the webhook port to listen")
        if not self.installed:
            registration = client.AdmissionregistrationV1Api(self.api_client)
            mutating, validating = self.configurations()
            registration.create_mutating_webhook_configuration(mutating)
            registration.create_validating_webhook_configuration(validating)
            self.installed = True
        wait_for(self._answers, LIVE_TIMEOUT, "the API server to call the webhooks")

    def _answers(self) -> bool:
        probe = {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "AppDeployment",
            "metadata": {"name": "probe"},
            "spec": release_spec(run_step("a", ["b"]), run_step("b", ["a"])),
        }
        try:
            client.CustomObjectsApi(self.api_client).create_namespaced_custom_object(
                "appdeploy.dev", "v1alpha1", self.namespace, "appdeployments", probe, dry_run="All"
            )
        except ApiException as error:
            return "invalid AppDeployment" in str(error.body)
        return False

    def remove(self) -> None:
        """Delete the configurations (nothing else may depend on this operator)."""
        if not self.installed:
            return
        registration = client.AdmissionregistrationV1Api(self.api_client)
        registration.delete_mutating_webhook_configuration(self.name)
        registration.delete_validating_webhook_configuration(self.name)
