"""Mutations that keep every field's shape but break a rule of the whole release.

Cycles, unknown or repeated needs, bad substitutions, duplicate names, gates
nobody can pass, two kinds in a step, too many steps, names that are not DNS
labels, missing fields, lists where maps belong, step pods the policy refuses.
"""

from __future__ import annotations

import copy
from random import Random
from typing import Any

from tests.fuzz.locations import Draft, Location, Mutation, exactly, kinded, path_of, pick, steps
from tests.fuzz.valid import dns_label

BAD_NAMES = ("Build", "build_ios", "bübchen", "🚀", "-build", "build-", "", "a" * 64, "b.c", "a\n")
BAD_REFERENCES = (
    "$(nope)",
    "$(params.missing-param)",
    "$(steps.ghost.outputs.x)",
    "$(unterminated",
    "$()",
    "$(params.)",
    "$(APP)",
    "$( app )",
    "$(run.phase)",
    "$(steps..outputs.x)",
    "$(run)",
)
REQUIRED = (("app",), ("version",), ("steps",))
STEP_REQUIRED = {
    "run": ("run", "image"),
    "gate": ("gate", "approvers"),
    "wait": ("wait", "duration"),
}


def _needs(step: dict[str, Any]) -> list[Any] | None:
    needs = step.setdefault("needs", [])
    return needs if isinstance(needs, list) else None


def cycle(rng: Random, draft: Draft) -> Mutation | None:
    section = rng.choice(["steps", "finally"])
    found = steps(draft.spec, (section,))
    if len(found) < 2 or not all(isinstance(s.get("name"), str) for _, s in found):
        return None
    (_, first), (_, second) = rng.sample(found, 2)
    first_needs, second_needs = _needs(first), _needs(second)
    if first_needs is None or second_needs is None:
        return None
    first_needs.append(second["name"])
    second_needs.append(first["name"])
    return Mutation("cycle", f"spec.{section}", rf"spec\.{section}\[\d+\]\.needs(\[\d+\])?")


def unknown_need(rng: Random, draft: Draft) -> Mutation | None:
    location, step = pick(rng, steps(draft.spec)) or (None, None)
    if step is None or (needs := _needs(step)) is None:
        return None
    kind = rng.choice(["unknown", "self", "twice"])
    if kind == "self" and isinstance(step.get("name"), str):
        needs.append(step["name"])
    elif kind == "twice" and needs:
        needs.append(needs[0])
    else:
        needs.append("ghost-" + dns_label(rng))
    where = (*location, "needs", len(needs) - 1)
    return Mutation(f"need-{kind}", path_of(where), exactly(where))


def _text_slots(spec: Any) -> list[Location]:
    slots: list[Location] = []
    for location, step in steps(spec):
        if isinstance(step.get("run"), dict) and isinstance(
            step["run"].setdefault("args", []), list
        ):
            slots.append((*location, "run", "args", len(step["run"]["args"])))
        if isinstance(step.get("gate"), dict):
            slots.append((*location, "gate", "description"))
    return slots


def bad_substitution(rng: Random, draft: Draft) -> Mutation | None:
    location = pick(rng, _text_slots(draft.spec))
    if location is None:
        return None
    step_location = location[:2]
    params = draft.spec.get("params") if isinstance(draft.spec.get("params"), dict) else {}
    newline = [f"$(params.{name}\n)" for name in params]  # "$" once matched before "\n"
    reference = rng.choice([*BAD_REFERENCES, *newline, *_not_upstream(draft.spec, step_location)])
    if step_location[0] == "finally" and reference == "$(run.phase)":
        reference = "$(params.missing-param)"
    container = draft.spec[location[0]][location[1]][location[2]]
    text = f"build {reference} now"
    if isinstance(location[-1], int):
        container[location[3]].append(text)
    else:
        container[location[3]] = text
    return Mutation("bad-substitution", path_of(location), exactly(location))


def _not_upstream(spec: Any, location: Location) -> list[str]:
    # Outputs of main steps this one does not wait for, and of gates and waits (no outputs).
    if location[0] != "steps":
        return []
    named = {s["name"]: s for _, s in steps(spec, ("steps",)) if isinstance(s.get("name"), str)}
    if not all(isinstance(s.get("needs", []), list) for s in named.values()):
        return []
    upstream: set[str] = set()
    stack = list(spec["steps"][location[1]].get("needs", []))
    while stack:
        if (parent := stack.pop()) in named and parent not in upstream:
            upstream.add(parent)
            stack.extend(named[parent].get("needs", []))
    return [
        f"$(steps.{name}.outputs.x)"
        for name, step in named.items()
        if name not in upstream or not isinstance(step.get("run"), dict)
    ]


def duplicate_name(rng: Random, draft: Draft) -> Mutation | None:
    found = steps(draft.spec)
    if len(found) < 2:
        return None
    # Validation reports the later of the two, in declaration order: steps, then finally.
    (_, first), (later, second) = sorted(
        rng.sample(found, 2), key=lambda item: (item[0][0] != "steps", item[0][1])
    )
    if not isinstance(first.get("name"), str):
        return None
    second["name"] = first["name"]
    return Mutation("duplicate-name", path_of((*later, "name")), exactly((*later, "name")))


def bad_name(rng: Random, draft: Draft) -> Mutation | None:
    location, step = pick(rng, steps(draft.spec)) or (None, None)
    if step is None:
        if not isinstance(draft.spec, dict):
            return None
        draft.spec["app"] = rng.choice(BAD_NAMES)
        return Mutation("bad-name", "spec.app", r"spec\.app")
    step["name"] = rng.choice(BAD_NAMES)
    return Mutation("bad-name", path_of((*location, "name")), exactly((*location, "name")))


def gate_nobody_passes(rng: Random, draft: Draft) -> Mutation | None:
    location, step = pick(rng, kinded(draft.spec, "gate")) or (None, None)
    if step is None:
        return None
    gate = step["gate"]
    kind = rng.choice(["no-approvers", "required-too-many", "required-zero"])
    if kind == "no-approvers":
        gate["approvers"] = rng.choice([{}, {"users": []}, {"users": [], "groups": []}])
        where: Location = (*location, "gate", "approvers")
    elif kind == "required-too-many":
        gate["approvers"] = {"users": ["alice@example.com"]}
        gate["required"] = rng.choice([2, 10**6])
        where = (*location, "gate", "required")
    else:
        gate["required"] = rng.choice([0, -1])
        where = (*location, "gate", "required")
    return Mutation(kind, path_of(where), exactly(where))


def distinct_unknown(rng: Random, draft: Draft) -> Mutation | None:
    location, step = pick(rng, kinded(draft.spec, "gate")) or (None, None)
    if step is None or not isinstance(step["gate"].setdefault("distinctFrom", []), list):
        return None
    others = step["gate"]["distinctFrom"]
    others.append(rng.choice([step.get("name"), "ghost-gate"]))
    where = (*location, "gate", "distinctFrom", len(others) - 1)
    return Mutation("distinct-unknown", path_of(where), exactly(where))


def kind_rules(rng: Random, draft: Draft) -> Mutation | None:
    location, step = pick(rng, steps(draft.spec)) or (None, None)
    if step is None:
        return None
    kind = rng.choice(
        ["two-kinds", "no-kind", "retries-not-run", "timeout-on-wait", "gate-in-finally"]
    )
    if kind == "two-kinds":
        step["wait" if "wait" not in step else "gate"] = (
            {"duration": "1h"} if "wait" not in step else {"approvers": {"groups": ["qa"]}}
        )
        where = location
    elif kind == "no-kind":
        for name in ("run", "gate", "wait"):
            step.pop(name, None)
        where = location
    elif kind == "retries-not-run":
        if isinstance(step.get("run"), dict):
            return None
        step["retries"] = {"limit": 1}
        where = (*location, "retries")
    elif kind == "timeout-on-wait":
        if not isinstance(step.get("wait"), dict):
            return None
        step["timeout"] = "1h"
        where = (*location, "timeout")
    else:
        if not isinstance(draft.spec.get("finally", []), list):
            return None
        final = draft.spec.setdefault("finally", [])
        final.append({"name": "late-gate", "gate": {"approvers": {"groups": ["qa"]}}})
        where = ("finally", len(final) - 1, "gate")
    return Mutation(kind, path_of(where), exactly(where))


def step_count(rng: Random, draft: Draft) -> Mutation | None:
    if not isinstance(draft.spec, dict):
        return None
    if rng.random() < 0.5:
        draft.spec["steps"] = []
    else:
        draft.spec["steps"] = [{"name": f"w{i}", "wait": {"duration": "1s"}} for i in range(101)]
    return Mutation("step-count", "spec.steps", r"spec\.steps")


def missing_required(rng: Random, draft: Draft) -> Mutation | None:
    """A required field left out, or written as null."""
    choices: list[Location] = [loc for loc in REQUIRED if isinstance(draft.spec, dict)]
    for location, step in steps(draft.spec):
        choices.append((*location, "name"))
        choices += [
            (*location, *STEP_REQUIRED[kind])
            for kind in STEP_REQUIRED
            if isinstance(step.get(kind), dict)
        ]
    location = pick(rng, choices)
    if location is None:
        return None
    parent = draft.spec
    for part in location[:-1]:
        parent = parent[part]
    if rng.random() < 0.5:
        parent.pop(location[-1], None)
        kind = "missing"
    else:
        parent[location[-1]] = None
        kind = "null"
    return Mutation(f"{kind}-required", path_of(location), exactly(location))


def wrong_container(rng: Random, draft: Draft) -> Mutation | None:
    """A list where a map belongs, or a map where a list belongs."""
    choices: list[tuple[Location, Any]] = []
    if isinstance(draft.spec, dict):
        choices += [(("params",), ["a", "b"]), (("steps",), {"build": {"run": {"image": "i"}}})]
    for location, step in steps(draft.spec):
        choices.append(((*location, "needs"), {"build": True}))
        if isinstance(step.get("run"), dict):
            choices += [
                ((*location, "run", "env"), {"REV": "1"}),
                ((*location, "run", "command"), {"sh": "-c"}),
                ((*location, "run", "nodeSelector"), [["disk", "ssd"]]),
            ]
        if isinstance(step.get("gate"), dict):
            choices.append(((*location, "gate", "approvers"), ["alice@example.com"]))
    if not choices:
        return None
    location, value = rng.choice(choices)
    parent = draft.spec
    for part in location[:-1]:
        parent = parent[part]
    parent[location[-1]] = copy.deepcopy(value)
    return Mutation("wrong-container", path_of(location), exactly(location) + r"(\..*|\[.*)?")


def pod_policy(rng: Random, draft: Draft) -> Mutation | None:
    """What the default step-pod policy refuses: tolerate-everything, labels outside the prefix."""
    location, step = pick(rng, kinded(draft.spec, "run", ("steps", "finally"))) or (None, None)
    if step is None:
        return None
    run = step["run"]
    kind = rng.choice(["tolerate-all", "reserved-label", "foreign-label"])
    if kind == "tolerate-all":
        run["tolerations"] = [{"key": "dedicated", "operator": "Equal"}, {"operator": "Exists"}]
        where: Location = (*location, "run", "tolerations", 1)
    else:
        key = rng.choice(["job-name", "appdeploy.dev/step", "controller-uid"])
        if kind == "foreign-label":
            key = rng.choice(["app", "team.example.com/owner"])
        run["podMetadata"] = {"labels": {key: "x"}}
        where = (*location, "run", "podMetadata", "labels", key)
    return Mutation(kind, path_of(where), exactly(where))
