"""The generated CRD's schema as a JSON Schema validator, standing in for the API server offline.

``nullable`` becomes a ``null`` type, ``x-kubernetes-*`` keywords are dropped
(so CEL rules are not evaluated: tests/crd_rules.py), and objects refuse
unknown fields as kubectl's default strict field validation does.

Patterns are matched as Go's RE2 matches them, not as Python's ``re``: in Go
``$`` is the end of the text, while Python's ``$`` also matches before a
final newline, so ``"30m\\n"`` would pass a Python check of a pattern the API
server refuses it with. Integers are int64, as the API server decodes them.
Shared by tests/unit/test_crd.py and the spec fuzzer.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from appdeploy.api.crd import build_crd

_END_OF_TEXT = re.compile(r"(?<!\\)\$")


def openapi_schema() -> dict[str, Any]:
    """The CRD's ``openAPIV3Schema`` as generated from the models."""
    schema: dict[str, Any] = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def as_json_schema(node: dict[str, Any]) -> dict[str, Any]:
    """What the API server enforces, as a plain JSON Schema (see the module docstring)."""
    out = {k: copy.deepcopy(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if "properties" in out:
        out["properties"] = {name: as_json_schema(sub) for name, sub in out["properties"].items()}
        out.setdefault("additionalProperties", False)
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = as_json_schema(out["additionalProperties"])
    if "items" in out:
        out["items"] = as_json_schema(out["items"])
    if "anyOf" in out:
        out["anyOf"] = [as_json_schema(branch) for branch in out["anyOf"]]
    if out.pop("nullable", False):
        # Not added to `enum`: the API server (1.34) rejects null for an enum even
        # when the field is nullable.
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


@cache
def _go_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_END_OF_TEXT.sub(r"\\Z", pattern))


def _go_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    if isinstance(instance, str) and not _go_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def end_of_text_patterns(validator: Any) -> Any:
    """``validator`` (a jsonschema class) with ``$`` in patterns meaning the end of the text.

    As Go's RE2 (the API server) and JavaScript's RegExp (editors) read it.
    """
    return jsonschema.validators.extend(validator, {"pattern": _go_pattern})


def _int64(checker: Any, instance: Any) -> bool:
    # kube-apiserver decodes JSON integers as int64: a larger one is not an integer to it.
    return (
        isinstance(instance, int)
        and not isinstance(instance, bool)
        and -(2**63) <= instance < 2**63
    )


ApiServerValidator = jsonschema.validators.extend(
    end_of_text_patterns(jsonschema.Draft202012Validator),
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _int64),
)


def crd_validator() -> Any:
    """A validator of whole AppDeployment documents against the generated CRD."""
    schema = as_json_schema(openapi_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    return ApiServerValidator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_errors(validator: Any, doc: Any) -> list[str]:
    """Every error of ``doc``, as ``path: message``, sorted."""
    return sorted(
        f"{error.json_path.removeprefix('$.')}: {error.message}"
        for error in validator.iter_errors(doc)
    )
