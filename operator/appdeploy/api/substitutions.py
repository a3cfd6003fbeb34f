"""``$(...)`` substitutions in step fields (DESIGN.md §2).

Recognised references: ``$(app)``, ``$(version)``, ``$(params.NAME)``,
``$(run.id)``, ``$(run.phase)`` (finally steps only) and
``$(steps.STEP.outputs.NAME)``. Anything else is an error at validation time,
so a typo never reaches a Job. ``$$(`` writes a literal ``$(`` (for shell
command substitution inside ``sh -c`` scripts).

Substitutions apply to a run step's image, command, args and env values, to
a gate's description and the values its approvers attest to, and to the text
fields of a check's provider (not to Secret references).

The kubelet expands ``$(VAR)`` once more in a container's command, args and
env values, and turns ``$$`` into ``$``. So text bound for those fields is
written for the kubelet (``substitute_for_container``): every ``$`` of a
substituted value is doubled, and a literal ``$$(`` stays ``$$(``. Otherwise
a step output ``$(APP_STORE_KEY)`` would make the kubelet paste a secret of
the downstream step's environment into its argv, and ``$$(date)`` would reach
the container as ``date``'s value when an env var of that name exists. The
container receives every value byte for byte (docs/run-semantics.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from appdeploy.api.checks import CheckProvider, map_provider_texts
from appdeploy.api.spec import RunSpec, Step

REFERENCE_NAME = r"[A-Za-z0-9_][-A-Za-z0-9_.]*"
"""A param or output name that a reference can spell."""
_PARAM = re.compile(rf"^params\.({REFERENCE_NAME})$")
_OUTPUT = re.compile(rf"^steps\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.outputs\.({REFERENCE_NAME})$")


class ReferenceKind(StrEnum):
    """What a ``$(...)`` reference names."""

    APP = "app"
    VERSION = "version"
    PARAM = "params"
    RUN_ID = "run.id"
    RUN_PHASE = "run.phase"
    OUTPUT = "outputs"


@dataclass(frozen=True)
class Reference:
    """One parsed ``$(...)`` reference."""

    kind: ReferenceKind
    text: str
    name: str = ""
    step: str = ""


@dataclass(frozen=True)
class Values:
    """What references resolve to in one run."""

    app: str
    version: str
    params: Mapping[str, str]
    run_id: str
    run_phase: str | None
    outputs: Mapping[str, Mapping[str, str]]


class UnresolvedReference(Exception):
    """A reference that has no value in this run (e.g. an output never produced)."""


def parse_reference(expression: str) -> Reference:
    """Parse the inside of ``$(...)``; ValueError naming the accepted forms if unknown."""
    text = f"$({expression})"
    simple = {
        "app": ReferenceKind.APP,
        "version": ReferenceKind.VERSION,
        "run.id": ReferenceKind.RUN_ID,
        "run.phase": ReferenceKind.RUN_PHASE,
    }
    if expression in simple:
        return Reference(simple[expression], text)
    # fullmatch: `$` would also match before a final newline, taking "params.x\n" for x.
    if param := _PARAM.fullmatch(expression):
        return Reference(ReferenceKind.PARAM, text, name=param.group(1))
    if output := _OUTPUT.fullmatch(expression):
        return Reference(ReferenceKind.OUTPUT, text, name=output.group(3), step=output.group(1))
    raise ValueError(
        f"unknown substitution {text}: use $(app), $(version), $(params.NAME), $(run.id), "
        "$(run.phase) or $(steps.STEP.outputs.NAME); write $$( for a literal $("
    )


def _scan(text: str, on_reference: Callable[[str], str], literal: str = "$(") -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("$$(", index):
            out.append(literal)
            index += 3
        elif text.startswith("$(", index):
            end = text.find(")", index + 2)
            if end < 0:
                raise ValueError(f'unterminated substitution "{text[index:]}": missing ")"')
            out.append(on_reference(text[index + 2 : end]))
            index = end + 1
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def references_in(text: str) -> list[Reference]:
    """Every reference in ``text``; ValueError on an unknown or unterminated one."""
    found: list[Reference] = []

    def collect(expression: str) -> str:
        found.append(parse_reference(expression))
        return ""

    _scan(text, collect)
    return found


def _value_of(reference: Reference, values: Values) -> str:
    match reference.kind:
        case ReferenceKind.APP:
            return values.app
        case ReferenceKind.VERSION:
            return values.version
        case ReferenceKind.RUN_ID:
            return values.run_id
        case ReferenceKind.RUN_PHASE:
            if values.run_phase is None:
                raise UnresolvedReference(f"{reference.text} is only known in finally steps")
            return values.run_phase
        case ReferenceKind.PARAM:
            if reference.name not in values.params:
                raise UnresolvedReference(f"{reference.text}: no param {reference.name}")
            return values.params[reference.name]
        case ReferenceKind.OUTPUT:
            produced = values.outputs.get(reference.step, {})
            if reference.name not in produced:
                raise UnresolvedReference(
                    f"{reference.text}: step {reference.step} produced no output "
                    f'"{reference.name}"'
                    + (f" (it produced: {', '.join(sorted(produced))})" if produced else "")
                )
            return produced[reference.name]


def substitute(text: str, values: Values) -> str:
    """``text`` with every reference replaced; UnresolvedReference if one has no value."""
    return _scan(text, lambda expression: _value_of(parse_reference(expression), values))


def escape_for_kubelet(value: str) -> str:
    """``value`` written so the kubelet's ``$(VAR)`` expansion hands it over unchanged."""
    return value.replace("$", "$$")


def substitute_for_container(text: str, values: Values) -> str:
    """``substitute`` for a container's command, args or env: the kubelet sees literals only."""
    return _scan(
        text,
        lambda expression: escape_for_kubelet(_value_of(parse_reference(expression), values)),
        literal="$$(",
    )


def substitutable_fields(step: Step) -> Iterator[tuple[str, str]]:
    """(path relative to the step, text) of every field where substitutions apply."""
    if step.run is not None:
        yield "run.image", step.run.image
        for index, part in enumerate(step.run.command):
            yield f"run.command[{index}]", part
        for index, part in enumerate(step.run.args):
            yield f"run.args[{index}]", part
        for index, env in enumerate(step.run.env):
            if env.value is not None:
                yield f"run.env[{index}].value", env.value
    if step.gate is not None:
        yield "gate.description", step.gate.description
        for key, text in step.gate.attest.items():
            yield f"gate.attest.{key}", text
    if step.check is not None:
        found: list[tuple[str, str]] = []

        def collect(path: str, text: str) -> str:
            found.append((path, text))
            return text

        map_provider_texts(step.check.provider.to_wire(), collect)
        yield from found


def resolve_provider(provider: CheckProvider, values: Values) -> dict[str, Any]:
    """The provider's wire JSON with substitutions resolved; UnresolvedReference if one cannot be.

    The text is for the measurement program, not the kubelet: whoever puts it into a
    container's env escapes it there (``escape_for_kubelet``).
    """
    resolved: dict[str, Any] = map_provider_texts(
        provider.to_wire(), lambda _path, text: substitute(text, values)
    )
    return resolved


def resolve_run(run: RunSpec, values: Values) -> RunSpec:
    """A copy of ``run`` with substitutions resolved; UnresolvedReference if one cannot be.

    Command, args and env values are written for the kubelet's own expansion
    (``substitute_for_container``); the image is not expanded by the kubelet.
    """
    env = [
        var.model_copy(update={"value": substitute_for_container(var.value, values)})
        if var.value is not None
        else var
        for var in run.env
    ]
    return run.model_copy(
        update={
            "image": substitute(run.image, values),
            "command": [substitute_for_container(part, values) for part in run.command],
            "args": [substitute_for_container(part, values) for part in run.args],
            "env": env,
        }
    )
