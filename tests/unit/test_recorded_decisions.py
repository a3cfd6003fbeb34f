"""Recorded decisions are verified again on every pass, and kept as an audit trail.

Whoever can write status could otherwise pass a gate by writing a phase or an
approval; and a retry used to erase the approvals it replaced, with retry and
cancel themselves anonymous.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from appdeploy.engine import CreateJob, DecisionKind, ObservedRequest, Settings
from tests.unit.harness import Simulation


def qa_passed() -> Simulation:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice", comment="ok on iPhone 15")
    sim.approve("qa", "bob", comment="ok on Pixel 8")
    assert sim.step("qa").phase == "Succeeded"
    return sim


def qa_of(status: dict[str, Any]) -> dict[str, Any]:
    return next(step for step in status["steps"] if step["name"] == "qa")


def test_recorded_approvals_carry_the_signature_and_verify_on_every_pass() -> None:
    sim = qa_passed()
    recorded = qa_of(sim.status or {})["approvals"]
    assert [(a["user"], a["verified"], a["run"], len(a["signature"])) for a in recorded] == [
        ("alice", True, 1, 64),
        ("bob", True, 1, 64),
    ]
    sim.advance(timedelta(minutes=1))
    assert sim.step("qa").phase == "Succeeded"
    assert [a.verified for a in sim.step("qa").approvals] == [True, True]


def test_an_altered_record_never_passes_a_gate() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice")
    tampered = copy.deepcopy(sim.status or {})
    forged = {**qa_of(tampered)["approvals"][0], "user": "mallory"}
    qa_of(tampered)["approvals"].append(forged)  # a second "approver" written into status
    sim.status = tampered
    sim.advance(timedelta(minutes=1))
    qa = sim.step("qa")
    assert qa.phase == "Waiting", "mallory's copied signature does not verify"
    assert [(a.user, a.verified) for a in qa.approvals] == [("alice", True), ("mallory", False)]


def test_a_gate_written_as_succeeded_without_verified_approvals_fails_the_run() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    tampered = copy.deepcopy(sim.status or {})
    qa = qa_of(tampered)
    qa["phase"] = "Succeeded"
    qa["finishedAt"] = qa["startedAt"]
    qa["approvals"] = [
        {"user": u, "at": qa["startedAt"], "verified": True, "run": 1} for u in ("x", "y")
    ]
    sim.status = tampered
    result = sim.advance(timedelta(minutes=1))
    assert sim.step("qa").phase == "Failed"
    assert "recorded approvals no longer verify (0 of 2" in sim.step("qa").message
    assert sim.step("soak").phase == "Skipped", "nothing downstream starts"
    assert not [a for a in result.of_type(CreateJob) if a.step != "notify"]
    assert any(e.reason == "DecisionsUnverified" for e in sim.events)


def test_a_gate_passed_by_its_deadline_needs_no_signature() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.approve("compliance", "carol", ("compliance",))
    assert sim.step("quiet-period").phase == "Waiting"
    sim.advance(timedelta(hours=2))
    assert sim.step("quiet-period").phase == "Succeeded"
    sim.advance(timedelta(minutes=1))
    assert sim.step("quiet-period").phase == "Succeeded", "onTimeout: Approve stands"
    assert sim.step("ship").phase == "Running"


def test_every_accepted_action_stays_in_the_audit_trail_across_retries_and_runs() -> None:
    sim = qa_passed()
    sim.wake()
    sim.fail("ship")
    sim.complete("notify")
    sim.request("retry", "build")
    assert sim.step("qa").approvals == [], "the retry asks for fresh approvals"
    trail = [(d.kind, d.target, d.user) for d in sim.model.decisions]
    assert trail == [
        ("approve", "qa", "alice"),
        ("approve", "qa", "bob"),
        ("retry", "build", "rm@example.com"),
    ]
    assert all(d.verified and d.run == 1 for d in sim.model.decisions)
    sim.request("cancel", "wrong build")
    assert [(d.kind, d.comment) for d in sim.model.decisions][-1] == ("cancel", "wrong build")

    sim.change_spec(version="1.0.1")
    [previous] = sim.model.history
    assert [d.kind for d in previous.decisions] == ["approve", "approve", "retry", "cancel"]
    assert sim.model.decisions == [], "the new run starts its own trail"


def test_retry_and_cancel_are_refused_when_nobody_signed_them() -> None:
    sim = Simulation.of("linear")
    sim.fail("build")
    sim.complete("notify")
    key = "appdeploy.dev/retry"
    sim.requests[key] = ObservedRequest(key, "failed")
    sim.reconcile()
    assert "retry by someone refused: the identity is not verified" in sim.warnings()[-1]
    assert sim.phase == "Failed"
    sim.requests[key] = ObservedRequest(key, "failed", user="mallory", problem="forged")
    sim.reconcile()
    assert sim.warnings()[-1] == "retry by mallory refused: forged"

    trusting = Simulation.of("linear", settings=Settings(trust_unverified_approvals=True))
    trusting.fail("build")
    trusting.complete("notify")
    trusting.requests[key] = ObservedRequest(key, "failed")
    trusting.reconcile()
    assert trusting.step("build").phase == "Running"
    assert [(d.user, d.verified) for d in trusting.model.decisions] == [("unknown", False)]


def test_a_signature_made_for_another_run_does_not_count() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    stale = sim.signed(DecisionKind.APPROVE, "qa", "alice", ("qa",), run=7)
    sim.decisions[stale.annotation] = stale
    sim.reconcile()
    assert sim.step("qa").approvals == []


def test_a_person_whose_recorded_approval_no_longer_verifies_may_approve_again() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice", comment="first")
    tampered = copy.deepcopy(sim.status or {})
    qa_of(tampered)["approvals"][0]["signature"] = "0" * 64  # e.g. recorded before signatures
    sim.status = tampered
    sim.advance(timedelta(minutes=1))
    assert [a.verified for a in sim.step("qa").approvals] == [False]
    sim.approve("qa", "alice", comment="again")
    assert [(a.user, a.comment, a.verified) for a in sim.step("qa").approvals] == [
        ("alice", "again", True)
    ]
    sim.approve("qa", "alice", comment="third time")
    assert "alice already approved qa" in sim.warnings()[-1]
