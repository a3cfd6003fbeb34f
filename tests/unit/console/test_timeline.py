"""The audit timeline: runs, decisions with their verified identity, notifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from appdeploy.api.stored import read_release
from appdeploy.console.timeline_view import timeline
from tests.unit.console.stories import body_of, gates_waiting


def test_decisions_are_listed_newest_first_with_who_and_whether_signed() -> None:
    sim = gates_waiting()
    sim.approve("qa", "alice", comment="ok on iPhone")
    sim.advance(timedelta(minutes=5))
    sim.settings = replace(sim.settings, trust_unverified_approvals=True)
    sim.approve("qa", "bob", verified=False)
    _, status = read_release(body_of(sim))
    entries = [(e.kind, e.what, e.who, e.verified) for e in timeline(status)]
    assert entries == [
        ("approve", "approve qa", "bob (qa)", False),
        ("approve", "approve qa: ok on iPhone", "alice (qa)", True),
        ("run", "run 1 started", "", None),
    ]


def test_a_superseded_run_stays_in_the_timeline() -> None:
    sim = gates_waiting()
    sim.approve("qa", "alice")
    sim.generation = 2
    sim.spec = {**sim.spec, "version": "4.0.1"}
    sim.reconcile()
    _, status = read_release(body_of(sim))
    whats = [e.what for e in timeline(status)]
    assert "run 1 ended: Superseded" in whats and "run 2 started" in whats
    assert [e.run for e in timeline(status) if e.kind == "approve"] == [1]
