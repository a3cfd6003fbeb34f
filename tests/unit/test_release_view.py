"""``kubectl appdeploy status`` shows the audit trail, and what people wrote stays on one line."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.cli.release_view import list_rows, status_text
from tests.unit.harness import Simulation
from tests.unit.policy_sim import facts, policy, ungated


def stored(sim: Simulation) -> dict[str, object]:
    return {"metadata": {"name": "rel"}, "spec": sim.spec, "status": sim.status}


def test_status_lists_every_accepted_action_with_who_and_whether_it_was_verified() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice", comment="ok on iPhone 15\nSECOND LINE")
    sim.approve("qa", "bob", verified=False)  # refused: not verified, not in the trail
    text = status_text(stored(sim), sim.now + timedelta(minutes=1))
    trail = text.split("\n\n")[-1].splitlines()
    assert trail[0].split() == ["AT", "ACTION", "TARGET", "BY", "VERIFIED", "COMMENT"]
    assert trail[1].split()[1:5] == ["approve", "qa", "alice", "yes"]
    assert trail[1].endswith("ok on iPhone 15\\nSECOND LINE")
    assert len(trail) == 2
    assert "approved: alice" in text


def test_messages_with_control_characters_stay_on_one_row() -> None:
    sim = Simulation.of("linear")
    sim.fail("build", message="boom\n\x1b[2Jrepainted")
    sim.complete("notify")
    rows = list_rows([stored(sim)]).splitlines()
    assert len(rows) == 2
    assert "\x1b" not in rows[1] and "\\x1b" in rows[1]


def test_status_shows_the_conditions_kubectl_wait_sees() -> None:
    sim = Simulation.of("linear")
    sim.complete("build", '{"buildNumber": "1"}')
    sim.approve("qa", "alice")
    text = status_text(stored(sim), sim.now)
    [block] = [b for b in text.split("\n\n") if b.startswith("CONDITION")]
    rows = [row.split() for row in block.splitlines()]
    assert rows[0] == ["CONDITION", "STATUS", "REASON", "SINCE", "MESSAGE"]
    by_type = {row[0]: row[1:] for row in rows[1:]}
    assert list(by_type) == [
        "Ready",
        "Reconciling",
        "Stalled",
        "AwaitingApproval",
        "gates.appdeploy.dev/qa",
    ]
    assert by_type["AwaitingApproval"][:2] == ["True", "Qa"]
    assert by_type["gates.appdeploy.dev/qa"][:2] == ["Unknown", "Waiting"]
    assert block.splitlines()[-1].endswith("; approved by alice")


def test_status_shows_who_was_told_what_and_whether_it_went_out() -> None:
    sim = Simulation.of("notify")
    sim.complete("build")
    text = status_text(stored(sim), sim.now)
    told = text.split("\n\n")[-1].splitlines()
    assert told[0].split() == ["AT", "EVENT", "STEP", "CHANNEL", "STATE", "MESSAGE"]
    assert told[1].split()[1:5] == ["GateOpened", "qa-signoff", "mobile-qa", "Pending"]
    assert told[1].endswith("shop 4.12.0: qa-signoff waits for your approval")
    assert len(told) == 3


def test_status_shows_each_policys_verdict_on_one_line() -> None:
    sim = Simulation(ungated(), policies=facts(policy(), policy("audit-all", enforcement="Audit")))
    sim.reconcile()
    text = status_text(stored(sim), sim.now)
    [block] = [b for b in text.split("\n\n") if b.startswith("POLICY")]
    rows = block.splitlines()
    assert rows[0].split() == ["POLICY", "ENFORCEMENT", "OUTCOME", "FIRST", "VIOLATION"]
    assert [row.split()[:3] for row in rows[1:]] == [
        ["production-store", "Deny", "Violated"],
        ["audit-all", "Audit", "Violated"],
    ]
    assert rows[1].split(maxsplit=3)[3].startswith("spec.steps[1]: upload uses Secret asc-api-key")


def test_status_has_no_policy_block_when_none_applies() -> None:
    sim = Simulation.of("linear")
    assert "POLICY" not in status_text(stored(sim), sim.now)
