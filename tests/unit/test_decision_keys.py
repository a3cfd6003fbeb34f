"""Each person's decision lives under a key of their own; nobody touches another's.

Two approvers at the same moment write ``approve.appdeploy.dev/qa``; the
mutating hook moves each to ``<author>.approve.appdeploy.dev/qa``, so neither
overwrites the other and neither needs ``--overwrite``. The validating hook
refuses changing or removing someone else's pending decision; the operator
alone removes decisions it consumed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from appdeploy.admission.decisions import refusals, signed_values
from appdeploy.api.approvals import Target, author_tag
from appdeploy.k8s.annotations import (
    authored_key,
    parse_decision_key,
    read_decision,
    read_request,
)
from tests.unit.harness import Simulation
from tests.unit.test_admission_decisions import KEY, NOW, stored

OPERATOR = "system:serviceaccount:appdeploy-system:appdeploy"


def with_annotations(body: dict[str, Any], annotations: dict[str, str]) -> dict[str, Any]:
    return {**body, "metadata": {**body["metadata"], "annotations": annotations}}


def signed_by(sim: Simulation, user: str, old: dict[str, Any]) -> dict[str, str]:
    """What the mutating hook stores when ``user`` writes approve.appdeploy.dev/qa."""
    new = with_annotations(
        old, {**old["metadata"]["annotations"], "approve.appdeploy.dev/qa": "ok"}
    )
    patch = signed_values(old, new, username=user, groups=["qa"], key=KEY, now=NOW)
    merged = {**new["metadata"]["annotations"], **patch}
    return {key: value for key, value in merged.items() if value is not None}


def test_two_people_writing_the_same_key_end_up_under_two_keys() -> None:
    sim = Simulation.of("gates")
    empty = stored(sim)
    after_alice = signed_by(sim, "alice", empty)
    after_both = signed_by(sim, "bob", with_annotations(empty, after_alice))
    assert sorted(after_both) == sorted(
        [authored_key("approve", "qa", "alice"), authored_key("approve", "qa", "bob")]
    )
    target = Target("ns", sim.name, "uid-1")
    users = {read_decision(k, v, target, KEY).user for k, v in after_both.items()}  # type: ignore[union-attr]
    assert users == {"alice", "bob"}


def test_nobody_changes_or_removes_another_persons_pending_decision() -> None:
    sim = Simulation.of("gates")
    old = with_annotations(stored(sim), signed_by(sim, "alice", stored(sim)))
    alice_key = authored_key("approve", "qa", "alice")

    overwritten = with_annotations(old, {alice_key: '{"user": "bob", "comment": "mine now"}'})
    [reason] = refusals(old, overwritten, username="bob", groups=["qa"], now=NOW)
    assert reason.startswith("bob may not change alice's pending approval of qa")

    removed = with_annotations(old, {})
    [reason] = refusals(old, removed, username="bob", groups=["qa"], now=NOW)
    assert reason.startswith("bob may not remove alice's pending approval of qa")

    assert refusals(old, removed, username="alice", groups=["qa"], now=NOW) == [], (
        "alice may withdraw her own pending decision"
    )
    assert refusals(old, removed, username=OPERATOR, groups=[], now=NOW, operator=OPERATOR) == []


def test_writing_under_someone_elses_key_is_not_signed_as_theirs() -> None:
    sim = Simulation.of("gates")
    old = stored(sim)
    alice_key = authored_key("approve", "qa", "alice")
    new = with_annotations(old, {alice_key: "ok"})
    assert signed_values(old, new, username="bob", groups=["qa"], key=KEY, now=NOW) == {}
    [reason] = refusals(old, new, username="bob", groups=["qa"], now=NOW)
    assert "bob may not change" in reason


def test_an_envelope_copied_under_another_authors_key_is_refused_by_the_operator() -> None:
    sim = Simulation.of("gates")
    annotations = signed_by(sim, "alice", stored(sim))
    [(key, value)] = annotations.items()
    copied = read_decision(
        authored_key("approve", "qa", "bob"), value, Target("ns", sim.name, "uid-1"), KEY
    )
    assert copied is not None and "another person's key" in copied.problem
    own = read_decision(key, value, Target("ns", sim.name, "uid-1"), KEY)
    assert own is not None and own.verified and not own.problem


@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_author_keys_are_valid_annotation_keys_and_never_shared(first: str, second: str) -> None:
    for user in (first, second):
        key = authored_key("approve", "qa-signoff", user)
        prefix, name = key.split("/")
        assert len(prefix) <= 253 and all(0 < len(label) <= 63 for label in prefix.split("."))
        assert prefix == prefix.lower() and name == "qa-signoff"
        parsed = parse_decision_key(key)
        assert parsed is not None and parsed.author == author_tag(user)
    if first != second:
        assert author_tag(first) != author_tag(second)


def test_mutated_requests_keep_the_time_they_were_signed() -> None:
    sim = Simulation.of("gates")
    later = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    old = stored(sim)
    new = with_annotations(old, {"approve.appdeploy.dev/qa": "ok"})
    patch = signed_values(old, new, username="alice", groups=["qa"], key=KEY, now=later)
    value = patch[authored_key("approve", "qa", "alice")]
    assert value is not None and '"at":"2026-11-27T13:00:00Z"' in value


def test_retry_and_cancel_are_signed_in_place_as_their_author() -> None:
    sim = Simulation.of("gates")
    old = stored(sim)
    new = with_annotations(old, {"appdeploy.dev/retry": "failed", "appdeploy.dev/cancel": "oops"})
    patch = signed_values(old, new, username="rm", groups=["release-managers"], key=KEY, now=NOW)
    target = Target("ns", sim.name, "uid-1")
    retry = read_request("appdeploy.dev/retry", patch["appdeploy.dev/retry"] or "", target, KEY)
    cancel = read_request("appdeploy.dev/cancel", patch["appdeploy.dev/cancel"] or "", target, KEY)
    assert (retry.value, retry.user, retry.verified) == ("failed", "rm", True)
    assert (cancel.value, cancel.user, cancel.verified) == ("oops", "rm", True)
    swapped = read_request("appdeploy.dev/cancel", patch["appdeploy.dev/retry"] or "", target, KEY)
    assert swapped.problem, "a retry's signature does not make a cancel"
