"""Upgrades keep the webhook CA and the approval key.

``helm upgrade`` renders with lookups against the cluster; here the same
render runs as ``helm template --dry-run=server --is-upgrade`` against the
local control plane, after the first render's Secret was stored for real.
(The operator image cannot run here, so a live upgrade with a restarting pod
is not part of this proof: docs/install.md#upgrading.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from tests.helm import install
from tests.helm.chart import one, render
from tests.helm.installation import create_namespace
from tests.helm.variants import VARIANTS, with_webhook_from

SECRET = "appdeploy-webhook-tls"


@pytest.fixture
def release_namespace(api_client: Any) -> Iterator[str]:
    name = create_namespace(api_client, "helm-upgrade")
    yield name
    client.CoreV1Api(api_client).delete_namespace(name)


def _tls(objects: list[dict[str, Any]]) -> tuple[dict[str, str], str, str]:
    secret = one(objects, "Secret", SECRET)["data"]
    ca_bundle = one(objects, "ValidatingWebhookConfiguration")["webhooks"][0]["clientConfig"]
    annotations = one(objects, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    return secret, ca_bundle["caBundle"], annotations["checksum/webhook-tls"]


@pytest.mark.integration
def test_an_upgrade_keeps_the_generated_ca(
    cluster: Any, release_namespace: str, api_client: Any
) -> None:
    first = render(with_webhook_from(), namespace=release_namespace, kubeconfig=cluster.kubeconfig)
    install.apply(cluster.kubeconfig, [one(first, "Secret", SECRET)])  # as `helm install` stores it
    secret, ca_bundle, checksum = _tls(first)

    upgrade = render(
        with_webhook_from({"operator": {"workers": 8}}),
        namespace=release_namespace,
        kubeconfig=cluster.kubeconfig,
        extra=["--is-upgrade"],
    )
    assert _tls(upgrade) == (secret, ca_bundle, checksum)  # same CA, no restart for it
    assert ca_bundle == secret["ca.crt"]

    # Without cluster access (plain `helm template`, Argo CD) nothing can be looked up:
    # a new CA every time, hence cert-manager for GitOps (docs/install.md#argo-cd).
    offline = render(with_webhook_from(), namespace=release_namespace)
    assert _tls(offline)[0]["ca.crt"] != secret["ca.crt"]


@pytest.mark.integration
def test_a_renamed_service_gets_a_new_certificate(cluster: Any, release_namespace: str) -> None:
    first = render(with_webhook_from(), namespace=release_namespace, kubeconfig=cluster.kubeconfig)
    install.apply(cluster.kubeconfig, [one(first, "Secret", SECRET)])
    renamed = render(
        with_webhook_from({"fullnameOverride": "appdeploy"}),  # same objects' names
        release="other",
        namespace=release_namespace,
        kubeconfig=cluster.kubeconfig,
    )
    assert _tls(renamed)[0] == _tls(first)[0]
    moved = render(
        with_webhook_from({"fullnameOverride": "releases"}),
        namespace=release_namespace,
        kubeconfig=cluster.kubeconfig,
    )
    # A Secret of another name: nothing to reuse, and the certificate names the new Service.
    assert one(moved, "Secret")["metadata"]["annotations"]["appdeploy.dev/serving-dns"] == (
        f"releases.{release_namespace}.svc"
    )


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_helm_never_owns_the_approval_key(variant: str) -> None:
    # The operator creates the key Secret (or it is the admin's): an upgrade,
    # a rollback or an uninstall never replaces it, so signed approvals stay valid.
    for secret in [obj for obj in render(VARIANTS[variant]) if obj["kind"] == "Secret"]:
        assert "approval-key" not in secret["metadata"]["name"]
