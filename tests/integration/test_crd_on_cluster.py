"""The generated CRD on a real API server: served, enforcing its schema, printing its columns.

The unit tests prove the schema with jsonschema; this proves it where it
matters, in kube-apiserver's structural-schema validation, and proves the CEL
rules (``x-kubernetes-validations``) that jsonschema cannot evaluate.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.api.policy import NOT_ITSELF, SOME_TIMEOUT
from tests.crd_rules import CEL_REFUSED
from tests.crd_rules import fixture as cel_fixture

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BAD = sorted((ROOT / "tests" / "fixtures" / "invalid-schema").glob("*.yaml"))
GROUP, VERSION, PLURAL = "appdeploy.dev", "v1alpha1", "appdeployments"


PLURALS = {"AppDeployment": PLURAL, "NotificationChannel": "notificationchannels"}
POLICIES = "releasepolicies"


def create(api_client: Any, namespace: str, document: dict[str, Any]) -> dict[str, Any]:
    if document.get("kind") == "ReleasePolicy":
        return create_policy(api_client, namespace, document)
    document = {**document, "metadata": {**document["metadata"], "namespace": namespace}}
    plural = PLURALS[document.get("kind", "AppDeployment")]
    created: dict[str, Any] = client.CustomObjectsApi(api_client).create_namespaced_custom_object(
        GROUP, VERSION, namespace, plural, document, field_validation="Strict"
    )
    return created


def create_policy(api_client: Any, namespace: str, document: dict[str, Any]) -> dict[str, Any]:
    """Create a (cluster-scoped) policy named after the test's namespace, then delete it.

    Cluster-scoped objects outlive the namespace, so each is removed at once: what the
    test checks is the API server's answer to the create.
    """
    name = f"{document['metadata']['name']}-{namespace}"
    document = {**document, "metadata": {"name": name}}
    custom = client.CustomObjectsApi(api_client)
    created: dict[str, Any] = custom.create_cluster_custom_object(
        GROUP, VERSION, POLICIES, document, field_validation="Strict"
    )
    custom.delete_cluster_custom_object(GROUP, VERSION, POLICIES, name)
    return created


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_accepted_as_committed(
    crd: None, api_client: Any, namespace: str, path: Path
) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        created = create(api_client, namespace, document)
        assert created["spec"] == document["spec"], "nothing pruned, nothing defaulted"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_a_bad_document_is_rejected_by_the_api_server(
    crd: None, api_client: Any, namespace: str, path: Path
) -> None:
    expect = next(line for line in path.read_text().splitlines() if line.startswith("# expect: "))
    field = expect.removeprefix("# expect: ").split(":")[0]
    with pytest.raises(ApiException) as raised:
        create(api_client, namespace, yaml.safe_load(path.read_text()))
    assert raised.value.status in (400, 422)
    assert field in str(raised.value.body), raised.value.body


def test_status_is_a_subresource_and_get_shows_the_printer_columns(
    crd: None,
    api_client: Any,
    unwatched_namespace: str,
    kubectl: Callable[..., list[str]],
) -> None:
    document = yaml.safe_load((ROOT / "examples" / "hello.yaml").read_text())
    created = create(api_client, unwatched_namespace, document)
    custom = client.CustomObjectsApi(api_client)
    custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        unwatched_namespace,
        PLURAL,
        created["metadata"]["name"],
        {
            "status": {
                "phase": "AwaitingApproval",
                "waitingOn": "approve",
                "message": "approve: 0 of 1 approvals",
            }
        },
    )
    shown = subprocess.run(
        kubectl("get", "ad", "-n", unwatched_namespace), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert shown[0].split() == [
        "NAME",
        "APP",
        "VERSION",
        "PHASE",
        "WAITING",
        "ON",
        "MESSAGE",
        "AGE",
    ]
    assert shown[1].split()[:5] == ["hello-1-0-0", "hello", "1.0.0", "AwaitingApproval", "approve"]


@pytest.mark.parametrize("name", sorted(CEL_REFUSED))
def test_the_crd_itself_refuses_what_its_cel_rules_say(
    crd: None, api_client: Any, unwatched_namespace: str, name: str
) -> None:
    # No webhook serves this namespace: kube-apiserver evaluates the rules itself.
    field, message = CEL_REFUSED[name]
    with pytest.raises(ApiException) as raised:
        create(api_client, unwatched_namespace, yaml.safe_load(cel_fixture(name).read_text()))
    assert raised.value.status == 422
    assert f"{field}: Invalid value" in raised.value.body, raised.value.body
    assert message in raised.value.body, raised.value.body


def test_a_step_of_two_kinds_is_refused_at_the_door(
    crd: None, api_client: Any, unwatched_namespace: str
) -> None:
    document = yaml.safe_load(cel_fixture("two-kinds").read_text())
    with pytest.raises(ApiException) as raised:
        create(api_client, unwatched_namespace, document)
    reason = json.loads(raised.value.body)["message"]
    assert reason.endswith(
        'spec.steps[0]: Invalid value: "object": set exactly one of run, gate, wait, check'
    ), reason


def test_explicit_nulls_are_no_kind(crd: None, api_client: Any, unwatched_namespace: str) -> None:
    # The models read `gate: null` as unset; so must the CEL rules.
    document = yaml.safe_load((ROOT / "examples" / "hello.yaml").read_text())
    document["spec"]["steps"][0].update({"gate": None, "wait": None, "retries": None})
    create(api_client, unwatched_namespace, document)


POLICY = {
    "apiVersion": f"{GROUP}/{VERSION}",
    "kind": "ReleasePolicy",
    "metadata": {"name": "store"},
    "spec": {"requireGates": [{"name": "compliance", "minRequired": 2}]},
}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"requireGates": []}, "spec.requireGates"),
        ({"requireGates": [{"name": "compliance", "minRequired": 0}]}, "minRequired"),
        ({"requireGates": [{"name": "compliance"}], "enforcement": "Block"}, "enforcement"),
        ({"requireGates": [{"name": "c"}, {"name": "c"}]}, "spec.requireGates[1]"),
        (
            {
                "requireGates": [{"name": "compliance"}],
                "namespaceSelector": {"matchExpressions": [{"key": "t", "operator": "In"}]},
            },
            "In and NotIn need at least one value",
        ),
        (
            {"requireGates": [{"name": "compliance", "attest": ["build digest"]}]},
            'spec.requireGates[0].attest[0]: Invalid value: "build digest"',
        ),
        (
            {"requireGates": [{"name": "c", "distinctFrom": ["c"]}]},
            'spec.requireGates[0]: Invalid value: "object": ' + NOT_ITSELF,
        ),
        (
            {"requireGates": [{"name": "c", "maxTimeout": "0d0h"}]},
            'spec.requireGates[0].maxTimeout: Invalid value: "object": ' + SOME_TIMEOUT,
        ),
    ],
)
def test_the_api_server_refuses_a_bad_release_policy(
    crd: None, api_client: Any, namespace: str, spec: dict[str, Any], field: str
) -> None:
    with pytest.raises(ApiException) as raised:
        create_policy(api_client, namespace, {**POLICY, "spec": spec})
    assert raised.value.status in (400, 422)
    assert field in json.loads(raised.value.body)["message"], raised.value.body


def test_a_release_policy_is_cluster_scoped_and_prints_its_enforcement(
    crd: None, api_client: Any, kubectl: Callable[..., list[str]], namespace: str
) -> None:
    custom = client.CustomObjectsApi(api_client)
    name = f"store-{namespace}"
    body = {**POLICY, "metadata": {"name": name}, "spec": {**POLICY["spec"], "enforcement": "Warn"}}
    custom.create_cluster_custom_object(GROUP, VERSION, POLICIES, body, field_validation="Strict")
    try:
        table = subprocess.run(
            kubectl("get", "rpol", name),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        header, row = table.splitlines()
        assert header.split() == ["NAME", "ENFORCEMENT", "AGE"]
        assert row.split()[:2] == [name, "Warn"]
        stored = custom.get_cluster_custom_object(GROUP, VERSION, POLICIES, name)
        assert "namespace" not in stored["metadata"] and stored["spec"] == body["spec"]
    finally:
        custom.delete_cluster_custom_object(GROUP, VERSION, POLICIES, name)
