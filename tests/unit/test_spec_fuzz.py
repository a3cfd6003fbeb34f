"""Generated releases, valid and subtly broken, through parse_spec, the webhook, the CRD and plan.

A modest number of cases runs here (``FUZZ_EXAMPLES``, default 120, a few
seconds); ``make fuzz`` runs 10,000 and prints the figures kept in
docs/reliability.md. The oracle (tests/fuzz/oracle.py) says what must hold.
"""

from __future__ import annotations

import copy
import os
from random import Random

import pytest

from tests.fuzz.campaign import run
from tests.fuzz.cases import MUTATIONS, Case, MutationFn
from tests.fuzz.locations import Draft
from tests.fuzz.oracle import judge
from tests.fuzz.valid import valid_spec

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))


def test_generated_releases_pass_every_layer_in_agreement() -> None:
    figures = run(range(EXAMPLES))
    assert not figures.failures, figures.report()
    assert 0 < figures.valid < figures.examples, "both valid and invalid releases were drawn"
    assert figures.strict > 0


def _first_case(mutate: MutationFn) -> Case:
    for seed in range(500):
        base = valid_spec(Random(seed))
        draft = Draft(copy.deepcopy(base))
        if (mutation := mutate(Random(seed), draft)) is not None:
            return Case(seed, "rel", base, draft.spec, (mutation,))
    raise AssertionError(f"{mutate.__name__} applied to none of 500 releases")


@pytest.mark.parametrize("mutate", [m for m, _ in MUTATIONS], ids=lambda m: m.__name__)
def test_every_mutation_is_refused_where_it_broke_the_release(mutate: MutationFn) -> None:
    case = _first_case(mutate)
    verdict = judge(case)
    (mutation,) = case.mutations
    if mutation.expect:
        assert not verdict.valid, f"{mutation.kind} at {mutation.path} was accepted"
