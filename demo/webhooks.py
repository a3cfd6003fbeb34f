"""The operator's admission webhooks for the demo, served on 127.0.0.1.

The demo runs the operator as a cluster should: approvals are signed by its
mutating webhook and checked by its validating webhook, with no
``--trust-unverified-approvals``. What the Helm chart would otherwise provide
comes from the integration tests' ``SignedWebhook`` (a throw-away CA and
127.0.0.1 serving certificate, a free port, the shipped configurations
limited to the release's namespace, and the wait until the API server
reaches them). The demo adds a namespace of its own for the signing key,
which the operator creates on first start and keeps across demos, and
removes configurations an interrupted demo left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tests.integration.signed_webhook import SignedWebhook

from demo.install import MANAGED, NOT_FOUND, create_or_patch

KEY_NAMESPACE = "appdeploy-system"
KEY_SECRET = f"{KEY_NAMESPACE}/appdeploy-approval-key"


def demo_webhooks(api: Any, directory: Path, namespace: str) -> SignedWebhook:
    """Fresh certificates in ``directory``, a free port, the key in KEY_SECRET."""
    return SignedWebhook(api, namespace, directory, key_secret=KEY_SECRET)


def install_key_namespace(api: Any) -> None:
    """The namespace of the signing key: apart from the releases, whose steps may read Secrets."""
    core: Any = client.CoreV1Api(api)
    body = {"metadata": {"name": KEY_NAMESPACE, "labels": MANAGED}}
    create_or_patch(
        lambda: core.create_namespace(body), lambda: core.patch_namespace(KEY_NAMESPACE, body)
    )


def remove_webhooks(api: Any, name: str) -> bool:
    """Delete the configurations called ``name`` if they exist; True if any did.

    At the start they can only be an interrupted demo's, pointing at a port
    nobody serves (approvals would be refused); at the end they must go
    before the operator stops.
    """
    registration: Any = client.AdmissionregistrationV1Api(api)
    removed = False
    for delete in (
        registration.delete_mutating_webhook_configuration,
        registration.delete_validating_webhook_configuration,
    ):
        try:
            delete(name)
            removed = True
        except ApiException as error:
            if error.status != NOT_FOUND:
                raise
    return removed
