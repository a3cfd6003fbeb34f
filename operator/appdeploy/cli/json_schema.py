"""A JSON Schema of a whole AppDeployment document, for editors and CI linters.

Derived from the pydantic models (``AppDeploymentSpec.model_json_schema``),
not from the CRD's ``openAPIV3Schema``, because an editor wants what the CRD
has to leave out: ``additionalProperties: false`` (a typo'd field is flagged
as you type, as kubectl's strict validation would), ``default`` values
(shown on hover and offered on completion), and plain JSON Schema rather
than OpenAPI 3.0 (``nullable``, ``x-kubernetes-*``). The models are the one
source of truth either way (STYLE.md 1).

The schema declares draft 2020-12 but uses only keywords that mean the same
in draft-07, which is what yaml-language-server validates with today: every
``$ref`` that carries a description is wrapped in ``allOf`` (draft-07 ignores
a ``$ref``'s siblings) and auto-generated titles are dropped so hovers show
the field's description.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from appdeploy.api.crd import API_VERSION, KIND
from appdeploy.api.durations import format_duration
from appdeploy.api.spec import AppDeploymentSpec

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
DNS_SUBDOMAIN_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "not")


class _WireDefaults(GenerateJsonSchema):
    """Write defaults as a release engineer writes them: ``1h``, not ISO 8601 ``PT1H``."""

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        return super().encode_default(dft)


def appdeployment_json_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of one AppDeployment document."""
    spec = AppDeploymentSpec.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_WireDefaults
    )
    definitions: Schema = spec.pop("$defs", {})
    definitions["AppDeploymentSpec"] = spec
    return {
        "$schema": DIALECT,
        "title": f"AppDeployment ({API_VERSION})",
        "description": "A mobile app release: a DAG of run steps, approval gates and waits, "
        "reconciled by the appdeploy operator.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"description": "The API group and version.", "const": API_VERSION},
            "kind": {"description": "The resource kind.", "const": KIND},
            "metadata": _metadata_schema(),
            "spec": {
                "description": spec.get("description", ""),
                "allOf": [{"$ref": _ref("AppDeploymentSpec")}],
            },
            "status": {
                "description": "Written by the operator; leave it out of files you commit.",
                "type": "object",
            },
        },
        "$defs": {name: _for_editors(definitions[name]) for name in sorted(definitions)},
    }


def _metadata_schema() -> Schema:
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "description": "Standard Kubernetes object metadata; the operator reads name and "
        "namespace, other fields are passed through.",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {
                "description": "The release's name, e.g. shop-4-12-0 (a DNS subdomain). "
                "Job names and labels derive from it.",
                "type": "string",
                "pattern": DNS_SUBDOMAIN_PATTERN,
                "maxLength": 253,
            },
            "namespace": {
                "description": "The namespace of the release and its Jobs.",
                "type": "string",
                "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                "maxLength": 63,
            },
            "labels": {"description": "Labels of the AppDeployment.", **strings},
            "annotations": {
                "description": "Annotations of the AppDeployment; approvals are annotations "
                "(see kubectl appdeploy approve), not something to commit.",
                **strings,
            },
        },
    }


def _ref(name: str) -> str:
    return f"#/$defs/{name}"


def _for_editors(node: Mapping[str, Any]) -> Schema:
    out: Schema = {}
    for keyword, value in node.items():
        if keyword == "title" or keyword.startswith("x-kubernetes-"):
            continue
        if keyword in _SUBSCHEMA_MAPS and isinstance(value, Mapping):
            out[keyword] = {name: _for_editors(sub) for name, sub in value.items()}
        elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[keyword] = [_for_editors(sub) for sub in value]
        elif keyword in _SUBSCHEMA_ONE and isinstance(value, Mapping):
            out[keyword] = _for_editors(value)
        else:
            out[keyword] = value
    if "$ref" in out and len(out) > 1:
        out["allOf"] = [{"$ref": out.pop("$ref")}]
    return out


def schema_at(schema: Schema, path: list[str | int]) -> Schema | None:
    """The subschema describing the field at ``path`` (tokens), or None where it is unknown.

    Used to turn "unknown field" and "required field is missing" into advice:
    which fields exist here, and what the missing one is for.
    """
    node: Schema | None = _resolve(schema, schema)
    for token in path:
        if node is None:
            return None
        if isinstance(token, int):
            items = node.get("items")
            node = _resolve(schema, items) if isinstance(items, Mapping) else None
        else:
            properties = node.get("properties", {})
            extra = node.get("additionalProperties")
            if token in properties:
                node = _resolve(schema, properties[token])
            elif isinstance(extra, Mapping):
                node = _resolve(schema, extra)
            else:
                node = None
    return node


def _resolve(root: Schema, node: Mapping[str, Any]) -> Schema:
    """Follow ``$ref``, ``allOf`` of one and ``X | None`` to the schema that has the fields."""
    current: Schema = dict(node)
    for _ in range(32):  # models are not recursive; this only bounds a broken schema
        if "$ref" in current:
            name = str(current.pop("$ref")).removeprefix("#/$defs/")
            current = {**root["$defs"][name], **current}
        elif len(current.get("allOf", ())) == 1:
            current = {**current.pop("allOf")[0], **current}
        elif "anyOf" in current:
            branches = [b for b in current["anyOf"] if b != {"type": "null"}]
            if len(branches) != 1:
                return current
            rest = {k: v for k, v in current.items() if k != "anyOf"}
            current = {**branches[0], **rest}
        else:
            return current
    return current
