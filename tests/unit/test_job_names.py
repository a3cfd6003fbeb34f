"""Job names: readable, at most 63 characters, unique per (deployment, step, run, attempt).

And an operator upgrade that changes the naming scheme mid-run neither loses
nor duplicates a running Job: the planner matches Jobs by their labels, and an
adopted Job keeps the name it was created with.
"""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from appdeploy.api.base import DNS_LABEL_PATTERN
from appdeploy.api.naming import MAX_NAME, job_name_for
from appdeploy.engine import JobState, ObservedJob
from tests.unit.harness import T0, Simulation, load_spec

# The scheme before names carried a hash: ambiguous, and what upgraded operators find.
OLD_NAME = "rel-build-r1-a1"


def test_names_read_as_deployment_step_run_attempt_then_a_hash() -> None:
    name = job_name_for("shop-4-12-0", "build-ios", 3, 1)
    assert re.fullmatch(r"shop-4-12-0-build-ios-r3-a1-[0-9a-f]{8}", name), name
    assert name == job_name_for("shop-4-12-0", "build-ios", 3, 1), "deterministic"


def test_a_release_and_step_that_read_alike_get_different_names() -> None:
    assert job_name_for("foo-bar", "baz", 1, 1) != job_name_for("foo", "bar-baz", 1, 1)
    assert job_name_for("foo-bar", "baz", 1, 1).startswith("foo-bar-baz-r1-a1-")


def test_long_names_are_cut_to_63_characters_and_stay_distinct() -> None:
    long = job_name_for("a" * 60, "b" * 60, 12, 3)
    assert len(long) == MAX_NAME
    assert "-r12-a3-" in long
    assert long != job_name_for("a" * 60, "b" * 59 + "c", 12, 3)
    assert not job_name_for("a" * 50, "-" + "b" * 10, 1, 1).startswith("-")


_words = st.lists(st.from_regex(r"\A[a-z0-9]{1,12}\Z"), min_size=2, max_size=8)


@st.composite
def _attempts_that_read_alike(draw: st.DrawFn) -> list[tuple[str, str, int, int]]:
    """Attempts whose readable parts coincide: one dashed text split at different dashes."""
    words = draw(_words)
    run, attempt = draw(st.integers(1, 10**12)), draw(st.integers(1, 1000))
    return [
        ("-".join(words[:cut]), "-".join(words[cut:]), run, attempt) for cut in range(1, len(words))
    ] + [("-".join(words), "x", run, attempt), ("-".join(words), "x", run, attempt + 1)]


@given(_attempts_that_read_alike())
def test_distinct_attempts_never_share_a_name(attempts: list[tuple[str, str, int, int]]) -> None:
    names = [job_name_for(*attempt) for attempt in attempts]
    assert len(set(names)) == len(names), names
    for name in names:
        assert len(name) <= MAX_NAME
        assert re.fullmatch(DNS_LABEL_PATTERN, name), name


def _with_old_name(sim: Simulation) -> None:
    """Rename the running build Job (and status) as an operator before the hash scheme did."""
    job = sim.jobs.pop(sim.job_of("build").name)
    sim.jobs[OLD_NAME] = replace(job, name=OLD_NAME)
    assert sim.status is not None
    for step in sim.status["steps"]:
        if step["name"] == "build":
            step["job"] = OLD_NAME


def test_an_upgraded_operator_follows_the_running_job_of_the_old_scheme() -> None:
    sim = Simulation.of("linear")
    _with_old_name(sim)
    created, deleted = len(sim.created), len(sim.deleted)
    sim.reconcile()
    assert (len(sim.created), len(sim.deleted)) == (created, deleted), "nothing new, nothing lost"
    assert sim.step("build").job == OLD_NAME
    sim.complete("build", '{"buildNumber": "412"}')
    assert sim.step("build").phase == "Succeeded"
    assert sim.step("build").outputs == {"buildNumber": "412"}


def test_a_failed_old_scheme_attempt_is_retried_under_the_new_scheme() -> None:
    spec = load_spec("linear")
    spec["steps"][0]["retries"] = {"limit": 1, "backoff": "30s"}
    sim = Simulation(spec)
    sim.reconcile()
    _with_old_name(sim)
    sim.fail("build")
    sim.wake()
    assert sim.step("build").attempts == 2
    assert sim.created[-1].name == job_name_for("rel", "build", 1, 2)
    assert sim.step("build").job == job_name_for("rel", "build", 1, 2)
    assert OLD_NAME not in sim.deleted, "a finished Job is left to its TTL"


def test_a_job_created_by_an_old_operator_before_its_status_write_is_adopted() -> None:
    sim = Simulation(load_spec("linear"))
    sim.jobs[OLD_NAME] = ObservedJob(OLD_NAME, "build", 1, 1, JobState.ACTIVE, created_at=T0)
    sim.reconcile()
    assert sim.created == [], "adopted, not created again under the new name"
    assert sim.deleted == [], "not taken for an orphan either"
    assert sim.step("build").phase == "Running"
    assert sim.step("build").job == OLD_NAME
