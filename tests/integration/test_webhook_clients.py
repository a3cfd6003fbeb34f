"""Only the API server reaches the webhooks: the signing hook writes identities.

The operator runs with ``--webhook-client-ca`` (the CA of the client
certificate the local API server presents to webhooks, configured by its
``--admission-control-config-file``, tests/cluster/admission_config.py). A
client inside the cluster network that calls ``sign-decisions`` directly,
with an AdmissionReview naming whoever it likes, gets no envelope: without a
certificate, or with one the cluster CA signed for someone else, the TLS
handshake fails. The API server, with its certificate, still gets answers
(every story in test_admission.py goes through it).
"""

from __future__ import annotations

import http.client
import json
import ssl
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.cluster.certs import CertPair
from tests.cluster.layout import Layout
from tests.integration.admission_setup import (
    Admission,
    admission,
    consumed,
    decide,
    qa_and_compliance,
    releases,
)
from tests.integration.releases import Releases

__all__ = ["admission", "releases"]  # fixtures

# What a forger would send: an AdmissionReview claiming to come from the approver.
FORGED_REVIEW = {
    "apiVersion": "admission.k8s.io/v1",
    "kind": "AdmissionReview",
    "request": {
        "uid": str(uuid.uuid4()),
        "kind": {"group": "appdeploy.dev", "version": "v1alpha1", "kind": "AppDeployment"},
        "resource": {"group": "appdeploy.dev", "version": "v1alpha1", "resource": "appdeployments"},
        "operation": "UPDATE",
        "userInfo": {"username": "alice@example.com", "groups": ["qa"]},
        "object": {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "AppDeployment",
            "metadata": {
                "name": "r",
                "namespace": "ns",
                "uid": "u",
                "annotations": {"approve.appdeploy.dev/qa-signoff": "ok"},
            },
            "status": {"run": 1},
        },
        "oldObject": {
            "apiVersion": "appdeploy.dev/v1alpha1",
            "kind": "AppDeployment",
            "metadata": {"name": "r", "namespace": "ns", "uid": "u"},
            "status": {"run": 1},
        },
    },
}


def call_sign_decisions(admission: Admission, client_cert: CertPair | None) -> int:
    """POST the forged review to /sign-decisions over TLS; the HTTP status of the answer."""
    context = ssl.create_default_context(cafile=str(admission.ca))
    if client_cert is not None:
        context.load_cert_chain(str(client_cert.cert), str(client_cert.key))
    address = urlsplit(admission.url)
    assert address.hostname is not None and address.port is not None
    connection = http.client.HTTPSConnection(
        address.hostname, address.port, context=context, timeout=10
    )
    try:
        connection.request(
            "POST",
            "/sign-decisions",
            body=json.dumps(FORGED_REVIEW),
            headers={"Content-Type": "application/json"},
        )
        return connection.getresponse().status
    finally:
        connection.close()


def pki_of(cluster: Any) -> Path:
    return Layout(Path(cluster.kubeconfig).resolve().parent).pki_dir


# No HTTP answer at all: the handshake fails (TLS 1.3 delivers the server's
# alert with the first read after it, as an SSL error or a closed connection).
REFUSED_TLS = (ssl.SSLError, ConnectionError, http.client.RemoteDisconnected)


def test_a_client_without_a_certificate_gets_no_signature(admission: Admission) -> None:
    with pytest.raises(REFUSED_TLS):
        call_sign_decisions(admission, None)


def test_a_client_certificate_from_another_ca_gets_no_signature(
    admission: Admission, cluster: Any
) -> None:
    # The cluster admin's certificate: valid for the API server, not for the webhook.
    admin = CertPair.named(pki_of(cluster), "admin")
    with pytest.raises(REFUSED_TLS):
        call_sign_decisions(admission, admin)


def test_the_api_servers_certificate_is_answered(admission: Admission, cluster: Any) -> None:
    # The very certificate the API server presents: the server answers it.
    assert call_sign_decisions(admission, CertPair.named(pki_of(cluster), "webhook-client")) == 200


def test_the_api_server_still_gets_signatures(admission: Admission, releases: Releases) -> None:
    releases.apply("signed", qa_and_compliance())
    releases.wait_for("signed", steps={"qa-signoff": "Waiting"})
    result = decide(releases, "signed", "qa-signoff", "alice", ["qa"])
    assert result.returncode == 0, result.stderr
    consumed(releases, "signed", "qa-signoff")
    [approval] = releases.status("signed").step("qa-signoff").approvals
    assert (approval.user, approval.verified) == ("alice", True)
