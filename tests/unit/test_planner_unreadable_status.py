"""A status this operator cannot fully read: unknown fields are ignored, real errors hold.

After a rollback to an older operator, the status carries fields only the
newer one knows. Starting from an empty status would restart the run, drop
the approvals and reopen the gate with a new deadline, silently.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from appdeploy.engine import CreateJob, RemoveAnnotation
from tests.unit.harness import Simulation


def waiting_with_one_approval() -> Simulation:
    sim = Simulation.of("linear")
    sim.advance(timedelta(minutes=5))
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice")
    assert sim.model.step("qa").phase == "Waiting"
    return sim


def test_unknown_fields_from_a_newer_operator_are_ignored_and_nothing_restarts() -> None:
    sim = waiting_with_one_approval()
    before = sim.model
    assert sim.status is not None
    newer = copy.deepcopy(sim.status)
    newer["newTopLevel"] = {"x": 1}
    qa = next(step for step in newer["steps"] if step["name"] == "qa")
    qa["escalationLevel"] = 2
    qa["approvals"][0]["attestation"] = {"buildDigest": "sha256:abc"}
    newer["conditions"][0]["severity"] = "Info"
    sim.status = newer

    result = sim.advance(timedelta(minutes=1))

    assert not result.of_type(CreateJob), "no step of the run starts again"
    after = sim.model
    assert after.run == before.run
    qa_after = after.step("qa")
    assert [a.user for a in qa_after.approvals] == ["alice"], "the approval is kept"
    assert qa_after.deadline == before.step("qa").deadline, "the gate keeps its deadline"
    assert qa_after.started_at == before.step("qa").started_at
    sim.approve("qa", "bob")
    assert sim.model.step("qa").phase == "Succeeded", "alice's approval still counts"


def test_an_unreadable_status_stalls_with_a_warning_and_changes_nothing_else() -> None:
    sim = waiting_with_one_approval()
    assert sim.status is not None
    broken = copy.deepcopy(sim.status)
    qa = next(step for step in broken["steps"] if step["name"] == "qa")
    qa["phase"] = "Paused"  # a phase this operator does not know
    sim.status = broken
    sim.decisions.clear()

    result = sim.approve("qa", "bob")

    assert not result.of_type(CreateJob)
    assert not result.of_type(RemoveAnnotation), "bob's decision waits, it is not consumed"
    written = result.wire_status()
    stalled = next(c for c in written["conditions"] if c["type"] == "Stalled")
    assert stalled["status"] == "True"
    assert stalled["reason"] == "UnreadableStatus"
    assert "status.steps[1].phase" in stalled["message"], stalled["message"]
    without_conditions = {k: v for k, v in written.items() if k != "conditions"}
    assert without_conditions == {k: v for k, v in broken.items() if k != "conditions"}
    others = [c for c in written["conditions"] if c["type"] != "Stalled"]
    assert others == [c for c in broken["conditions"] if c["type"] != "Stalled"]
    warnings = [e for e in result.actions if getattr(e, "type", "") == "Warning"]
    assert [w.reason for w in warnings] == ["UnreadableStatus"]

    again = sim.advance(timedelta(minutes=1))
    assert not [e for e in again.actions if getattr(e, "type", "") == "Warning"], "warned once"
    stalled_again = next(c for c in again.wire_status()["conditions"] if c["type"] == "Stalled")
    assert stalled_again["lastTransitionTime"] == stalled["lastTransitionTime"]
