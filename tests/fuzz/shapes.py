"""Mutations the models refuse by shape (and the CRD's schema with them).

Wrong types, unknown fields, bad durations and quantities, values no machine
has: pydantic refuses these before any cross-step rule runs, and so must the
CRD's structural schema, since both come from the same models.
"""

from __future__ import annotations

import copy
from random import Random
from typing import Any

from tests.fuzz.locations import (
    Draft,
    Location,
    Mutation,
    Spec,
    exactly,
    kinded,
    nodes,
    path_of,
    pick,
    put,
    steps,
)

MAP_FIELDS = frozenset({"params", "nodeSelector", "labels", "annotations", "requests", "limits"})
UNKNOWN_KEYS = ("nmae", "Needs", "imagePullPolicy", "stpes", "retry", "ünïcode", "", "a.b", "NAME")
OTHER_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2.5,
    10**30,
    "",
    "x",
    "🚀",
    [],
    ["x"],
    [None],
    {},
    {"x": 1},
)
BAD_DURATIONS: tuple[Any, ...] = (
    "",
    "1.5h",
    "-1h",
    "90",
    "1h30",
    "30m1h",
    "1w",
    "1 h",
    " 1h",
    "∞",
    "30m\n",
    "\uff11h",
    "1H",
    "PT1H",
    "1e3s",
    "0x10s",
    "99999999999999999999999d",
    "9999999d",
    "100000000h",
    90,
    1.5,
    True,
)
BAD_QUANTITIES: tuple[Any, ...] = (
    "two cores",
    "-1",
    "1.2.3",
    "1Ki\n",
    "1KB",
    "",
    True,
    [1],
    "1e",
    "0x10",
    "\uff11",
    " 1",
    "1 ",
    "Infinity",
    "NaN",
    "1e1.5",
    "--1",
    "+-1",
    "1k\n",
    0.5,
    2.5,
)
HUGE_QUANTITIES = ("1e99999999999", "9" * 5000, "1" + "0" * 30 + "Ei", "1e-99999999999")


# --- shape: what the models (and the CRD's schema) refuse ------------------------------


def wrong_type(rng: Random, draft: Draft) -> Mutation | None:
    inner = nodes(draft.spec)[1:]
    if not inner:
        return None
    location, value = rng.choice(inner)
    others = [v for v in OTHER_VALUES if type(v) is not type(value)]
    put(draft.spec, location, copy.deepcopy(rng.choice(others)))
    return Mutation("wrong-type", path_of(location))


def not_an_object(rng: Random, draft: Draft) -> Mutation | None:
    draft.spec = copy.deepcopy(rng.choice([v for v in OTHER_VALUES if not isinstance(v, dict)]))
    return Mutation("not-an-object", "spec", "spec")


def unknown_field(rng: Random, draft: Draft) -> Mutation | None:
    spec = draft.spec
    objects = [
        (loc, v)
        for loc, v in nodes(spec)
        if isinstance(v, dict) and not (loc and loc[-1] in MAP_FIELDS)
    ]
    if not objects:
        return None
    location, node = rng.choice(objects)
    key = rng.choice([k for k in UNKNOWN_KEYS if k not in node])
    node[key] = rng.choice(["x", 1, None, {}])
    return Mutation("unknown-field", path_of((*location, key)), exactly((*location, key)))


def _duration_slots(spec: Spec) -> list[Location]:
    slots: list[Location] = []
    for loc, step in steps(spec):
        if isinstance(step.get("wait"), dict):
            slots.append((*loc, "wait", "duration"))
        else:
            slots.append((*loc, "timeout"))
        if isinstance(step.get("run"), dict):
            slots.append((*loc, "retries", "backoff"))
    if isinstance(spec, dict) and isinstance(spec.get("defaults", {}), dict):
        slots += [("defaults", "timeout"), ("defaults", "gateTimeout")]
    return slots


def bad_duration(rng: Random, draft: Draft) -> Mutation | None:
    spec = draft.spec
    location = pick(rng, _duration_slots(spec))
    if location is None:
        return None
    parent = spec
    for part in location[:-1]:
        child = parent[part] if isinstance(part, int) else parent.setdefault(part, {})
        if not isinstance(child, dict | list):
            return None
        parent = child
    if not isinstance(parent, dict):
        return None
    parent[location[-1]] = rng.choice(BAD_DURATIONS)
    return Mutation("bad-duration", path_of(location), exactly(location))


def _resources(rng: Random, spec: Spec) -> tuple[Location, dict[str, Any]] | None:
    runs = kinded(spec, "run", ("steps", "finally"))
    if not runs:
        return None
    location, step = rng.choice(runs)
    resources = step["run"].setdefault("resources", {})
    if not isinstance(resources, dict):
        return None
    for section in ("requests", "limits"):
        if not isinstance(resources.setdefault(section, {}), dict):
            return None
    return (*location, "run", "resources"), resources


def bad_quantity(rng: Random, draft: Draft) -> Mutation | None:
    spec = draft.spec
    if (found := _resources(rng, spec)) is None:
        return None
    location, resources = found
    section, name = rng.choice(["requests", "limits"]), rng.choice(["cpu", "memory"])
    resources[section][name] = rng.choice(BAD_QUANTITIES)
    where = (*location, section, name)
    return Mutation("bad-quantity", path_of(where), exactly(where))


def huge_quantity(rng: Random, draft: Draft) -> Mutation | None:
    """Quantities the grammar allows but no machine has: compared, never a crash."""
    spec = draft.spec
    if (found := _resources(rng, spec)) is None:
        return None
    location, resources = found
    request = rng.choice(HUGE_QUANTITIES)
    resources["requests"]["cpu"], resources["limits"]["cpu"] = request, "1"
    where = (*location, "requests", "cpu")
    above = not request.startswith("1e-")
    return Mutation("huge-quantity", path_of(where), exactly(where) if above else "")


def request_above_limit(rng: Random, draft: Draft) -> Mutation | None:
    spec = draft.spec
    if (found := _resources(rng, spec)) is None:
        return None
    location, resources = found
    resources["requests"]["memory"], resources["limits"]["memory"] = "2Gi", "1500Mi"
    where = (*location, "requests", "memory")
    return Mutation("request-above-limit", path_of(where), exactly(where))


def odd_scalar(rng: Random, draft: Draft) -> Mutation | None:
    """Booleans written as strings, fractions and huge numbers where integers belong."""
    choices: list[tuple[Location, Any, bool]] = []
    for location, step in steps(draft.spec):
        if isinstance(step.get("run"), dict):
            choices += [
                ((*location, "run", "automountServiceAccountToken"), "true", True),
                ((*location, "retries"), {"limit": rng.choice([1.5, 101, 10**30, -1])}, True),
                ((*location, "retries"), {"limit": 100}, False),
                (
                    (*location, "run", "tolerations"),
                    [{"key": "k", "tolerationSeconds": rng.choice([10**30, 2**63, 1.5])}],
                    True,
                ),
                (
                    (*location, "run", "tolerations"),
                    [{"key": "k", "tolerationSeconds": rng.choice([2**63 - 1, -(2**63), 0])}],
                    False,
                ),
            ]
        if isinstance(step.get("gate"), dict):
            choices += [
                ((*location, "gate", "required"), rng.choice([2.5, "2", True, 2**63]), True),
                ((*location, "gate", "onTimeout"), rng.choice(["fail", "approve", "Maybe"]), True),
            ]
    if not choices:
        return None
    location, value, refused = rng.choice(choices)
    put(draft.spec, location, value)
    return Mutation(
        "odd-scalar", path_of(location), exactly(location) + r"(\..*|\[.*)?" if refused else ""
    )


def huge_text(rng: Random, draft: Draft) -> Mutation | None:
    """A 100,000-character version, image or description: accepted, quickly."""
    slots: list[Location] = [("version",)] if isinstance(draft.spec, dict) else []
    for location, step in steps(draft.spec):
        if isinstance(step.get("run"), dict):
            slots.append((*location, "run", "image"))
        if isinstance(step.get("gate"), dict):
            slots.append((*location, "gate", "description"))
    location = pick(rng, slots)
    if location is None:
        return None
    put(draft.spec, location, ("漢" if rng.random() < 0.5 else "v") * 100_000)
    return Mutation("huge-text", path_of(location))


def deep_nesting(rng: Random, draft: Draft) -> Mutation | None:
    """A value nested 200 lists deep where a string belongs."""
    if not isinstance(draft.spec, dict) or not isinstance(draft.spec.get("params", {}), dict):
        return None
    value: Any = "x"
    for _ in range(200):
        value = [value]
    draft.spec.setdefault("params", {})["deep"] = value
    return Mutation("deep-nesting", "spec.params.deep", r"spec\.params\.deep.*")
