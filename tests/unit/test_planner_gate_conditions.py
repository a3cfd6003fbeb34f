"""AwaitingApproval and the per-gate conditions: what `kubectl wait` waits on."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

from appdeploy.api.status import CONDITION_REASON_PATTERN, CONDITION_TYPE_PATTERN, Condition
from appdeploy.api.timestamps import format_timestamp
from appdeploy.engine.gate_conditions import camel_case, gate_condition_type
from tests.unit.harness import T0, Simulation

QA = "gates.appdeploy.dev/qa"


def conditions(sim: Simulation) -> dict[str, Condition]:
    return {condition.type: condition for condition in sim.model.conditions}


def shown(sim: Simulation, kind: str) -> tuple[str, str, str]:
    condition = conditions(sim)[kind]
    return str(condition.status), condition.reason, condition.message


def two_gates() -> Simulation:
    return Simulation(
        {
            "app": "a",
            "version": "1",
            "steps": [
                {"name": "qa-signoff", "gate": {"approvers": {"groups": ["qa"]}}},
                {"name": "compliance", "gate": {"approvers": {"groups": ["compliance"]}}},
            ],
        }
    )


def test_a_gate_is_unknown_until_decided_and_true_once_passed() -> None:
    sim = Simulation.of("linear")
    assert shown(sim, "AwaitingApproval") == ("False", "Running", "")
    assert shown(sim, QA) == ("Unknown", "Pending", "opens when build succeeds")
    assert [c.type for c in sim.model.conditions] == [
        "Ready",
        "Reconciling",
        "Stalled",
        "AwaitingApproval",
        QA,
    ]
    assert all(c.observed_generation == 1 for c in sim.model.conditions)

    sim.advance(timedelta(minutes=5))
    sim.complete("build", '{"buildNumber": "1"}')
    deadline = format_timestamp(sim.now + timedelta(hours=72))
    status, reason, message = shown(sim, "AwaitingApproval")
    assert (status, reason) == ("True", "Qa")
    assert message == f"qa: 0 of 2 approvals (group qa), deadline {deadline}"
    assert conditions(sim)["AwaitingApproval"].last_transition_time == sim.now
    assert shown(sim, QA) == (
        "Unknown",
        "Waiting",
        f"0 of 2 approvals (group qa), deadline {deadline}",
    )
    assert conditions(sim)[QA].last_transition_time == T0, "Unknown to Unknown is no flip"
    assert sim.model.waiting_on == "qa"

    sim.advance(timedelta(minutes=1))
    sim.approve("qa", "alice")
    assert shown(sim, QA)[2].endswith("; approved by alice")
    assert shown(sim, "AwaitingApproval")[2].startswith("qa: 1 of 2 approvals")

    sim.advance(timedelta(minutes=1))
    sim.approve("qa", "bob")
    assert shown(sim, QA) == ("True", "Approved", "approved by alice, bob")
    assert conditions(sim)[QA].last_transition_time == sim.now
    assert shown(sim, "AwaitingApproval") == ("False", "Running", "")
    assert sim.model.waiting_on == ""
    passed_at = sim.now
    sim.wake()
    assert conditions(sim)[QA].last_transition_time == passed_at


def test_a_rejected_gate_is_false_and_says_who() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.reject("qa", "bob", comment="crashes on launch")
    assert shown(sim, QA) == ("False", "Rejected", "rejected by bob: crashes on launch")
    assert shown(sim, "AwaitingApproval")[:2] == ("False", "Running"), "finally still runs"


def test_a_deadline_fails_or_passes_the_gate_as_timed_out() -> None:
    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.advance(timedelta(hours=24))
    assert shown(sim, "gates.appdeploy.dev/qa") == (
        "False",
        "TimedOut",
        "no decision before its deadline (1 of 2 approvals)",
    )
    assert shown(sim, "gates.appdeploy.dev/compliance")[:2] == ("False", "Skipped")

    sim = Simulation.of("gates")
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.approve("compliance", "carol", ("compliance",))
    sim.advance(timedelta(hours=2))
    assert shown(sim, "gates.appdeploy.dev/quiet-period") == (
        "True",
        "TimedOut",
        "approved at its deadline (0 of 1 approvals)",
    )


def test_a_gate_skipped_or_cancelled_is_false() -> None:
    sim = Simulation.of("linear")
    sim.fail("build")
    assert shown(sim, QA) == ("False", "Skipped", "not run: build failed")

    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.request("cancel", "wrong branch")
    assert shown(sim, QA) == ("False", "Cancelled", "cancelled: wrong branch (by rm@example.com)")


def test_a_passed_gate_whose_approvals_no_longer_verify_is_false() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    tampered = copy.deepcopy(sim.status or {})
    [qa] = [step for step in tampered["steps"] if step["name"] == "qa"]
    qa.update(phase="Succeeded", finishedAt=qa["startedAt"])
    qa["approvals"] = [{"user": u, "at": qa["startedAt"], "run": 1} for u in ("x", "y")]
    sim.status = tampered
    sim.advance(timedelta(minutes=1))
    status, reason, message = shown(sim, QA)
    assert (status, reason) == ("False", "DecisionsUnverified")
    assert message.startswith("its recorded approvals no longer verify (0 of 2")


def test_parallel_gates_are_all_named() -> None:
    sim = two_gates()
    sim.reconcile()
    status, reason, message = shown(sim, "AwaitingApproval")
    assert (status, reason) == ("True", "QaSignoff,Compliance")
    assert message.startswith("qa-signoff: 0 of 1 approvals (group qa), deadline ")
    assert "; compliance: 0 of 1 approvals (group compliance)" in message
    assert sim.model.waiting_on == "qa-signoff, compliance"

    sim.approve("qa-signoff", "alice")
    assert shown(sim, "AwaitingApproval")[:2] == ("True", "Compliance")
    assert sim.model.waiting_on == "compliance"


def test_a_new_run_starts_its_gates_over_and_drops_removed_ones() -> None:
    sim = two_gates()
    sim.reconcile()
    sim.approve("qa-signoff", "alice")
    gate = "gates.appdeploy.dev/qa-signoff"
    assert shown(sim, gate)[0] == "True"
    sim.advance(timedelta(minutes=1))
    sim.change_spec(steps=[{"name": "qa-signoff", "gate": {"approvers": {"groups": ["qa"]}}}])
    assert shown(sim, gate)[:2] == ("Unknown", "Waiting")
    assert conditions(sim)[gate].last_transition_time == sim.now
    assert "gates.appdeploy.dev/compliance" not in conditions(sim)
    assert all(c.observed_generation == 2 for c in sim.model.conditions)


def test_an_invalid_spec_awaits_nobody() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.change_spec(steps=[{"name": "qa", "needs": ["nope"], "gate": {"approvers": {}}}])
    assert sim.phase == "Invalid"
    assert shown(sim, "AwaitingApproval") == ("False", "InvalidSpec", "")
    assert QA not in conditions(sim)
    assert sim.model.waiting_on == ""


def test_types_and_reasons_are_valid_metav1_conditions() -> None:
    longest = "g" * 63  # gate names are DNS labels of at most 63 characters
    kind = gate_condition_type(longest)
    prefix, name = kind.split("/")
    assert re.fullmatch(CONDITION_TYPE_PATTERN, kind) and len(kind) <= 316
    # metav1's IsQualifiedName: the prefix a DNS subdomain, the name at most 63.
    assert prefix == "gates.appdeploy.dev" and len(name) <= 63
    for gate in ("qa-signoff", "1st-look", "a", longest, "x-1-y"):
        assert re.fullmatch(CONDITION_REASON_PATTERN, camel_case(gate)), gate
    assert camel_case("qa-signoff") == "QaSignoff"
    assert camel_case("1st-look") == "Gate1stLook"
