"""Turn a pydantic model's JSON Schema into a Kubernetes *structural* schema.

The API server accepts a CRD only if its ``openAPIV3Schema`` is structural: every
node states its ``type``, there are no ``$ref``s, and ``anyOf`` may only
*restrict* values, never introduce types (so ``Optional[X]``, which pydantic
writes as ``anyOf: [X, {type: null}]``, must become ``X`` with
``nullable: true``). This module inlines and flattens accordingly and drops
what the CRD must not carry:

- ``title``: noise; descriptions come from field and model docstrings.
- ``default``: the models apply defaults. Server-side defaults would make the
  stored object differ from the one committed to git (GitOps diff noise).
- ``additionalProperties: false``: a structural schema prunes unknown fields,
  and strict field validation (kubectl's default) rejects them, so it is
  implied; Kubernetes forbids it next to ``properties`` anyway.

Any keyword or union it does not know is an error, so a model change that the
CRD cannot express fails ``make generate`` instead of producing a CRD the API
server rejects or, worse, a looser one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

Schema = dict[str, Any]

# Output order of a node's keywords: what it is first, then its children.
_KEYWORD_ORDER = (
    "description",
    "type",
    "format",
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "nullable",
    "anyOf",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-validations",
    "required",
    "properties",
    "additionalProperties",
    "items",
)
_COPIED = frozenset(_KEYWORD_ORDER) - {"properties", "additionalProperties", "items", "anyOf"}
_DROPPED = frozenset({"title", "default"})
_EXCLUSIVE_BOUNDS = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}
_NULL = {"type": "null"}
INT_OR_STRING_BRANCHES = [{"type": "integer"}, {"type": "string"}]


class UnsupportedSchemaError(ValueError):
    """The model uses a JSON Schema construct a structural CRD schema cannot express."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")


def structural_schema(
    model: type[BaseModel], list_map_keys: Mapping[str, Sequence[str]] | None = None
) -> Schema:
    """The model's schema, inlined and flattened for a CRD.

    ``list_map_keys`` maps a list property's dotted path below the model (e.g.
    ``steps``) to the item fields that key it: the list becomes
    ``x-kubernetes-list-type: map`` so server-side apply merges items by key.
    """
    raw = model.model_json_schema(by_alias=True, mode="validation")
    converter = _Converter(raw.pop("$defs", {}), dict(list_map_keys or {}))
    schema = converter.node(raw, "", ())
    if converter.unused_keys:
        raise UnsupportedSchemaError(model.__name__, f"no list at {sorted(converter.unused_keys)}")
    return schema


def is_int_or_string(node: Mapping[str, Any]) -> bool:
    """True for the one ``anyOf`` Kubernetes allows to introduce types."""
    return (
        node.get("x-kubernetes-int-or-string") is True
        and node.get("anyOf") == INT_OR_STRING_BRANCHES
    )


class _Converter:
    def __init__(self, defs: Mapping[str, Schema], list_map_keys: dict[str, Sequence[str]]):
        self.defs = defs
        self.list_map_keys = list_map_keys
        self.unused_keys = set(list_map_keys)

    def node(self, schema: Mapping[str, Any], path: str, resolving: tuple[str, ...]) -> Schema:
        rest = dict(schema)
        if "$ref" in rest:
            return self._inline(rest.pop("$ref"), rest, path, resolving)
        if len(rest.get("allOf", ())) == 1:  # how older pydantic wrote a $ref with siblings
            return self.node({**rest.pop("allOf")[0], **rest}, path, resolving)
        if "anyOf" in rest and not is_int_or_string(rest):
            return self._optional(rest.pop("anyOf"), rest, path, resolving)
        out: Schema = {}
        for keyword, value in rest.items():
            if keyword in _DROPPED or (keyword == "additionalProperties" and value is False):
                continue
            if keyword == "properties":
                out[keyword] = {
                    name: self.node(sub, _join(path, name), resolving)
                    for name, sub in value.items()
                }
            elif keyword == "additionalProperties" and isinstance(value, Mapping):
                out[keyword] = self.node(value, f"{path}{{}}", resolving)
            elif keyword == "items" and isinstance(value, Mapping):
                out[keyword] = self.node(value, f"{path}[]", resolving)
            elif keyword == "const":
                out["enum"] = [value]
            elif keyword in _EXCLUSIVE_BOUNDS and not isinstance(value, bool):
                # JSON Schema 2020 writes the bound here; OpenAPI v3.0 wants a flag.
                out[_EXCLUSIVE_BOUNDS[keyword]] = value
                out[keyword] = True
            elif keyword in _COPIED or keyword == "anyOf":
                out[keyword] = copy.deepcopy(value)
            else:
                raise UnsupportedSchemaError(path or "<root>", f"unsupported keyword {keyword!r}")
        if "properties" in out and out.setdefault("type", "object") != "object":
            raise UnsupportedSchemaError(path, "properties on a non-object")
        if "type" not in out and not is_int_or_string(out):
            raise UnsupportedSchemaError(path, "every node of a structural schema needs a type")
        if out.get("type") == "array" and "items" not in out:
            raise UnsupportedSchemaError(path, "a list needs a typed item (list[X], not list)")
        if path in self.list_map_keys:
            self._key_list(out, path, self.list_map_keys[path])
        return ordered(out)

    def _inline(self, ref: str, siblings: Schema, path: str, resolving: tuple[str, ...]) -> Schema:
        name = ref.removeprefix("#/$defs/")
        if name in resolving:
            raise UnsupportedSchemaError(path, f"recursive model {name} cannot be inlined")
        # The field's own keywords (its description) win over the model's.
        return self.node({**self.defs[name], **siblings}, path, (*resolving, name))

    def _optional(
        self, branches: list[Schema], siblings: Schema, path: str, resolving: tuple[str, ...]
    ) -> Schema:
        kept = [branch for branch in branches if branch != _NULL]
        if len(kept) != 1 or len(kept) == len(branches):
            raise UnsupportedSchemaError(
                path, "only X | None and int-or-string unions fit a structural schema"
            )
        return ordered({**self.node({**kept[0], **siblings}, path, resolving), "nullable": True})

    def _key_list(self, node: Schema, path: str, keys: Sequence[str]) -> None:
        item_required = node.get("items", {}).get("required", [])
        if node.get("type") != "array" or not set(keys) <= set(item_required):
            raise UnsupportedSchemaError(path, f"a list keyed by {list(keys)} needs them required")
        node["x-kubernetes-list-type"] = "map"
        node["x-kubernetes-list-map-keys"] = list(keys)
        self.unused_keys.discard(path)


def ordered(node: Mapping[str, Any]) -> Schema:
    """The node's keywords in the fixed output order, so generation is byte-stable."""
    return {keyword: node[keyword] for keyword in _KEYWORD_ORDER if keyword in node}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
