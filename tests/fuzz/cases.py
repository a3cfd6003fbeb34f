"""One fuzz case per seed: a valid release, maybe broken by one or more mutations.

About a third of the cases stay valid. Of the rest most carry one mutation,
whose ``expect`` the oracle holds the refusal to; some carry two or three,
which may mask or undo each other, so only "no crash, every layer agrees,
every problem names a field" is asked of those.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Any

from tests.fuzz import rules, shapes
from tests.fuzz.locations import Draft, Mutation
from tests.fuzz.valid import valid_spec

MutationFn = Callable[[Random, Draft], Mutation | None]

# Weighted: the random ones (wrong types, unknown fields) find what nobody listed.
MUTATIONS: tuple[tuple[MutationFn, int], ...] = (
    (shapes.wrong_type, 6),
    (shapes.not_an_object, 1),
    (shapes.unknown_field, 4),
    (shapes.bad_duration, 4),
    (shapes.bad_quantity, 3),
    (shapes.huge_quantity, 1),
    (shapes.request_above_limit, 1),
    (shapes.odd_scalar, 3),
    (shapes.huge_text, 1),
    (shapes.deep_nesting, 1),
    (rules.cycle, 2),
    (rules.unknown_need, 3),
    (rules.bad_substitution, 4),
    (rules.duplicate_name, 2),
    (rules.bad_name, 2),
    (rules.gate_nobody_passes, 2),
    (rules.distinct_unknown, 1),
    (rules.kind_rules, 3),
    (rules.step_count, 1),
    (rules.missing_required, 3),
    (rules.wrong_container, 2),
    (rules.pod_policy, 2),
)
LONG_NAME = "release-" + "x" * 56
"""64 characters: one more than a release name may have."""


@dataclass(frozen=True)
class Case:
    """A release to judge: its name, the valid spec it came from, and what broke it."""

    seed: int
    name: str
    base: dict[str, Any]
    spec: Any
    mutations: tuple[Mutation, ...]

    @property
    def strict(self) -> bool:
        """One mutation: its refusal must name the field it broke."""
        return len(self.mutations) == 1


def case_for(seed: int) -> Case:
    """The case of this seed; the same seed always gives the same case."""
    rng = Random(seed)
    base = valid_spec(rng)
    name = rng.choice(["rel"] * 30 + [LONG_NAME, LONG_NAME[:63]])
    count = rng.choice([0, 0, 0, 1, 1, 1, 1, 1, 2, 3])
    draft = Draft(copy.deepcopy(base))
    mutations: list[Mutation] = []
    functions = [function for function, _ in MUTATIONS]
    weights = [weight for _, weight in MUTATIONS]
    attempts = 0
    while len(mutations) < count and attempts < 20:
        attempts += 1
        function = rng.choices(functions, weights)[0]
        if (mutation := function(rng, draft)) is not None:
            mutations.append(mutation)
    return Case(seed, name, base, draft.spec, tuple(mutations))
