"""Reading status that another operator version wrote: unknown fields are dropped.

Spec models refuse unknown fields (a typo in a release must not be ignored),
but status is written by the operator, and after a rollback an older
operator meets fields only a newer one knows. Refusing them would make the
status unreadable, and starting from an empty one would drop approvals and
restart the run; so status is read with unknown keys pruned, recursively,
along the models' own field types. Pure.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def validate_known(model: type[M], raw: Mapping[str, Any]) -> M:
    """``model.model_validate`` of ``raw`` without the keys ``model`` does not know."""
    return model.model_validate(known_fields(model, raw))


def known_fields(model: type[BaseModel], raw: Any) -> Any:
    """``raw`` with every key unknown to ``model`` (and to its nested models) removed."""
    if not isinstance(raw, Mapping):
        return raw  # let validation report the wrong type
    kept: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        for key in {info.alias or name, name}:
            if key in raw:
                kept[key] = _known_value(info.annotation, raw[key])
    return kept


def _known_value(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _known_value(typing.get_args(annotation)[0], value)
    if origin in (typing.Union, types.UnionType):
        models = [arg for arg in typing.get_args(annotation) if _is_model(arg)]
        return known_fields(models[0], value) if len(models) == 1 else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation)
        return [_known_value(item, element) for element in value]
    if origin is dict and isinstance(value, Mapping):
        _, item = typing.get_args(annotation)
        return {key: _known_value(item, element) for key, element in value.items()}
    if _is_model(annotation):
        return known_fields(annotation, value)
    return value


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
