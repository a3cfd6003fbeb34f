"""The generated CRD: structural, up to date, and in agreement with the models.

Schema validation here stands in for the API server (tests/crd_schema.py):
``nullable`` becomes a ``null`` type, ``x-kubernetes-*`` keywords are dropped, and objects reject
unknown fields as kubectl's default strict field validation does. Dropped
means the CEL rules (``x-kubernetes-validations``) are not evaluated here:
section 6 checks that each says what the models say, and
tests/integration/test_crd_on_cluster.py that kube-apiserver enforces them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from appdeploy.api.approvers import SOME_APPROVER
from appdeploy.api.base import cel_rules
from appdeploy.api.crd import UNOBSERVED_STATUS, build_crd, main, render_crd
from appdeploy.api.pod import QUANTITY_PATTERN
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.spec import (
    NO_CHECK_IN_FINALLY,
    NO_GATE_IN_FINALLY,
    ONE_KIND,
    ONLY_RUN_RETRIES,
    STEPS_OR_TEMPLATE,
    TEMPLATE_OWNS,
    WAIT_HAS_NO_TIMEOUT,
)
from appdeploy.api.status import AppDeploymentStatus
from appdeploy.api.structural_schema import (
    UnsupportedSchemaError,
    is_int_or_string,
    structural_schema,
)
from appdeploy.api.validation import parse_spec
from tests.crd_rules import CEL_REFUSED
from tests.crd_rules import fixture as cel_fixture
from tests.crd_schema import crd_validator, openapi_schema, schema_errors

ROOT = Path(__file__).resolve().parents[2]
CRD_FILE = ROOT / "crds" / "appdeployments.appdeploy.dev.yaml"
FIXTURES = ROOT / "tests" / "fixtures"
INVALID_SCHEMA = FIXTURES / "invalid-schema"

# Known disagreements between the CRD schema and the models, by fixture name and
# reason. Each is a strict xfail: when the gap is fixed the test XPASSes, which
# fails the run, and the entry is removed. Both are empty since the models
# adopted StrictInt/StrictBool and the Duration schema gained minLength: 1.
MODEL_ACCEPTS: dict[str, str] = {}
SCHEMA_ACCEPTS: dict[str, str] = {}

DESIGN_EXAMPLE = """
apiVersion: appdeploy.dev/v1alpha1
kind: AppDeployment
metadata: {name: shop-4-12-0, namespace: mobile-releases}
spec:
  app: shop
  version: "4.12.0"
  params: {gitRevision: 9f3c2e1}
  serviceAccountName: release-runner
  defaults: {timeout: 1h, gateTimeout: 72h, retries: {limit: 1, backoff: 30s}}
  steps:
  - name: build-ios
    needs: []
    timeout: 90m
    retries: {limit: 2, backoff: 30s, maxBackoff: 10m}
    run:
      image: ghcr.io/acme/ios-builder:15
      command: [fastlane, ios, archive]
      env: [{name: REV, value: "$(params.gitRevision)"},
            {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
      envFrom: [{secretRef: {name: ios-signing}}]
      resources: {requests: {cpu: 2, memory: 4Gi}, limits: {cpu: "4"}}
      serviceAccountName: ios-signer
      tolerations: [{key: mac, operator: Exists, effect: NoSchedule}]
      podMetadata: {labels: {user.appdeploy.dev/team: mobile}, annotations: {}}
  - name: qa-signoff
    needs: [build-ios]
    gate:
      description: "QA verifies build $(steps.build-ios.outputs.buildNumber)"
      approvers: {users: [alice@example.com], groups: [qa]}
      required: 2
      distinctFrom: [compliance]
      onTimeout: Fail
  - name: compliance
    needs: [build-ios]
    gate: {approvers: {groups: [compliance]}}
  - name: soak-1pct
    needs: [qa-signoff, compliance]
    wait: {duration: 24h}
  finally:
  - name: notify
    run: {image: curlimages/curl, command: [sh, -c, 'echo $(run.phase)']}
status:
  observedGeneration: 3
  run: 3
  phase: AwaitingApproval
  message: "qa-signoff: 1 of 2 approvals (group qa), deadline 2026-11-30T10:00:00Z"
  startedAt: "2026-11-27T09:00:00Z"
  finishedAt: null
  steps:
  - {name: build-ios, type: run, phase: Succeeded, attempts: 1, job: shop-4-12-0-build-ios-r3-a1,
     startedAt: "2026-11-27T09:00:01Z", finishedAt: "2026-11-27T09:41:10Z", message: "",
     outputs: {buildNumber: "412"}}
  - name: qa-signoff
    type: gate
    phase: Waiting
    startedAt: "2026-11-27T09:41:11Z"
    deadline: "2026-11-30T09:41:11Z"
    approvals:
    - {user: alice@example.com, groups: [qa], comment: "ok on iPhone 15",
       at: "2026-11-27T10:02:00Z", verified: true}
    rejection: null
  - {name: upload, type: run, phase: Retrying, attempts: 1, nextAttemptAt: "2026-11-27T09:45:00Z"}
  conditions:
  - {type: Ready, status: "False", reason: AwaitingApproval, message: "", observedGeneration: 3,
     lastTransitionTime: "2026-11-27T09:41:11Z"}
  history:
  - {run: 2, version: "4.11.0", phase: Succeeded, startedAt: "2026-11-20T09:00:00Z",
     finishedAt: "2026-11-21T15:00:00Z"}
"""

MINIMAL_EXAMPLE = """
apiVersion: appdeploy.dev/v1alpha1
kind: AppDeployment
metadata: {name: minimal}
spec:
  app: hello
  version: "1"
  steps: [{name: build, run: {image: busybox}}]
"""


# --- helpers -----------------------------------------------------------------


def _openapi_schema() -> dict[str, Any]:
    return openapi_schema()


def _children(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, sub in node.get("properties", {}).items():
        yield f"{path}.{name}", sub
    if isinstance(node.get("additionalProperties"), dict):
        yield f"{path}{{}}", node["additionalProperties"]
    if "items" in node:
        yield f"{path}[]", node["items"]
    for index, branch in enumerate(node.get("anyOf", [])):
        yield f"{path}|{index}", branch


def _walk(node: dict[str, Any], path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for child_path, child in _children(node, path):
        yield from _walk(child, child_path)


@pytest.fixture(scope="module")
def validator() -> Any:
    return crd_validator()


def _is_invalid_fixture(path: Path) -> bool:
    relative = path.relative_to(FIXTURES).parts
    return relative[0].startswith("invalid")


def _valid_documents() -> list[Any]:
    files = sorted(ROOT.glob("examples/*.yaml")) + sorted(
        path for path in FIXTURES.glob("**/*.yaml") if not _is_invalid_fixture(path)
    )
    cases = []
    for path in files:
        name = str(path.relative_to(ROOT))
        try:
            documents = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError as error:
            cases.append(pytest.param(error, id=name))
            continue
        for index, doc in enumerate(documents):
            if isinstance(doc, dict) and doc.get("kind") == "AppDeployment":
                cases.append(pytest.param(doc, id=f"{name}#{index}"))
    if not cases:  # nothing written yet: keep the test meaningful
        cases = [
            pytest.param(yaml.safe_load(DESIGN_EXAMPLE), id="inline-design-example"),
            pytest.param(yaml.safe_load(MINIMAL_EXAMPLE), id="inline-minimal"),
        ]
    return cases


def _invalid_documents(known_gaps: dict[str, str] | None = None) -> list[Any]:
    gaps = known_gaps or {}
    return [
        pytest.param(
            path,
            id=path.name,
            marks=[pytest.mark.xfail(strict=True, reason=gaps[path.name])]
            if path.name in gaps
            else [],
        )
        for path in sorted(INVALID_SCHEMA.glob("*.yaml"))
    ]


def _expectation(path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith("# expect:"):
            return line.removeprefix("# expect:").strip()
    raise AssertionError(f"{path.name} has no '# expect: ...' comment line")


# --- 1. structural -----------------------------------------------------------


def _structural_problems(schema: dict[str, Any]) -> list[str]:
    problems = []
    for path, node in _walk(schema):
        for keyword in ("$ref", "$defs", "allOf", "oneOf", "title", "default"):
            if keyword in node:
                problems.append(f"{path}: has {keyword}")
        if "anyOf" in node and not is_int_or_string(node):
            problems.append(f"{path}: anyOf other than int-or-string")
        if node.get("type") == "null" or isinstance(node.get("type"), list):
            problems.append(f"{path}: type {node.get('type')!r}")
        if "type" not in node and not is_int_or_string(node) and "|" not in path:
            problems.append(f"{path}: no type")
        if "properties" in node and node.get("type") != "object":
            problems.append(f"{path}: properties without type object")
        if "properties" in node and "additionalProperties" in node:
            problems.append(f"{path}: both properties and additionalProperties")
        if not isinstance(node.get("additionalProperties", {}), dict):
            problems.append(f"{path}: additionalProperties is not a schema")
        if node.get("type") == "array" and "items" not in node:
            problems.append(f"{path}: array without items")
        for key in node.get("x-kubernetes-list-map-keys", []):
            if key not in node["items"].get("required", []):
                problems.append(f"{path}: list map key {key} is not required")
    return problems


def test_schema_is_structural() -> None:
    # The one default is deliberate: the status of a release the operator has not seen yet.
    assert _structural_problems(_openapi_schema()) == ["$.status: has default"]


def test_the_status_before_the_operator_is_a_pending_status_of_generation_0() -> None:
    default = _openapi_schema()["properties"]["status"]["default"]
    assert default == UNOBSERVED_STATUS
    status = AppDeploymentStatus.model_validate(default)
    assert (status.observed_generation, status.phase, status.run) == (0, "Pending", None)


def test_structural_check_catches_raw_pydantic_schemas() -> None:
    raw = AppDeploymentStatus.model_json_schema(by_alias=True)
    problems = "\n".join(_structural_problems(raw))
    for symptom in ("has $defs", "has title", "has default", "anyOf other", "additionalProperties"):
        assert symptom in problems


def test_schema_keeps_fields_named_like_keywords() -> None:
    spec = _openapi_schema()["properties"]["spec"]
    gate = spec["properties"]["steps"]["items"]["properties"]["gate"]
    assert gate["properties"]["required"] == {
        "description": "Approvals from distinct allowed people needed to pass.",
        "type": "integer",
        "minimum": 1,
    }
    assert gate["properties"]["description"]["type"] == "string"
    assert gate["required"] == ["approvers"]


def test_schema_keeps_constraints_maps_and_int_or_string() -> None:
    spec = _openapi_schema()["properties"]["spec"]
    step = spec["properties"]["steps"]["items"]
    run = step["properties"]["run"]
    # steps are required unless templateRef names a template: a CEL rule says so.
    assert spec["required"] == ["app", "version"]
    assert any("templateRef" in rule["rule"] for rule in spec["x-kubernetes-validations"])
    assert spec["properties"]["params"]["additionalProperties"] == {"type": "string"}
    assert step["properties"]["timeout"]["nullable"] is True
    assert step["properties"]["timeout"]["pattern"].startswith("^")
    assert run["nullable"] is True and run["description"] == "Run a container as a Job."
    assert run["properties"]["resources"]["properties"]["requests"]["additionalProperties"] == {
        "pattern": QUANTITY_PATTERN,
        "minimum": 0,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    }
    assert step["properties"]["gate"]["properties"]["onTimeout"]["enum"] == ["Fail", "Approve"]


def test_lists_are_keyed_by_name_for_server_side_apply() -> None:
    properties = _openapi_schema()["properties"]
    keyed = {
        "spec.steps": properties["spec"]["properties"]["steps"],
        "spec.finally": properties["spec"]["properties"]["finally"],
        "status.steps": properties["status"]["properties"]["steps"],
        "status.conditions": properties["status"]["properties"]["conditions"],
    }
    assert {where: node["x-kubernetes-list-map-keys"] for where, node in keyed.items()} == {
        "spec.steps": ["name"],
        "spec.finally": ["name"],
        "status.steps": ["name"],
        "status.conditions": ["type"],
    }
    assert {node["x-kubernetes-list-type"] for node in keyed.values()} == {"map"}


def test_crd_names_columns_and_status_subresource() -> None:
    crd = build_crd()
    assert crd["metadata"]["name"] == "appdeployments.appdeploy.dev"
    names = crd["spec"]["names"]
    assert (names["kind"], names["listKind"], names["plural"], names["singular"]) == (
        "AppDeployment",
        "AppDeploymentList",
        "appdeployments",
        "appdeployment",
    )
    assert names["shortNames"] == ["appdeploy", "ad"]
    assert crd["spec"]["scope"] == "Namespaced"
    [version] = crd["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}
    columns = [
        (c["name"].upper(), c["jsonPath"], c["type"]) for c in version["additionalPrinterColumns"]
    ]
    assert columns == [
        ("APP", ".spec.app", "string"),
        ("VERSION", ".spec.version", "string"),
        ("PHASE", ".status.phase", "string"),
        ("WAITING ON", ".status.waitingOn", "string"),
        ("MESSAGE", ".status.message", "string"),
        ("AGE", ".metadata.creationTimestamp", "date"),
    ]


def test_unsupported_union_fails_generation() -> None:
    class Loose(BaseModel):
        value: int | str

    with pytest.raises(UnsupportedSchemaError, match="value"):
        structural_schema(Loose)


def test_list_keys_must_be_required_fields() -> None:
    with pytest.raises(UnsupportedSchemaError, match="history"):
        structural_schema(AppDeploymentStatus, {"history": ("startedAt",)})


# --- 2. committed output -----------------------------------------------------


def test_committed_crd_is_up_to_date() -> None:
    assert CRD_FILE.exists(), f"{CRD_FILE} is missing: run make generate"
    assert CRD_FILE.read_text(encoding="utf-8") == render_crd(), (
        f"{CRD_FILE.relative_to(ROOT)} is stale: run make generate"
    )


def test_rendering_is_byte_stable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "crd.yaml"
    assert main(["--output", str(output)]) == 0
    assert main([]) == 0
    text = render_crd()
    assert output.read_bytes() == text.encode()
    assert capsys.readouterr().out == text
    assert text.startswith("# Generated by `make generate`")
    assert "&id" not in text and "*id" not in text  # no YAML anchors
    assert yaml.safe_load(text) == build_crd()


# --- 3. valid documents ------------------------------------------------------


@pytest.mark.parametrize("doc", _valid_documents())
def test_valid_documents_pass_the_schema(validator: Any, doc: Any) -> None:
    assert not isinstance(doc, Exception), f"unreadable YAML: {doc}"
    assert schema_errors(validator, doc) == []


def test_design_example_passes_schema_and_models(
    validator: Any,
) -> None:
    for text in (DESIGN_EXAMPLE, MINIMAL_EXAMPLE):
        doc = yaml.safe_load(text)
        assert schema_errors(validator, doc) == []
        parse_spec(doc["spec"])
        AppDeploymentStatus.model_validate(doc.get("status", {}))


# --- 4, 5. known-bad documents -----------------------------------------------


def test_there_are_known_bad_documents() -> None:
    assert len(_invalid_documents()) >= 6


@pytest.mark.parametrize("path", _invalid_documents(SCHEMA_ACCEPTS))
def test_bad_documents_fail_the_schema(validator: Any, path: Path) -> None:
    expected = _expectation(path)
    errors = schema_errors(validator, yaml.safe_load(path.read_text()))
    assert errors, f"{path.name}: the schema accepted it"
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize("path", _invalid_documents(MODEL_ACCEPTS))
def test_bad_documents_fail_the_models_at_the_same_field(path: Path) -> None:
    field = _expectation(path).split(": ", 1)[0]
    doc = yaml.safe_load(path.read_text())
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(doc["spec"])
    assert field in str(raised.value)


# --- 6. CEL rules: what a schema cannot say, the API server still refuses -------


def _rules(node: dict[str, Any]) -> list[str]:
    return [rule["message"] for rule in node.get("x-kubernetes-validations", [])]


def test_cel_rules_are_generated_from_the_models() -> None:
    spec = _openapi_schema()["properties"]["spec"]
    step_rules = [ONE_KIND, ONLY_RUN_RETRIES, WAIT_HAS_NO_TIMEOUT]
    for steps in ("steps", "finally"):
        item = spec["properties"][steps]["items"]
        assert _rules(item) == step_rules
        approvers = item["properties"]["gate"]["properties"]["approvers"]
        assert _rules(approvers) == [SOME_APPROVER]
    assert _rules(spec) == [
        NO_GATE_IN_FINALLY,
        NO_CHECK_IN_FINALLY,
        STEPS_OR_TEMPLATE,
        TEMPLATE_OWNS,
    ]
    retries = spec["properties"]["steps"]["items"]["x-kubernetes-validations"][1]
    assert retries == {
        "rule": "!has(self.retries) || has(self.run)",
        "message": ONLY_RUN_RETRIES,
        "fieldPath": ".retries",
    }


def test_every_cel_rule_is_proven_by_a_fixture() -> None:
    messages = {message for _, node in _walk(_openapi_schema()) for message in _rules(node)}
    assert messages == {message for _, message in CEL_REFUSED.values()}


@pytest.mark.parametrize("name", sorted(CEL_REFUSED))
def test_cel_rules_say_what_the_models_say(validator: Any, name: str) -> None:
    field, message = CEL_REFUSED[name]
    doc = yaml.safe_load(cel_fixture(name).read_text())
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(doc["spec"])
    problems = [f"{problem.path}: {problem.message}" for problem in raised.value.problems]
    assert any(problem.startswith(f"{field}") and message in problem for problem in problems), (
        problems
    )
    # jsonschema ignores x-kubernetes-validations: offline, only the models refuse these.
    # kube-apiserver enforces them: tests/integration/test_crd_on_cluster.py.
    assert schema_errors(validator, doc) == []


def test_the_generator_carries_a_models_cel_rules_in_order() -> None:
    class Pair(BaseModel):
        model_config = cel_rules(("has(self.a) == has(self.b)", "set both or neither", ""))
        a: str | None = None
        b: str | None = None

    class Holder(BaseModel):
        model_config = cel_rules(("self.pair.a != 'x'", "not x", ".pair"))
        pair: Pair

    schema = structural_schema(Holder)
    assert schema["x-kubernetes-validations"] == [
        {"rule": "self.pair.a != 'x'", "message": "not x", "fieldPath": ".pair"}
    ]
    assert schema["properties"]["pair"]["x-kubernetes-validations"] == [
        {"rule": "has(self.a) == has(self.b)", "message": "set both or neither"}
    ]
    assert list(schema) == ["type", "x-kubernetes-validations", "required", "properties"]
