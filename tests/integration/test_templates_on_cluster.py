"""The template CRDs on a real API server: served, enforcing their schema, and thin releases.

Given the generated ReleaseTemplate and ClusterReleaseTemplate CRDs, the example
recipe is stored as written, a template of a type that does not exist is refused
by kube-apiserver itself, and the five-line examples are accepted as AppDeployments
(their steps come from the template) while one that also sets steps is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.spec import TEMPLATE_OWNS
from appdeploy.api.template_crd import build_template_crd
from appdeploy.api.templates import (
    CLUSTER_TEMPLATE_KIND,
    CLUSTER_TEMPLATE_PLURAL,
    TEMPLATE_KIND,
    TEMPLATE_PLURAL,
)
from tests.cluster.crd import install_crd

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "templates"
GROUP, VERSION = "appdeploy.dev", "v1alpha1"


@pytest.fixture(scope="module")
def template_crds(api_client: Any, crd: None) -> None:
    install_crd(api_client, build_template_crd(TEMPLATE_KIND))
    install_crd(api_client, build_template_crd(CLUSTER_TEMPLATE_KIND))


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return document


def test_the_example_recipe_is_stored_as_written_in_both_scopes(
    template_crds: None, api_client: Any, unwatched_namespace: str
) -> None:
    custom = client.CustomObjectsApi(api_client)
    recipe = example("mobile-store-release.yaml")
    name = f"mobile-store-release-{unwatched_namespace}"
    cluster_copy = {**recipe, "metadata": {"name": name}}
    stored = custom.create_cluster_custom_object(
        GROUP, VERSION, CLUSTER_TEMPLATE_PLURAL, cluster_copy, field_validation="Strict"
    )
    custom.delete_cluster_custom_object(GROUP, VERSION, CLUSTER_TEMPLATE_PLURAL, name)
    assert stored["spec"] == recipe["spec"], "no defaults added: the digest is of what was written"
    namespaced = {**recipe, "kind": TEMPLATE_KIND, "metadata": {"name": "mobile-store-release"}}
    stored = custom.create_namespaced_custom_object(
        GROUP, VERSION, unwatched_namespace, TEMPLATE_PLURAL, namespaced, field_validation="Strict"
    )
    assert stored["spec"] == recipe["spec"]


def test_a_param_of_an_unknown_type_is_refused_by_the_api_server(
    template_crds: None, api_client: Any, unwatched_namespace: str
) -> None:
    recipe = example("mobile-store-release.yaml")
    recipe["kind"] = TEMPLATE_KIND
    recipe["spec"]["params"][0]["type"] = "float"
    with pytest.raises(ApiException) as raised:
        client.CustomObjectsApi(api_client).create_namespaced_custom_object(
            GROUP, VERSION, unwatched_namespace, TEMPLATE_PLURAL, recipe
        )
    assert raised.value.status == 422
    assert "spec.params[0].type" in raised.value.body, raised.value.body


@pytest.mark.parametrize("name", ["shop-4-13-0.yaml", "wallet-2-1-0.yaml"])
def test_a_five_line_release_is_an_appdeployment_and_one_with_steps_too_is_not(
    template_crds: None, api_client: Any, unwatched_namespace: str, name: str
) -> None:
    custom = client.CustomObjectsApi(api_client)
    release = example(name)
    release["metadata"]["namespace"] = unwatched_namespace
    stored = custom.create_namespaced_custom_object(
        GROUP, VERSION, unwatched_namespace, "appdeployments", release, field_validation="Strict"
    )
    assert stored["spec"]["templateRef"]["name"] == "mobile-store-release"
    release["metadata"]["name"] += "-steps"
    release["spec"]["steps"] = [{"name": "build", "run": {"image": "b"}}]
    with pytest.raises(ApiException) as raised:
        custom.create_namespaced_custom_object(
            GROUP, VERSION, unwatched_namespace, "appdeployments", release
        )
    assert raised.value.status == 422
    assert TEMPLATE_OWNS in raised.value.body, raised.value.body
