"""The generated CRD on a real API server: served, enforcing its schema, printing its columns.

The unit tests prove the schema with jsonschema; this proves it where it
matters, in kube-apiserver's structural-schema validation.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BAD = sorted((ROOT / "tests" / "fixtures" / "invalid-schema").glob("*.yaml"))
GROUP, VERSION, PLURAL = "appdeploy.dev", "v1alpha1", "appdeployments"


def create(api_client: Any, namespace: str, document: dict[str, Any]) -> dict[str, Any]:
    document = {**document, "metadata": {**document["metadata"], "namespace": namespace}}
    created: dict[str, Any] = client.CustomObjectsApi(api_client).create_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, document, field_validation="Strict"
    )
    return created


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_accepted_as_committed(
    crd: None, api_client: Any, namespace: str, path: Path
) -> None:
    document = yaml.safe_load(path.read_text())
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
        {"status": {"phase": "AwaitingApproval", "message": "approve: 0 of 1 approvals"}},
    )
    shown = subprocess.run(
        kubectl("get", "ad", "-n", unwatched_namespace), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert shown[0].split() == ["NAME", "APP", "VERSION", "PHASE", "MESSAGE", "AGE"]
    assert shown[1].split()[:4] == ["hello-1-0-0", "hello", "1.0.0", "AwaitingApproval"]
