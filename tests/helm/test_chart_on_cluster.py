"""Every rendering of the chart is accepted by a real API server (server-side dry run).

The API server validates each object against its schema and runs admission
(Pod Security included) but stores nothing, so webhook configurations that
name a Service are checked without ever being called. cert-manager and
prometheus-operator are not installed: their kinds get stand-in CRDs that
accept any spec, so those objects are checked for kind, scope and metadata
only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.cluster.wait import wait_for
from tests.helm import install
from tests.helm.chart import NAMESPACE, one, render
from tests.helm.installation import create_namespace
from tests.helm.manifests import OUTPUT
from tests.helm.variants import VARIANTS, with_webhook_from

pytestmark = pytest.mark.integration

# (group, kind, plural, namespaced)
STAND_INS = [
    ("cert-manager.io", "Certificate", "certificates", True),
    ("cert-manager.io", "Issuer", "issuers", True),
    ("monitoring.coreos.com", "ServiceMonitor", "servicemonitors", True),
]


def _stand_in_crd(group: str, kind: str, plural: str, namespaced: bool) -> dict[str, Any]:
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}", "labels": {"appdeploy.dev/test": "stand-in"}},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "scope": "Namespaced" if namespaced else "Cluster",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def stand_ins(cluster: Any, api_client: Any) -> Iterator[None]:
    """Stand-in CRDs for the third-party kinds, created only where absent."""
    extensions = client.ApiextensionsV1Api(api_client)
    created = []
    for group, kind, plural, namespaced in STAND_INS:
        try:
            extensions.read_custom_resource_definition(f"{plural}.{group}")
        except ApiException as error:
            if error.status != 404:
                raise
            created.append(_stand_in_crd(group, kind, plural, namespaced))
    install.apply(cluster.kubeconfig, created)
    for crd in created:
        name = crd["metadata"]["name"]
        wait_for(
            lambda name=name: any(
                c.type == "Established" and c.status == "True"
                for c in extensions.read_custom_resource_definition(name).status.conditions or []
            ),
            30,
            f"CRD {name}",
        )
    yield
    install.delete(cluster.kubeconfig, created)


@pytest.fixture(scope="module")
def target(api_client: Any) -> Iterator[dict[str, str]]:
    """A release namespace that enforces the restricted Pod Security level, and two to watch."""
    names = {
        "release": create_namespace(
            api_client, "helm-dry", {"pod-security.kubernetes.io/enforce": "restricted"}
        ),
        "team-a": create_namespace(api_client, "helm-team-a"),
        "team-b": create_namespace(api_client, "helm-team-b"),
    }
    yield names
    for name in names.values():
        client.CoreV1Api(api_client).delete_namespace(name)


def _values(variant: str, target: dict[str, str]) -> dict[str, Any]:
    values = copy.deepcopy(VARIANTS[variant])
    if "watchNamespaces" in values:
        values["watchNamespaces"] = [target["team-a"], target["team-b"]]
    return values


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_api_server_accepts_every_object(
    variant: str, cluster: Any, chart_crd: None, stand_ins: None, target: dict[str, str]
) -> None:
    objects = render(
        _values(variant, target), namespace=target["release"], release=f"dry{variant}"[:20]
    )
    output = install.apply(cluster.kubeconfig, objects, dry_run=True)
    assert output.count("(server dry run)") == len(objects)


def test_the_operator_pod_meets_the_restricted_pod_security_level(
    cluster: Any, target: dict[str, str]
) -> None:
    objects = render(with_webhook_from(), namespace=target["release"])
    install.apply(cluster.kubeconfig, [one(objects, "ServiceAccount")])  # the pod names it
    template = one(objects, "Deployment")["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": "operator", "namespace": target["release"]},
        "spec": template["spec"],
    }
    install.apply(cluster.kubeconfig, [pod], dry_run=True)
    # The same pod with a capability added is refused: the namespace really enforces.
    loose = copy.deepcopy(pod)
    loose["spec"]["containers"][0]["securityContext"]["capabilities"] = {"add": ["NET_ADMIN"]}
    with pytest.raises(install.ApplyError, match="violates PodSecurity"):
        install.apply(cluster.kubeconfig, [loose], dry_run=True)


def test_the_plain_manifests_apply_with_kustomize(
    cluster: Any, api_client: Any, chart_crd: None, stand_ins: None
) -> None:
    core = client.CoreV1Api(api_client)
    created = False
    try:
        core.create_namespace({"metadata": {"name": NAMESPACE}})
        created = True
    except ApiException as error:
        if error.status != 409:
            raise
    try:
        argv = ["apply", "--server-side", "--dry-run=server", "-k", str(OUTPUT)]
        result = install.run_kubectl(cluster.kubeconfig, argv)
        assert result.returncode == 0, result.stderr
        assert "deployment.apps/appdeploy serverside-applied (server dry run)" in result.stdout
    finally:
        if created:
            core.delete_namespace(NAMESPACE)
