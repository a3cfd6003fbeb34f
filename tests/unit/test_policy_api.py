"""The ReleasePolicy models and their generated CRD: shapes refused with the field named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from appdeploy.api.attest import ATTEST_KEY_PATTERN
from appdeploy.api.crd import render_yaml
from appdeploy.api.policy import Enforcement, ReleasePolicySpec
from appdeploy.api.policy_crd import POLICY_CRD_NAME, build_policy_crd
from appdeploy.api.problems import problems_from

ROOT = Path(__file__).resolve().parents[2]
GATE = {"name": "compliance"}


def problems(spec: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        ReleasePolicySpec.model_validate(spec)
    return [str(problem) for problem in problems_from(raised.value, "spec")]


def test_defaults_cover_every_app_and_deny() -> None:
    spec = ReleasePolicySpec.model_validate({"requireGates": [GATE]})
    assert spec.apps == ["*"] and spec.enforcement is Enforcement.DENY
    assert spec.namespace_selector.matches({}) and spec.break_glass is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, "spec.requireGates: required field is missing"),
        ({"requireGates": []}, "spec.requireGates: List should have at least 1 item"),
        ({"requireGates": [GATE, GATE]}, "spec.requireGates: names compliance more than once"),
        ({"requireGates": [GATE], "apps": []}, "spec.apps: List should have at least 1 item"),
        ({"requireGates": [GATE], "enforcement": "Block"}, "spec.enforcement: Input should be"),
        (
            {"requireGates": [{"name": "compliance", "distinctFrom": ["compliance"]}]},
            "spec.requireGates[0]: distinctFrom may not name the gate itself",
        ),
        (
            {"requireGates": [{"name": "compliance", "maxTimeout": "0s"}]},
            "spec.requireGates[0].maxTimeout: maxTimeout must be longer than 0s",
        ),
        (
            {"requireGates": [{"name": "compliance", "minRequired": 0}]},
            "spec.requireGates[0].minRequired: Input should be greater than or equal to 1",
        ),
        (
            {"requireGates": [{"name": "compliance", "attest": ["build digest"]}]},
            "spec.requireGates[0].attest[0]: String should match pattern",
        ),
        (
            {
                "requireGates": [GATE],
                "namespaceSelector": {"matchExpressions": [{"key": "t", "operator": "In"}]},
            },
            "spec.namespaceSelector.matchExpressions[0]: In and NotIn need at least one value",
        ),
        (
            {
                "requireGates": [GATE],
                "namespaceSelector": {
                    "matchExpressions": [{"key": "t", "operator": "Exists", "values": ["a"]}]
                },
            },
            "spec.namespaceSelector.matchExpressions[0]: In and NotIn need at least one value;",
        ),
        ({"requireGates": [GATE], "breakGlass": {"groups": []}}, "spec.breakGlass.groups: List"),
        (
            {"requireGates": [GATE], "forbid": {"namedApprovers": "yes"}},
            "spec.forbid.namedApprovers",
        ),
    ],
)
def test_bad_policies_are_refused_naming_the_field(spec: dict[str, Any], expected: str) -> None:
    found = problems(spec)
    assert any(problem.startswith(expected) for problem in found), found


def test_the_crd_is_cluster_scoped_without_status_and_shows_enforcement() -> None:
    crd = build_policy_crd()
    assert crd["metadata"]["name"] == POLICY_CRD_NAME == "releasepolicies.appdeploy.dev"
    assert crd["spec"]["scope"] == "Cluster"
    (version,) = crd["spec"]["versions"]
    assert "subresources" not in version
    assert [c["name"] for c in version["additionalPrinterColumns"]] == ["Enforcement", "Age"]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["properties"]["requireGates"]["x-kubernetes-list-map-keys"] == ["name"]
    attest = spec["properties"]["requireGates"]["items"]["properties"]["attest"]
    assert attest["items"]["pattern"] == ATTEST_KEY_PATTERN


@pytest.mark.parametrize("copy", ["crds", "helm/appdeploy/crds", "manifests"])
def test_the_committed_crd_copies_are_up_to_date(copy: str) -> None:
    text = (ROOT / copy / f"{POLICY_CRD_NAME}.yaml").read_text(encoding="utf-8")
    assert text == render_yaml(build_policy_crd()), f"{copy} is stale: run make generate"


def test_the_example_policy_is_a_valid_policy() -> None:
    documents = list(yaml.safe_load_all((ROOT / "examples" / "release-policy.yaml").read_text()))
    policies = [doc for doc in documents if doc["kind"] == "ReleasePolicy"]
    assert policies
    for document in policies:
        ReleasePolicySpec.model_validate(document["spec"])
