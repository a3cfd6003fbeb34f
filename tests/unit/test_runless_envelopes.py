"""A decision signed without a run never counts, and the webhook never signs one.

The signature binds an envelope to one run; an envelope whose ``run`` is
empty (signed before the release had ``status.run``) would otherwise be
accepted in every run, so a decision could outlive the spec it was made for.
"""

from __future__ import annotations

import pytest

from appdeploy.admission.decisions import DecisionRefused, signed_values
from appdeploy.api.approvals import Envelope, Target
from appdeploy.engine import DecisionKind, ObservedDecision, ObservedRequest
from tests.unit.harness import SIGNING_KEY, UID, Simulation
from tests.unit.test_admission_decisions import KEY, NOW, stored


def test_a_signed_decision_without_a_run_is_refused_by_the_planner() -> None:
    sim = Simulation.of("gates")
    key = "approve.appdeploy.dev/qa"
    envelope = Envelope("approve", "qa", "alice", ("qa",), "ok", sim.now, None).signed(
        SIGNING_KEY, Target("ns", sim.name, UID)
    )
    sim.decisions[key] = ObservedDecision(
        key,
        DecisionKind.APPROVE,
        "qa",
        "alice",
        ("qa",),
        "ok",
        at=sim.now,
        verified=True,
        run=None,
        signature=envelope.signature,
    )
    sim.reconcile()
    assert sim.step("qa").approvals == []
    assert sim.warnings()[-1] == (
        "approval of qa by alice refused: it was signed without a run (before the release "
        "started one), so it could count in any run; decide again"
    )


@pytest.mark.parametrize("what", ["cancel", "retry"])
def test_a_signed_request_without_a_run_is_refused_by_the_planner(what: str) -> None:
    sim = Simulation.of("gates")
    key = f"appdeploy.dev/{what}"
    sim.requests[key] = ObservedRequest(key, "failed", user="rm", at=sim.now, verified=True)
    sim.reconcile()
    assert sim.phase == "AwaitingApproval"
    assert sim.warnings()[-1] == (
        f"{what} by rm refused: it was signed without a run (before the release started one), "
        "so it could count in any run; ask again"
    )


def test_a_signed_request_for_another_run_is_refused_by_the_planner() -> None:
    sim = Simulation.of("gates")
    sim.change_spec(version="4.0.1")
    key = "appdeploy.dev/cancel"
    sim.requests[key] = ObservedRequest(key, "oops", user="rm", at=sim.now, verified=True, run=1)
    sim.reconcile()
    assert sim.phase == "AwaitingApproval"
    assert sim.warnings()[-1] == (
        "cancel by rm refused: it was made for run 1, and the current run is 2 "
        "(the spec changed); ask again"
    )


@pytest.mark.parametrize(
    "annotation", ["approve.appdeploy.dev/qa", "appdeploy.dev/cancel", "appdeploy.dev/retry"]
)
def test_the_webhook_signs_nothing_for_a_release_without_a_run(annotation: str) -> None:
    sim = Simulation.of("gates")
    old = stored(sim)
    old["status"] = {}
    new = {**old, "metadata": {**old["metadata"], "annotations": {annotation: "ok"}}}
    with pytest.raises(DecisionRefused) as refused:
        signed_values(old, new, username="alice", groups=["qa"], key=KEY, now=NOW)
    assert str(refused.value) == (
        f"{annotation}: the release has not started a run yet (no status.run), and a decision "
        "is signed for one run; wait until the operator has picked the release up"
    )
