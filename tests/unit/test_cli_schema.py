"""``appdeploy schema`` and ``appdeploy crd``: what editors and clusters get from the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from appdeploy.api.crd import render_crd
from appdeploy.cli.json_schema import appdeployment_json_schema, schema_at
from appdeploy.cli.main import main
from tests.crd_schema import end_of_text_patterns

ROOT = Path(__file__).resolve().parents[2]
VALID = [
    path
    for path in sorted((ROOT / "examples").glob("*.yaml"))
    + sorted((ROOT / "tests/fixtures").glob("*.yaml"))
    if "kind: AppDeployment" in path.read_text()  # releases only
]
# What an editor's schema cannot flag, by fixture stem: each a strict xfail.
EDITOR_GAPS = {
    "required-beyond-int64": "int64 is the API server's decoding, not a schema keyword: a "
    "`maximum` of 2**63-1 is read back as -2**63 by kube-apiserver, so the schema has none",
}
INVALID_SCHEMA = [
    pytest.param(
        path,
        id=path.stem,
        marks=[pytest.mark.xfail(strict=True, reason=EDITOR_GAPS[path.stem])]
        if path.stem in EDITOR_GAPS
        else [],
    )
    for path in sorted((ROOT / "tests/fixtures/invalid-schema").glob("*.yaml"))
]
# Patterns read as editors (JavaScript) read them: `$` is the end of the text.
VALIDATORS = tuple(
    pytest.param(end_of_text_patterns(validator), id=validator.__name__)
    for validator in (jsonschema.Draft202012Validator, jsonschema.Draft7Validator)
)


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) in the schema, its definitions included."""
    stack: list[tuple[str, dict[str, Any]]] = [("", schema)]
    stack += [(f"$defs.{name}", node) for name, node in schema["$defs"].items()]
    while stack:
        path, node = stack.pop()
        for name, child in node.get("properties", {}).items():
            yield f"{path}.{name}", child
            stack.append((f"{path}.{name}", child))


def test_schema_command_prints_the_schema_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == appdeployment_json_schema()
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["properties"]["apiVersion"]["const"] == "appdeploy.dev/v1alpha1"
    assert printed["properties"]["kind"]["const"] == "AppDeployment"


@pytest.mark.parametrize("validator", VALIDATORS)
def test_the_schema_is_valid_for_2020_12_and_for_draft_07_tools(validator: Any) -> None:
    # yaml-language-server validates with draft-07 semantics today.
    validator.check_schema(appdeployment_json_schema())


@pytest.mark.parametrize("validator", VALIDATORS)
@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_examples_and_fixtures_satisfy_the_schema(path: Path, validator: Any) -> None:
    for document in yaml.safe_load_all(path.read_text()):
        validator(appdeployment_json_schema()).validate(document)


@pytest.mark.parametrize("validator", VALIDATORS)
@pytest.mark.parametrize("path", INVALID_SCHEMA)
def test_shape_errors_are_flagged_by_the_schema(path: Path, validator: Any) -> None:
    document = yaml.safe_load(path.read_text())
    assert list(validator(appdeployment_json_schema()).iter_errors(document))


def test_typos_and_wrong_envelopes_are_flagged_as_you_type() -> None:
    validator = jsonschema.Draft202012Validator(appdeployment_json_schema())
    document = yaml.safe_load((ROOT / "examples/hello.yaml").read_text())
    for field, value in (("apiVersion", "appdeploy.dev/v1beta1"), ("kind", "AppDeploymnet")):
        assert not validator.is_valid({**document, field: value}), field
    assert not validator.is_valid({**document, "metadata": {"name": "Hello_1"}})
    assert not validator.is_valid({**document, "specs": {}})


def test_every_field_is_described_and_no_title_hides_it() -> None:
    schema = appdeployment_json_schema()
    undocumented = [path for path, node in properties(schema) if not node.get("description")]
    titled = [path for path, node in properties(schema) if "title" in node]
    assert undocumented == []
    assert titled == []


def test_described_refs_are_wrapped_so_draft_07_keeps_the_description() -> None:
    # Draft-07 ignores the siblings of $ref; allOf keeps them meaningful.
    for path, node in properties(appdeployment_json_schema()):
        assert not ("$ref" in node and "description" in node), path


def test_defaults_are_written_as_in_a_release_file() -> None:
    defaults = appdeployment_json_schema()["$defs"]["Defaults"]["properties"]
    assert defaults["timeout"]["default"] == "1h"
    retry = appdeployment_json_schema()["$defs"]["RetryPolicy"]["properties"]
    assert retry["backoff"]["default"] == "30s"
    assert retry["maxBackoff"]["default"] == "10m"


def test_schema_at_follows_refs_lists_and_optionals() -> None:
    schema = appdeployment_json_schema()
    step = schema_at(schema, ["spec", "steps", 0])
    assert step is not None and "needs" in step["properties"]
    approvers = schema_at(schema, ["spec", "steps", 2, "gate", "approvers"])
    assert approvers is not None and set(approvers["properties"]) == {"users", "groups"}
    assert schema_at(schema, ["spec", "params", "anything"]) == {"type": "string"}
    assert schema_at(schema, ["spec", "nope", "deeper"]) is None


def test_crd_command_prints_the_committed_crd(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd"]) == 0
    out = capsys.readouterr().out
    assert out == render_crd()
    assert out == (ROOT / "crds" / "appdeployments.appdeploy.dev.yaml").read_text()
