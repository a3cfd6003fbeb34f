"""Where a mutation breaks a release, and where the refusal must point.

A mutation changes a ``Draft`` (its spec, or the whole of it) and returns
a ``Mutation``: its kind, the field it touched, and ``expect``, a regular
expression one of the refusal's field paths must match in full ("" when the
change may leave the release valid, e.g. a random value of another type in an
optional field). A mutation that does not apply to this spec (no gate to strip
of approvers) returns None and the fuzzer picks another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random
from typing import Any

Spec = Any
Location = tuple[str | int, ...]


@dataclass
class Draft:
    """The spec being broken; a mutation may replace it whole."""

    spec: Spec


@dataclass(frozen=True)
class Mutation:
    """What was broken, where, and which field path the refusal must name."""

    kind: str
    path: str
    expect: str = ""
    """A regex a problem's path must fullmatch; "" when the spec may still be valid."""


def path_of(location: Location) -> str:
    """``('steps', 0, 'name')`` -> ``spec.steps[0].name``, as problems name fields."""
    return "spec" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location)


def exactly(location: Location) -> str:
    """The regex that matches this one field path."""
    return re.escape(path_of(location))


def nodes(value: Any, location: Location = ()) -> list[tuple[Location, Any]]:
    """Every (location, value) in the spec, the spec itself first."""
    found = [(location, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += nodes(child, (*location, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += nodes(child, (*location, index))
    return found


def get(spec: Spec, location: Location) -> Any:
    """The value at ``location``."""
    for part in location:
        spec = spec[part]
    return spec


def put(spec: Spec, location: Location, value: Any) -> None:
    """Replace the value at ``location``."""
    get(spec, location[:-1])[location[-1]] = value


def steps(
    spec: Spec, sections: tuple[str, ...] = ("steps", "finally")
) -> list[tuple[Location, dict[str, Any]]]:
    """(location, step) of every step that is still a dict in a list."""
    if not isinstance(spec, dict):
        return []
    out = []
    for section in sections:
        items = spec.get(section)
        if isinstance(items, list):
            out += [((section, i), s) for i, s in enumerate(items) if isinstance(s, dict)]
    return out


def kinded(
    spec: Spec, kind: str, sections: tuple[str, ...] = ("steps",)
) -> list[tuple[Location, dict[str, Any]]]:
    """(location, step) of every step of that kind (run, gate, wait)."""
    return [(loc, s) for loc, s in steps(spec, sections) if isinstance(s.get(kind), dict)]


def pick(rng: Random, items: list[Any]) -> Any:
    """A random item, or None when there is none."""
    return rng.choice(items) if items else None
