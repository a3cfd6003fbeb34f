"""What status says about the run: phase, message, conditions and Events."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.api.status import Condition
from tests.unit.harness import T0, Simulation


def conditions(sim: Simulation) -> dict[str, Condition]:
    return {condition.type: condition for condition in sim.model.conditions}


def test_conditions_follow_kstatus_through_a_run() -> None:
    sim = Simulation.of("linear")
    running = conditions(sim)
    assert (running["Ready"].status, running["Reconciling"].status, running["Stalled"].status) == (
        "False",
        "True",
        "False",
    )
    assert running["Reconciling"].reason == "Running"
    assert all(c.observed_generation == 1 for c in running.values())

    sim.advance(timedelta(minutes=5))
    sim.complete("build", '{"buildNumber": "1"}')
    waiting = conditions(sim)
    assert waiting["Ready"].reason == "AwaitingApproval"
    assert waiting["Ready"].message.startswith("qa: 0 of 2 approvals")
    assert waiting["Reconciling"].last_transition_time == T0, "status did not flip"

    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.wake()
    sim.complete("ship")
    sim.complete("notify")
    done = conditions(sim)
    assert (done["Ready"].status, done["Reconciling"].status) == ("True", "False")
    assert done["Ready"].last_transition_time == sim.now
    assert done["Ready"].reason == "Succeeded"


def test_the_phase_is_awaiting_approval_only_when_nothing_else_moves() -> None:
    sim = Simulation(
        {
            "app": "a",
            "version": "1",
            "steps": [
                {"name": "qa", "gate": {"approvers": {"groups": ["qa"]}}},
                {"name": "build", "run": {"image": "b"}},
            ],
        }
    )
    sim.reconcile()
    assert sim.phase == "Running"
    assert sim.model.message.startswith("running build; qa: 0 of 1 approvals (group qa)")
    sim.complete("build")
    assert sim.phase == "AwaitingApproval"


def test_every_step_transition_posts_one_event() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "7"}')
    sim.reconcile()
    assert sim.reasons() == ["RunStarted", "StepStarted", "StepSucceeded", "GateWaiting"]
    gate_event = sim.events[-1].message
    assert gate_event == (
        "qa waits for 2 approval(s) from group qa until 2026-11-30T09:00:00Z: QA checks build 7"
    )
    sim.reject("qa", "bob", comment="no")
    sim.complete("notify")
    assert sim.reasons()[-1] == "RunFailed"
    assert sim.events[-1].type == "Warning"


def test_a_wait_step_succeeds_at_the_end_of_its_duration() -> None:
    sim = Simulation(
        {"app": "a", "version": "1", "steps": [{"name": "soak", "wait": {"duration": "24h"}}]}
    )
    sim.reconcile()
    assert sim.model.message == "soak: waiting until 2026-11-28T09:00:00Z"
    assert sim.last is not None and sim.last.requeue_after == timedelta(hours=24)
    sim.advance(timedelta(hours=30))
    soak = sim.step("soak")
    assert (soak.phase, soak.finished_at) == ("Succeeded", T0 + timedelta(hours=24))
    assert sim.phase == "Succeeded"


def test_a_zero_length_wait_ripples_through_in_one_pass() -> None:
    sim = Simulation(
        {
            "app": "a",
            "version": "1",
            "steps": [
                {"name": "w1", "wait": {"duration": "0s"}},
                {"name": "w2", "needs": ["w1"], "wait": {"duration": "0s"}},
                {"name": "go", "needs": ["w2"], "run": {"image": "g"}},
            ],
        }
    )
    sim.reconcile()
    assert sim.phases() == {"w1": "Succeeded", "w2": "Succeeded", "go": "Running"}


def test_nothing_to_wake_for_when_the_run_has_ended() -> None:
    sim = Simulation({"app": "a", "version": "1", "steps": [{"name": "b", "run": {"image": "b"}}]})
    sim.reconcile()
    sim.complete("b")
    assert sim.phase == "Succeeded"
    assert sim.last is not None and sim.last.requeue_after is None
    again = sim.reconcile()
    assert again.actions == (), "a finished run asks for nothing"
