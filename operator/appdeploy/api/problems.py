"""Validation problems that name the field: ``spec.steps[3].needs[0]: unknown step ...``.

Every layer that rejects a release (the models, the admission webhook, the
operator's ``Invalid`` phase, ``appdeploy validate``) reports these, so the
release engineer sees the same message wherever the release is checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from appdeploy.api.base import DNS_LABEL_PATTERN


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a release, at a field path such as ``spec.steps[0].name``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidSpec(ValueError):
    """A release that cannot run; ``problems`` names every field at fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def field_path(root: str, location: Iterable[int | str]) -> str:
    """``('steps', 3, 'needs', 0)`` under ``spec`` -> ``spec.steps[3].needs[0]``."""
    path = root
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "build-ios"?)`` when a close choice exists, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _message(error: Any) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch" and context.get("pattern") == DNS_LABEL_PATTERN:
        return (
            f"{error['input']!r} is not a DNS label: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    if kind == "model_type":
        # pydantic says "a valid dictionary or instance of Step": name no Python class.
        return f"expected a map of fields, not {_yaml_kind(error['input'])}"
    return str(error["msg"])


def _yaml_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


def problems_from(error: ValidationError, root: str) -> list[Problem]:
    """Field-named problems from a pydantic ValidationError."""
    return [
        Problem(field_path(root, tuple(item["loc"])), _message(item))
        for item in error.errors(include_url=False)
    ]
