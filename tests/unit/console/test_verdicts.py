"""Before the click, the console says whether this person may decide, in the engine's words."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.api.stored import read_release
from appdeploy.console.gate_view import gate_panel
from appdeploy.console.page_context import gate_context
from appdeploy.console.person import Person, decision_verdict
from appdeploy.console.releases_view import gates_for
from appdeploy.engine import DecisionKind, Settings
from tests.unit.console.stories import body_of, gates_waiting
from tests.unit.harness import Simulation, load_spec

ALICE = Person("alice", ("qa", "system:authenticated"))
BOB = Person("bob", ("qa",))
MALLORY = Person("mallory", ("dev",))


def test_an_approver_may_decide_a_waiting_gate() -> None:
    body = body_of(gates_waiting())
    assert decision_verdict(body, "qa", ALICE, gates_waiting().now).may


def test_someone_outside_the_approvers_is_told_who_is_needed() -> None:
    sim = gates_waiting()
    verdict = decision_verdict(body_of(sim), "qa", MALLORY, sim.now)
    assert not verdict.may
    assert verdict.reason == (
        "mallory is not an approver of qa: it needs group qa or user "
        "system:serviceaccount:ci:release-bot"
    )


def test_a_pending_gate_says_what_it_waits_for() -> None:
    sim = gates_waiting()
    verdict = decision_verdict(body_of(sim), "compliance", ALICE, sim.now)
    assert verdict.reason == "compliance is Pending: it waits for qa (Waiting)"


def test_approving_twice_is_refused_before_the_click() -> None:
    sim = gates_waiting()
    sim.approve("qa", "alice")
    verdict = decision_verdict(body_of(sim), "qa", ALICE, sim.now)
    assert verdict.reason == "you already approved it"


def test_distinct_from_bars_the_qa_approver_from_compliance_and_the_panel_says_why() -> None:
    sim = gates_waiting()
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    body = body_of(sim)
    spec, status = read_release(body)
    assert spec is not None
    panel = gate_panel(body, spec, status, "compliance", person=ALICE, now=sim.now)
    assert panel.waiting
    assert not panel.approve.may
    assert panel.approve.reason == (
        "alice approved qa, and compliance must be decided by someone else (distinctFrom)"
    )
    assert [(b.user, b.because) for b in panel.barred] == [
        ("alice", "approved qa, and compliance is distinctFrom it"),
        ("bob", "approved qa, and compliance is distinctFrom it"),
    ]
    carol = Person("carol", ("compliance",))
    assert gate_panel(body, spec, status, "compliance", person=carol, now=sim.now).approve.may


def test_a_rejection_verdict_is_asked_separately() -> None:
    sim = gates_waiting()
    sim.approve("qa", "alice")
    body = body_of(sim)
    reject = decision_verdict(body, "qa", ALICE, sim.now, DecisionKind.REJECT)
    assert reject.reason == "alice already approved qa"
    assert decision_verdict(body, "qa", BOB, sim.now, DecisionKind.REJECT).may


def test_waiting_on_me_lists_only_gates_the_person_may_decide_now() -> None:
    first, second = gates_waiting(), gates_waiting()
    second.name = "other"
    second.approve("qa", "alice")
    bodies = [body_of(first), body_of(second)]
    assert [(g.name, g.gate) for g in gates_for(bodies, ALICE, first.now)] == [("rel", "qa")]
    assert [(g.name, g.gate) for g in gates_for(bodies, BOB, first.now)] == [
        ("rel", "qa"),
        ("other", "qa"),
    ]
    assert gates_for(bodies, MALLORY, first.now) == []


def test_the_person_label_hides_system_groups() -> None:
    assert ALICE.label == "alice (qa)"
    assert Person("admin", ("system:masters",)).label == "admin"


def test_a_release_reminding_under_the_default_floor_still_shows_its_gates() -> None:
    # An operator run with --min-reminder-interval 1s (as make demo runs it) accepted
    # remind.every 4s; views cannot know that setting and must not judge it again.
    spec = load_spec("gates")
    spec["steps"][0]["gate"]["notify"] = {"channels": ["qa"], "remind": {"every": "4s"}}
    sim = Simulation(spec, settings=Settings(remind_floor=timedelta(seconds=1)))
    sim.reconcile()
    body = body_of(sim)
    assert body["status"]["phase"] == "AwaitingApproval"  # the operator took it
    spec_read, _ = read_release(body)
    assert spec_read is not None
    context = gate_context(body, "qa", ALICE, sim.now)
    assert context["panel"].approve.may
