"""Gate waits by approver group, soaks, and failure and retry rates, from the current runs."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.console.insights import insights
from appdeploy.console.step_figures import GateWait, Spread
from appdeploy.engine.gate_groups import NO_GROUP
from tests.unit.console.bodies import T0, approval, minutes, release, step

NOW = T0 + timedelta(days=2)
GATES = {"qa-signoff": ["qa"], "compliance": ["compliance", "qa"]}


def _qa(start: float, end: float, *deciders: tuple[str, list[str]]) -> dict[str, object]:
    return step(
        "qa-signoff",
        "gate",
        "Succeeded",
        start,
        end,
        approvals=[approval(user, groups, end) for user, groups in deciders],
    )


def test_gate_waits_are_grouped_by_the_approver_group_that_decided() -> None:
    bodies = [
        release("r1", end=100, gates=GATES, steps=[
            _qa(10, 70, ("alice", ["qa"])),
            step("compliance", "gate", "Succeeded", 70, 100,
                 approvals=[approval("dana", ["qa", "sre"], 100)]),
        ]),
        release("r2", start=200, end=400, gates=GATES, steps=[
            _qa(210, 390, ("bob", ["qa"])),
            step("compliance", "gate", "Succeeded", 390, 400,
                 approvals=[approval("erin", ["compliance"], 400)]),
        ]),
        release("r3", phase="AwaitingApproval", start=500, gates=GATES, steps=[
            step("qa-signoff", "gate", "Waiting", 510),
        ]),
        release("r4", phase="Cancelled", start=600, end=650, gates=GATES, steps=[
            step("qa-signoff", "gate", "Cancelled", 610, 650),  # not a wait on people
        ]),
        release("r5", phase="Failed", start=700, end=760, steps=[
            step("quiet", "gate", "Failed", 700, 760),  # timed out; only named users
        ]),
    ]  # fmt: skip
    (app,) = insights(bodies, NOW)
    assert app.gates == (
        GateWait("compliance", "compliance", Spread(1, minutes(10), minutes(10), minutes(10)), 0),
        GateWait("compliance", "qa", Spread(1, minutes(30), minutes(30), minutes(30)), 0),
        GateWait("qa-signoff", "qa", Spread(2, minutes(60), minutes(180), minutes(180)), 1),
        GateWait("quiet", NO_GROUP, Spread(1, minutes(60), minutes(60), minutes(60)), 0),
    )


def test_a_gate_only_waiting_has_no_spread_but_counts_as_waiting() -> None:
    body = release(
        "r", phase="AwaitingApproval", gates=GATES, steps=[step("qa-signoff", "gate", "Waiting", 5)]
    )
    (app,) = insights([body], NOW)
    assert app.gates == (GateWait("qa-signoff", "qa", None, 1),)


def test_soaks_count_finished_wait_steps_only() -> None:
    bodies = [
        release("r1", steps=[step("soak", "wait", "Succeeded", 0, 60)]),
        release("r2", start=100, steps=[step("soak", "wait", "Succeeded", 100, 340)]),
        release("r3", phase="Running", start=400, steps=[step("soak", "wait", "Waiting", 400)]),
    ]
    (app,) = insights(bodies, NOW)
    ((name, soaks),) = [(soak.step, soak.soaks) for soak in app.soaks]
    assert (name, soaks) == ("soak", Spread(2, minutes(60), minutes(240), minutes(240)))


def test_failure_and_retry_rates_by_step_over_the_runs_it_started_in() -> None:
    bodies = [
        release("r1", steps=[
            step("build", "run", "Succeeded", 0, 10, attempts=3),
            step("qa", "gate", "Succeeded", 10, 20, opened=2),
            step("ship", "run", "Succeeded", 20, 30, attempts=1),
        ]),
        release("r2", phase="Failed", start=100, end=110, steps=[
            step("build", "run", "Failed", 100, 110, attempts=1),
            step("qa", "gate", "Skipped"),
            step("ship", "run", "Skipped"),
        ]),
        release("r3", phase="Failed", start=200, end=200, steps=[
            step("build", "run", "Failed", message="Job refused"),  # failed before it started
        ]),
    ]  # fmt: skip
    (app,) = insights(bodies, NOW)
    rates = {
        rate.step: (rate.type, rate.started, rate.failed, rate.retried, rate.failure_rate)
        for rate in app.steps
    }
    assert rates == {
        "build": ("run", 3, 2, 1, 2 / 3),
        "qa": ("gate", 1, 0, 1, 0.0),
        "ship": ("run", 1, 0, 0, 0.0),
    }
    assert {rate.step: rate.retry_rate for rate in app.steps}["build"] == 1 / 3
