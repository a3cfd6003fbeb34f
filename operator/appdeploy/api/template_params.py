"""Typed params of a template: what a value must look like, and what a release may set.

The same checks run offline (``appdeploy validate``), at admission and when a
run starts, so a release learns at commit time that ``track: beta`` is not one
of ``internal, alpha, production``. Every value is a string on the wire (like
``spec.params``); the type says how it is read. ``semver`` follows semver.org
2.0.0 through the ``semver`` package rather than a hand-written pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

import semver

from appdeploy.api.base import INT64_MAX, INT64_MIN
from appdeploy.api.problems import Problem, did_you_mean
from appdeploy.api.templates import ParamType, TemplateParam

_INT = re.compile(r"-?[0-9]+")


def value_problem(param: TemplateParam, value: str) -> str:
    """Why ``value`` is not acceptable for ``param`` (type, enum, pattern), or ""."""
    if reason := _type_problem(param.type, value):
        return reason
    if param.enum and value not in param.enum:
        listed = ", ".join(param.enum)
        return f"is not one of {listed}{did_you_mean(value, param.enum)}"
    if param.pattern is not None and _matches(param.pattern, value) is False:
        return f"does not match the pattern {param.pattern}"
    return ""


def _type_problem(kind: ParamType, value: str) -> str:
    match kind:
        case ParamType.INT:
            if not _INT.fullmatch(value) or not INT64_MIN <= int(value) <= INT64_MAX:
                return "is not an int: write a decimal integer such as 42 (64-bit)"
        case ParamType.BOOL:
            if value not in ("true", "false"):
                return 'is not a bool: write "true" or "false"'
        case ParamType.SEMVER:
            if not semver.Version.is_valid(value):
                return (
                    "is not a semantic version (semver.org): write MAJOR.MINOR.PATCH, e.g. "
                    "4.13.0 or 4.13.0-rc.1, without a leading v"
                )
        case ParamType.STRING:
            pass
    return ""


def _matches(pattern: str, value: str) -> bool | None:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return None  # reported once, on the template


def declaration_problems(params: Sequence[TemplateParam], prefix: str) -> Iterator[Problem]:
    """What is wrong with a template's param declarations (``prefix`` is ``spec.params``)."""
    seen: set[str] = set()
    for index, param in enumerate(params):
        path = f"{prefix}[{index}]"
        if param.name in seen:
            yield Problem(f"{path}.name", f'duplicate param "{param.name}"')
        seen.add(param.name)
        if param.pattern is not None:
            try:
                re.compile(param.pattern)
            except re.error as error:
                yield Problem(f"{path}.pattern", f"not a regular expression: {error}")
        for position, choice in enumerate(param.enum):
            if reason := _type_problem(param.type, choice):
                yield Problem(f"{path}.enum[{position}]", f'"{choice}" {reason}')
        if param.default is not None:
            if param.required:
                yield Problem(
                    f"{path}.required",
                    "a required param has no default: remove the default or required",
                )
            elif reason := value_problem(param, param.default):
                yield Problem(f"{path}.default", f'"{param.default}" {reason}')
        elif param.required is False:
            yield Problem(
                f"{path}.required",
                "an optional param needs a default (its value when a release sets none)",
            )


def resolved_params(
    params: Sequence[TemplateParam], given: Mapping[str, str], template: str
) -> tuple[dict[str, str], list[Problem]]:
    """Every declared param's value (given, else its default), and each problem with a value.

    ``template`` names it in messages (``ClusterReleaseTemplate mobile-store-release``).
    Unknown params are refused, never ignored: a typo must not fall back to a default.
    """
    declared = {param.name: param for param in params}
    problems: list[Problem] = []
    for name, value in given.items():
        path = f"spec.params.{name}"
        if name not in declared:
            names = ", ".join(declared) or "no params"
            problems.append(
                Problem(
                    path,
                    f'unknown param "{name}"{did_you_mean(name, declared)}; {template} '
                    f"declares {names}",
                )
            )
        elif reason := value_problem(declared[name], value):
            problems.append(Problem(path, f'"{value}" {reason} ({template})'))
    values: dict[str, str] = {}
    for param in params:
        if param.name in given:
            values[param.name] = given[param.name]
        elif param.default is not None and not param.required:
            values[param.name] = param.default
        else:
            about = f": {param.description}" if param.description else ""
            problems.append(
                Problem("spec.params", f'missing required param "{param.name}" ({template}){about}')
            )
    return values, problems
