"""kube-apiserver's admission configuration: the client certificate it shows webhooks.

An API server presents a client certificate to a webhook only when its
``--admission-control-config-file`` names a kubeconfig for webhooks
(``WebhookAdmissionConfiguration``). Here one entry, ``*``, gives every
webhook the same certificate, signed by a CA of its own, so the operator
started with ``--webhook-client-ca`` answers this API server and no other
client.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.cluster.certs import CertPair
from tests.cluster.kubeconfig import b64
from tests.cluster.layout import Layout

_PLUGINS = ("ValidatingAdmissionWebhook", "MutatingAdmissionWebhook")


def write_admission_config(path: Path, client: CertPair) -> Path:
    """Write the AdmissionConfiguration and the webhook kubeconfig it points at."""
    kubeconfig = path.with_name("webhook-clients.kubeconfig")
    # Only ``users`` is read: the webhook's own URL and caBundle decide where
    # and whom the API server dials. ``*`` matches every webhook host.
    clients = {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [
            {
                "name": "*",
                "user": {
                    "client-certificate-data": b64(client.cert),
                    "client-key-data": b64(client.key),
                },
            }
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(kubeconfig, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        yaml.safe_dump(clients, handle, sort_keys=False)
    webhook = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "WebhookAdmissionConfiguration",
        "kubeConfigFile": str(kubeconfig),
    }
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [{"name": plugin, "configuration": webhook} for plugin in _PLUGINS],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def webhook_client_ca(kubeconfig: Path) -> Path:
    """The CA of the API server's webhook client certificate, for a cluster's admin kubeconfig."""
    layout = Layout(kubeconfig.resolve().parent)
    assert layout.admin_kubeconfig == kubeconfig.resolve(), f"{kubeconfig} is not a run dir's"
    return CertPair.named(layout.pki_dir, "webhook-client-ca").cert
