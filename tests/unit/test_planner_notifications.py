"""The planner's hand-offs: who is told what and when, reminders, escalation, the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from appdeploy.api.notifications import Notification
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.validation import parse_spec
from appdeploy.engine import ChannelState, DecisionKind, JobState, Release, check_decision
from tests.unit.harness import T0, UID, Simulation, load_spec

HOUR = timedelta(hours=1)


def opened() -> Simulation:
    """The notify fixture with its build done: qa-signoff has just opened."""
    sim = Simulation.of("notify")
    sim.complete("build")
    assert sim.step("qa-signoff").phase == "Waiting"
    return sim


def records(sim: Simulation, event: str = "", channel: str = "") -> list[Notification]:
    return [
        record
        for record in sim.model.notifications
        if (not event or record.event == event) and (not channel or record.channel == channel)
    ]


def test_an_opened_gate_tells_its_channel_and_the_release_channel_once_each() -> None:
    sim = opened()
    opening = records(sim, "GateOpened")
    assert [(r.channel, r.step, r.state) for r in opening] == [
        ("mobile-qa", "qa-signoff", "Pending"),
        ("releases", "qa-signoff", "Pending"),
    ]
    first = opening[0]
    assert first.title == "shop 4.12.0: qa-signoff waits for your approval"
    assert first.text.splitlines() == [
        "test build 4.12.0 on the QA devices",
        "0 of 2 approvals; 2 more from group qa or user carol",
        "deadline 2026-11-29T09:00:00Z (in 2d)",
        "approve: kubectl appdeploy approve rel qa-signoff -n ns",
        "reject:  kubectl appdeploy reject rel qa-signoff -n ns -m REASON",
    ]
    assert (first.mentions.users, first.mentions.groups) == (["carol"], ["qa"])
    assert first.created_at == T0
    sim.reconcile()
    sim.reconcile()
    assert len(records(sim)) == 2, "a pass planned again adds nothing"


def test_record_ids_are_the_same_when_the_pass_is_planned_again_after_a_lost_write() -> None:
    sim = Simulation.of("notify")
    build = sim.job_of("build")
    sim.jobs[build.name] = replace(build, state=JobState.SUCCEEDED, finished_at=sim.now)
    first = [r.id for r in sim.plan_now().status.notifications]
    again = [r.id for r in sim.plan_now().status.notifications]
    assert first == again and len(first) == 2


def test_the_console_link_is_in_the_message_when_a_console_is_configured() -> None:
    sim = Simulation(load_spec("notify"))
    sim.settings = replace(sim.settings, console_url="https://appdeploy.example.com/")
    sim.reconcile()
    sim.complete("build")
    text = records(sim, "GateOpened")[0].text
    assert (
        text.splitlines()[-1]
        == "console: https://appdeploy.example.com/releases/ns/rel/gates/qa-signoff"
    )


def test_a_reminder_goes_to_the_gate_channel_every_interval_threaded_under_the_opening() -> None:
    sim = opened()
    plan = sim.last
    assert plan is not None and plan.requeue_after == 4 * HOUR, "woken for the first reminder"
    sim.advance(4 * HOUR - timedelta(seconds=1))
    assert not records(sim, "GateReminded")
    sim.advance(timedelta(seconds=1))
    reminders = records(sim, "GateReminded")
    assert [(r.channel, r.ordinal) for r in reminders] == [("mobile-qa", 1)]
    assert reminders[0].thread == records(sim, "GateOpened", "mobile-qa")[0].id
    assert reminders[0].title == "shop 4.12.0: reminder: qa-signoff still waits for approval"
    sim.reconcile()
    assert len(records(sim, "GateReminded")) == 1


def test_a_reminder_names_only_who_can_still_help_and_the_tally() -> None:
    sim = opened()
    sim.approve("qa-signoff", "alice")
    sim.advance(4 * HOUR)
    reminder = records(sim, "GateReminded")[0]
    assert reminder.text.splitlines()[1] == (
        "1 of 2 approvals (alice); 1 more from group qa or user carol, not alice"
    )
    assert reminder.mentions.except_users == ["alice"]
    sim.approve("qa-signoff", "carol", ())
    sim.approve("compliance", "bob", ("qa",))
    assert sim.step("compliance").phase == "Succeeded"


def test_after_downtime_only_the_latest_due_reminder_goes_out() -> None:
    sim = opened()
    sim.advance(11 * HOUR)  # the operator was away for the 4h and 8h reminders
    reminders = records(sim, "GateReminded")
    assert [r.ordinal for r in reminders] == [2]
    assert sim.step("qa-signoff").reminded == 2
    sim.advance(1 * HOUR)  # 12h: reminder 3, and escalation level 1
    assert [r.ordinal for r in records(sim, "GateReminded", "mobile-qa")] == [2, 3]


def test_escalation_levels_fire_once_each_and_widen_the_audience() -> None:
    sim = opened()
    sim.advance(12 * HOUR)
    escalated = records(sim, "GateEscalated")
    assert [(r.channel, r.ordinal) for r in escalated] == [("mobile-qa", 1), ("qa-leads", 1)]
    assert escalated[1].thread == "", "qa-leads did not get the opening: no thread"
    assert sim.reasons().count("GateEscalated") == 1
    sim.reconcile()
    assert sim.reasons().count("GateEscalated") == 1
    sim.advance(4 * HOUR)  # 16h: the reminder now also reaches qa-leads
    assert {r.channel for r in records(sim, "GateReminded") if r.ordinal == 4} == {
        "mobile-qa",
        "qa-leads",
    }


def test_an_escalation_adds_approvers_whom_the_planner_and_the_webhook_then_accept() -> None:
    sim = opened()
    sim.advance(23 * HOUR)
    sim.approve("qa-signoff", "dave", ("release-managers",))
    assert "dave is not an approver of qa-signoff" in sim.warnings()[-1]
    sim.advance(1 * HOUR)
    assert sim.step("qa-signoff").added_approvers is not None
    release = Release("rel", "ns", 1, sim.spec, sim.status, uid=UID)
    decision = sim.signed(DecisionKind.APPROVE, "qa-signoff", "dave", ("release-managers",))
    assert check_decision(release, decision, sim.now, sim.settings) == ""
    sim.approve("qa-signoff", "dave", ("release-managers",))
    assert [a.user for a in sim.step("qa-signoff").approvals] == ["dave"]
    pager = records(sim, "GateEscalated", "pager")
    assert len(pager) == 1 and "group release-managers may now decide" in pager[0].text


def test_an_escalation_extends_the_deadline_once_and_says_so() -> None:
    sim = opened()
    sim.advance(36 * HOUR)
    assert sim.step("qa-signoff").deadline == T0 + 60 * HOUR
    assert sim.reasons().count("DeadlineExtended") == 1
    sim.advance(13 * HOUR)  # 49h: beyond the first deadline, before the moved one
    assert sim.step("qa-signoff").phase == "Waiting"
    sim.advance(11 * HOUR)
    assert sim.step("qa-signoff").phase == "Failed"


def test_a_level_due_before_the_deadline_moves_it_even_after_downtime_past_it() -> None:
    sim = opened()
    sim.advance(50 * HOUR)  # away from 0h to 50h: the 36h level would have moved the deadline
    qa = sim.step("qa-signoff")
    assert (qa.phase, qa.escalated, qa.deadline) == ("Waiting", 3, T0 + 60 * HOUR)


def test_a_decided_gate_updates_its_first_message_and_is_reminded_no_more() -> None:
    sim = opened()
    sim.approve("qa-signoff", "alice")
    sim.approve("qa-signoff", "carol", ())
    decided = records(sim, "GateDecided", "mobile-qa")
    opening = records(sim, "GateOpened", "mobile-qa")[0]
    assert len(decided) == 1
    assert (decided[0].thread, decided[0].replaces) == (opening.id, opening.id)
    assert decided[0].title == "shop 4.12.0: qa-signoff approved by alice, carol"
    sim.advance(30 * HOUR)
    assert not records(sim, "GateReminded") and not records(sim, "GateEscalated")


def test_a_failed_step_and_the_outcome_go_to_the_release_channel_only() -> None:
    sim = opened()
    sim.reject("qa-signoff", "alice", comment="crashes on launch")
    assert [r.channel for r in records(sim, "GateDecided")] == ["mobile-qa"]
    assert [r.title for r in records(sim, "ReleaseFailed")] == ["shop 4.12.0: release failed"]
    assert "Retrying" not in {r.event for r in records(sim)}


def test_a_gate_retried_after_rejection_opens_a_new_hand_off() -> None:
    sim = opened()
    sim.reject("qa-signoff", "alice", comment="crashes on launch")
    sim.request("retry", "qa-signoff")
    qa = sim.step("qa-signoff")
    assert (qa.phase, qa.opened) == ("Waiting", 2)
    assert len(records(sim, "GateOpened", "mobile-qa")) == 2


def test_the_outbox_outlives_a_new_run() -> None:
    sim = opened()
    ids = [r.id for r in records(sim)]
    sim.change_spec(version="4.12.1")
    assert [r.id for r in records(sim)][: len(ids)] == ids


def test_notifications_ready_names_missing_and_broken_channels() -> None:
    sim = opened()
    conditions = {c.type: c for c in sim.model.conditions}
    assert "NotificationsReady" not in conditions, "the operator did not look"
    sim.channels = {"releases": ChannelState(True), "mobile-qa": ChannelState(True)}
    sim.reconcile()
    ready = {c.type: c for c in sim.model.conditions}["NotificationsReady"]
    assert (ready.status, ready.reason) == ("False", "ChannelNotFound")
    assert ready.message.startswith("no NotificationChannel qa-leads, pager in ns")
    sim.channels |= {"qa-leads": ChannelState(True), "pager": ChannelState(False, "SecretNotFound")}
    sim.reconcile()
    ready = {c.type: c for c in sim.model.conditions}["NotificationsReady"]
    assert (ready.status, ready.reason, ready.message) == (
        "False",
        "ChannelNotReady",
        "pager: SecretNotFound",
    )
    sim.channels["pager"] = ChannelState(True)
    sim.reconcile()
    ready = {c.type: c for c in sim.model.conditions}["NotificationsReady"]
    assert (ready.status, ready.reason) == ("True", "ChannelsReady")
    assert sim.phase == "AwaitingApproval", "the release runs whatever the channels"


def _gate_notify(**notify: object) -> dict[str, object]:
    spec = load_spec("notify")
    spec["steps"][1]["gate"]["notify"] = {"channels": ["mobile-qa"], **notify}
    return spec


@pytest.mark.parametrize(
    ("notify", "path", "words"),
    [
        ({"remind": {"every": "1m"}}, "remind.every", "1m is too often: remind at most every 5m"),
        ({"remind": {}}, "remind", "set every, beforeDeadline, or both"),
        ({"remind": {"beforeDeadline": "48h"}}, "remind.beforeDeadline", "before the gate opens"),
        (
            {"escalate": [{"after": "48h", "notify": {"channels": ["x"]}}]},
            "escalate[0].after",
            "2d is at or beyond the gate's deadline (2d after it opens)",
        ),
        (
            {
                "escalate": [
                    {"after": "2h", "extendDeadline": "12h"},
                    {"after": "50h", "notify": {"channels": ["x"]}},
                ]
            },
            "",
            "",
        ),
        (
            {
                "escalate": [
                    {"after": "2h", "notify": {"channels": ["x"]}},
                    {"after": "1h", "notify": {"channels": ["x"]}},
                ]
            },
            "escalate[1].after",
            "1h is not after the level before it (2h)",
        ),
        (
            {"escalate": [{"after": "2h"}]},
            "escalate[0]",
            "must notify, addApprovers or extendDeadline",
        ),
        (
            {"escalate": [{"after": "2h", "extendDeadline": "49h"}]},
            "escalate[0].extendDeadline",
            "more than the gate's timeout 2d",
        ),
    ],
)
def test_a_gate_schedule_that_cannot_work_is_refused_naming_the_field(
    notify: dict[str, object], path: str, words: str
) -> None:
    spec = _gate_notify(**notify)
    if not path:
        parse_spec(spec)  # an extension makes room for a later level
        return
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(spec)
    problems = [str(problem) for problem in raised.value.problems]
    where = f"spec.steps[1].gate.notify.{path}"
    assert any(p.startswith(where + ":") and words in p for p in problems), problems


def test_reminders_without_any_channel_are_refused() -> None:
    spec = load_spec("notify")
    del spec["notify"]
    spec["steps"][1]["gate"]["notify"] = {"remind": {"every": "4h"}}
    with pytest.raises(InvalidSpec, match="reminders need a channel"):
        parse_spec(spec)


def test_the_before_deadline_reminder_goes_out_once_per_deadline() -> None:
    spec = load_spec("notify")
    spec["steps"][1]["gate"]["notify"] = {
        "channels": ["mobile-qa"],
        "remind": {"beforeDeadline": "2h"},
    }
    sim = Simulation(spec)
    sim.reconcile()
    sim.complete("build")
    assert sim.last is not None and sim.last.requeue_after == 46 * HOUR
    sim.wake()
    sim.reconcile()
    assert [r.event for r in records(sim, channel="mobile-qa")] == ["GateOpened", "GateReminded"]


def test_approvers_written_into_status_by_hand_do_not_count() -> None:
    # addedApprovers records the escalation for people; who may decide comes from
    # the spec's levels fired so far, so a status writer cannot add themselves.
    sim = opened()
    assert sim.status is not None
    step = next(s for s in sim.status["steps"] if s["name"] == "qa-signoff")
    step["addedApprovers"] = {"users": ["mallory"]}
    sim.approve("qa-signoff", "mallory", ())
    assert "mallory is not an approver of qa-signoff" in sim.warnings()[-1]


def test_the_reminder_floor_is_an_operator_setting_the_planner_and_validation_share() -> None:
    spec = _gate_notify(remind={"every": "10s"})
    with pytest.raises(InvalidSpec, match="10s is too often: remind at most every 5m"):
        parse_spec(spec)
    parse_spec(spec, remind_floor=timedelta(seconds=1))
    sim = Simulation(spec)
    sim.settings = replace(sim.settings, remind_floor=timedelta(seconds=1))
    sim.reconcile()
    sim.complete("build")
    sim.advance(timedelta(seconds=10))
    assert [r.ordinal for r in records(sim, "GateReminded")] == [1]
    release = Release("rel", "ns", 1, sim.spec, sim.status, uid=UID)
    decision = sim.signed(DecisionKind.APPROVE, "qa-signoff", "alice", ("qa",))
    assert check_decision(release, decision, sim.now, sim.settings) == ""


def test_the_operator_flag_defaults_to_the_floor_of_the_models() -> None:
    from appdeploy.api.notify import REMIND_FLOOR
    from appdeploy.cli.main import build_parser

    args = build_parser().parse_args(["operator"])
    assert args.min_reminder_interval == REMIND_FLOOR


def test_a_raised_escalation_counter_in_status_lets_nobody_decide_early() -> None:
    sim = opened()
    assert sim.status is not None
    step = next(s for s in sim.status["steps"] if s["name"] == "qa-signoff")
    step["escalated"] = 3
    sim.approve("qa-signoff", "dave", ("release-managers",))
    assert "dave is not an approver of qa-signoff" in sim.warnings()[-1]


def test_the_webhook_accepts_an_added_approver_from_the_moment_the_level_is_due() -> None:
    # Between the level falling due and the pass that writes it, the decision
    # webhook judges the stored status: the level's moment, not the counter, counts.
    sim = opened()
    sim.advance(23 * HOUR)
    release = Release("rel", "ns", 1, sim.spec, sim.status, uid=UID)
    decision = sim.signed(DecisionKind.APPROVE, "qa-signoff", "dave", ("release-managers",))
    assert "not an approver" in check_decision(release, decision, sim.now, sim.settings)
    assert check_decision(release, decision, sim.now + HOUR, sim.settings) == ""
