"""Gates: distinct allowed approvers, refusals that change nothing, rejection, deadlines."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.engine import DecisionKind, ObservedDecision, Settings
from tests.unit.harness import T0, Simulation


def _unchanged(sim: Simulation, action: object) -> None:
    before = sim.step("qa")
    assert callable(action)
    action()
    after = sim.step("qa")
    assert after == before, "a refused decision changes nothing"


def test_a_gate_waits_with_a_deadline_from_the_moment_its_needs_succeed() -> None:
    sim = Simulation.of("gates")
    qa = sim.step("qa")
    assert (qa.phase, qa.started_at, qa.deadline) == ("Waiting", T0, T0 + timedelta(hours=24))
    assert sim.phase == "AwaitingApproval"
    assert sim.model.message == (
        "qa: 0 of 2 approvals (group qa or user system:serviceaccount:ci:release-bot), "
        "deadline 2026-11-28T09:00:00Z"
    )
    assert "GateWaiting" in sim.reasons()


def test_two_distinct_allowed_people_pass_the_gate() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice", comment="ok on iPhone 15")
    assert sim.model.message.startswith("qa: 1 of 2 approvals")
    sim.approve("qa", "bob")
    qa = sim.step("qa")
    assert qa.phase == "Succeeded"
    assert qa.message == "approved by alice, bob"
    assert [(a.user, a.comment, a.verified) for a in qa.approvals] == [
        ("alice", "ok on iPhone 15", True),
        ("bob", "", True),
    ]
    assert sim.step("compliance").phase == "Waiting"


def test_the_same_person_twice_counts_once_and_is_told_so() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice", comment="first")
    _unchanged(sim, lambda: sim.approve("qa", "alice", comment="second"))
    assert sim.warnings()[-1] == "approval of qa by alice refused: alice already approved qa"
    assert not sim.decisions, "the annotation is removed either way"


def test_a_replayed_annotation_after_a_crash_is_not_a_second_approval() -> None:
    sim = Simulation.of("gates")
    key = "approve.appdeploy.dev/qa"
    decision = ObservedDecision(
        key, DecisionKind.APPROVE, "qa", "alice", ("qa",), "ok", at=sim.now, verified=True, run=1
    )
    sim.decisions[key] = decision
    sim.reconcile()
    sim.decisions[key] = decision  # the status was written, the annotation removal was lost
    sim.reconcile()
    assert len(sim.step("qa").approvals) == 1
    assert sim.warnings() == [], "no refusal for what was already recorded"
    assert not sim.decisions


def test_a_replayed_annotation_of_the_approval_that_passed_the_gate_is_not_refused() -> None:
    # Found by the chaos suite: a crash after the status write, before the annotation
    # removal, left bob's approval (the one that passed qa) in place; the restarted
    # operator refused it as "qa already passed", a Warning saying bob was refused.
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    key = "approve.appdeploy.dev/qa"
    decision = sim.signed(DecisionKind.APPROVE, "qa", "bob", ("qa",), "ok")
    sim.decisions[key] = decision
    sim.reconcile()
    assert sim.step("qa").phase == "Succeeded"
    sim.decisions[key] = decision  # the status was written, the annotation removal was lost
    sim.reconcile()
    assert [a.user for a in sim.step("qa").approvals] == ["alice", "bob"]
    assert sim.warnings() == [], "no refusal for what was already recorded"
    assert not sim.decisions


def test_someone_not_allowed_is_refused_and_nothing_changes() -> None:
    sim = Simulation.of("gates")
    _unchanged(sim, lambda: sim.approve("qa", "mallory", groups=("dev",)))
    assert sim.warnings()[-1] == (
        "approval of qa by mallory refused: mallory is not an approver of qa: it needs "
        "group qa or user system:serviceaccount:ci:release-bot"
    )


def test_a_service_account_decides_only_when_listed_by_name() -> None:
    sim = Simulation.of("gates")
    _unchanged(
        sim,
        lambda: sim.approve(
            "qa",
            "system:serviceaccount:argocd:argocd-application-controller",
            groups=("qa", "system:serviceaccounts"),
        ),
    )
    assert "is not an approver of qa" in sim.warnings()[-1]
    sim.approve("qa", "system:serviceaccount:ci:release-bot", groups=("system:serviceaccounts",))
    assert len(sim.step("qa").approvals) == 1


def test_distinct_from_keeps_qa_approvers_off_compliance() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    before = sim.step("compliance")
    sim.approve("compliance", "alice", groups=("qa", "compliance"))
    assert sim.step("compliance") == before
    assert sim.warnings()[-1] == (
        "approval of compliance by alice refused: alice approved qa, and compliance must be "
        "decided by someone else (distinctFrom)"
    )
    sim.approve("compliance", "carol", groups=("compliance",))
    assert sim.step("compliance").phase == "Succeeded"


def test_unknown_gates_and_gates_not_waiting_are_refused_with_what_they_wait_for() -> None:
    sim = Simulation.of("gates")
    sim.approve("complience", "alice")
    assert sim.warnings()[-1] == (
        'approval of complience by alice refused: no gate named "complience" '
        '(did you mean "compliance"?)'
    )
    sim.approve("signoff", "alice")
    assert sim.warnings()[-1].endswith(
        'no gate named "signoff" (gates: qa, compliance, quiet-period)'
    )
    sim.approve("compliance", "carol", groups=("compliance",))
    assert sim.warnings()[-1] == (
        "approval of compliance by carol refused: compliance is Pending: it waits for qa (Waiting)"
    )
    sim.approve("ship", "carol")
    assert sim.warnings()[-1].endswith("ship is a run step, not a gate")
    assert sim.step("compliance").approvals == []


def test_unverified_approvals_count_only_when_the_operator_trusts_them() -> None:
    sim = Simulation.of("gates")
    _unchanged(sim, lambda: sim.approve("qa", "alice", verified=False))
    assert "the identity is not verified" in sim.warnings()[-1]
    trusting = Simulation.of("gates", settings=Settings(trust_unverified_approvals=True))
    trusting.approve("qa", "alice", verified=False)
    trusting.approve("qa", "bob", verified=False)
    assert trusting.step("qa").phase == "Succeeded"
    assert [a.verified for a in trusting.step("qa").approvals] == [False, False]


def test_a_forged_or_unreadable_approval_is_refused_with_its_problem() -> None:
    sim = Simulation.of("gates")
    _unchanged(sim, lambda: sim.approve("qa", "alice", problem="signature does not match"))
    assert sim.warnings()[-1] == "approval of qa by alice refused: signature does not match"


def test_one_rejection_fails_the_gate_and_the_run() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.reject("qa", "bob", comment="crash on launch on Android 14")
    qa = sim.step("qa")
    assert qa.phase == "Failed"
    assert qa.rejection is not None and qa.rejection.user == "bob"
    assert qa.message == "rejected by bob: crash on launch on Android 14"
    assert sim.phase == "Failed"
    assert set(sim.phases().values()) == {"Failed", "Skipped"}


def test_a_person_who_approved_cannot_then_reject() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.reject("qa", "alice", comment="changed my mind")
    assert sim.step("qa").phase == "Waiting"
    assert sim.warnings()[-1].endswith("alice already approved qa")


def test_deadline_with_on_timeout_fail() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.wake()
    qa = sim.step("qa")
    assert (qa.phase, qa.message) == (
        "Failed",
        "no decision before its deadline (1 of 2 approvals)",
    )
    assert sim.phase == "Failed"


def test_deadline_with_on_timeout_approve() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.approve("compliance", "carol", groups=("compliance",))
    quiet = sim.step("quiet-period")
    assert quiet.deadline == sim.now + timedelta(hours=2), "the step timeout overrides"
    sim.wake()
    quiet = sim.step("quiet-period")
    assert (quiet.phase, quiet.message) == (
        "Succeeded",
        "approved at its deadline (0 of 1 approvals)",
    )
    assert sim.step("ship").phase == "Running"


def test_a_decision_signed_for_an_earlier_run_is_refused() -> None:
    sim = Simulation.of("gates")
    sim.change_spec(version="4.0.1")
    key = "approve.appdeploy.dev/qa"
    sim.decisions[key] = ObservedDecision(
        key, DecisionKind.APPROVE, "qa", "alice", ("qa",), "ok", at=sim.now, verified=True, run=1
    )
    sim.reconcile()
    assert sim.step("qa").approvals == []
    assert sim.warnings()[-1] == (
        "approval of qa by alice refused: it was made for run 1, and the current run is 2 "
        "(the spec changed); decide again"
    )
