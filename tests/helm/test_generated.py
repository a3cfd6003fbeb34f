"""Generated files are fresh, and the chart agrees with the operator's own code.

- the chart's CRD is byte-identical to crds/ (both come from the models);
- manifests/ is what tests/helm/manifests.py renders now;
- the webhook configurations equal appdeploy.admission.configurations';
- the chart-generated certificate chain is consistent;
- the image runs as the user the chart asks for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from appdeploy.admission.configurations import webhook_configurations
from tests.helm.chart import CHART, NAMESPACE, ROOT, one, render
from tests.helm.manifests import OUTPUT, generated_files
from tests.helm.variants import with_webhook_from

FRESH = "run `make generate` and commit the result"


def test_the_charts_crd_is_the_generated_one() -> None:
    source = ROOT / "crds"
    copies = sorted(path.name for path in (CHART / "crds").iterdir())
    assert copies == sorted(path.name for path in source.glob("*.yaml"))
    for name in copies:
        assert (CHART / "crds" / name).read_bytes() == (source / name).read_bytes(), FRESH


def test_the_plain_manifests_are_fresh() -> None:
    expected = generated_files()
    for relative, text in expected.items():
        assert (OUTPUT / relative).read_text(encoding="utf-8") == text, f"{relative}: {FRESH}"
    on_disk = {str(p.relative_to(OUTPUT)) for p in OUTPUT.rglob("*") if p.is_file()}
    assert on_disk - set(expected) == {"argocd/health.lua"}  # the one hand-written file


def test_kustomize_builds_the_manifests() -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(OUTPUT)], capture_output=True, text=True, check=True
    ).stdout
    objects = [doc for doc in yaml.safe_load_all(built) if doc]
    names = {(obj["kind"], obj["metadata"]["name"]) for obj in objects}
    assert {
        ("Namespace", NAMESPACE),
        ("CustomResourceDefinition", "appdeployments.appdeploy.dev"),
        ("Deployment", "appdeploy"),
        ("Certificate", "appdeploy-webhook"),
    } <= names


def _without_metadata(configuration: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": configuration["apiVersion"],
        "kind": configuration["kind"],
        "name": configuration["metadata"]["name"],
        "webhooks": configuration["webhooks"],
    }


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"watchNamespaces": ["team-a", "team-b"]},
        {"webhook": {"certManager": {"enabled": True}}},
        {"watchNamespaces": ["team-a"], "stepObjects": {"webhook": True}},
    ],
    ids=["cluster-wide", "namespaced", "cert-manager", "step-object-hooks"],
)
def test_the_webhook_configurations_are_the_operators(values: dict[str, Any]) -> None:
    objects = render(with_webhook_from(values))
    mutating = one(objects, "MutatingWebhookConfiguration")
    validating = one(objects, "ValidatingWebhookConfiguration")
    ca_bundle = mutating["webhooks"][0]["clientConfig"].get("caBundle", "")
    namespaces = values.get("watchNamespaces")
    selector = None
    if namespaces:
        selector = {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": namespaces}
            ]
        }
    expected = webhook_configurations(
        ca_bundle,
        service={"name": "appdeploy", "namespace": NAMESPACE, "port": 443},
        namespace_selector=selector,
        name="appdeploy",
        operator_user=(
            f"system:serviceaccount:{NAMESPACE}:appdeploy"
            if values.get("stepObjects", {}).get("webhook")
            else None
        ),
    )
    if "certManager" in values.get("webhook", {}):
        # cainjector fills caBundle; rendering an empty one would undo it on every upgrade.
        assert ca_bundle == ""
        for configuration in expected:
            for hook in configuration["webhooks"]:
                del hook["clientConfig"]["caBundle"]
        for configuration in (mutating, validating):
            annotation = configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
            assert annotation == f"{NAMESPACE}/appdeploy-webhook"
    rendered = [_without_metadata(mutating), _without_metadata(validating)]
    assert rendered == [_without_metadata(configuration) for configuration in expected]


def _verify_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    key = issuer.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(
            cert.signature,
            cert.tbs_certificate_bytes,
            padding.PKCS1v15(),
            cert.signature_hash_algorithm,  # type: ignore[arg-type]
        )
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(
            cert.signature,
            cert.tbs_certificate_bytes,
            ec.ECDSA(cert.signature_hash_algorithm),  # type: ignore[arg-type]
        )


def test_the_generated_certificate_chain_is_consistent() -> None:
    objects = render(with_webhook_from())
    secret = one(objects, "Secret", "appdeploy-webhook-tls")
    data = secret["data"]
    ca = x509.load_pem_x509_certificate(base64.b64decode(data["ca.crt"]))
    serving = x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))
    _verify_signed_by(serving, ca)
    names = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    service_dns = f"appdeploy.{NAMESPACE}.svc"
    assert service_dns in names.get_values_for_type(x509.DNSName)
    assert secret["metadata"]["annotations"]["appdeploy.dev/serving-dns"] == service_dns
    for kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        for hook in one(objects, kind)["webhooks"]:
            assert hook["clientConfig"]["caBundle"] == data["ca.crt"]
    # The pod restarts exactly when the certificate changes (helm's toJson | sha256sum).
    annotations = one(objects, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    assert annotations["checksum/webhook-tls"] == digest.hexdigest()


def test_the_image_runs_as_the_charts_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pod = one(render(with_webhook_from()), "Deployment")["spec"]["template"]["spec"]
    user = f"USER {pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"
    assert user in dockerfile.splitlines()
    assert 'ENTRYPOINT ["appdeploy", "operator"]' in dockerfile.splitlines()
