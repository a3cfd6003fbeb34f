"""A gate's hand-off told to people, on the real control plane (docs/notifications.md).

Given a release whose gate names Slack channels (the fake workspace on
127.0.0.1) and the real operator process, when the gate opens, waits, is
escalated and is decided, then the right people hear it once, in one thread:
who may decide, the exact command, reminders naming who can still help,
release managers who may approve only once the ladder says so, and the first
message edited to say how it ended. Approvals are made as impersonated users
through kubectl and signed by the real admission webhook.
"""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.api.notifications import Notification
from tests.cluster.wait import wait_for
from tests.fakes.slack import Posted
from tests.integration.notify_story import CONSOLE, LEADS, QA, NotifyStory, payload
from tests.integration.releases import gate_step, release_spec

TIMEOUT = 60.0
EVERY = 2
"""Seconds between reminders (the operator accepts reminders every second)."""


@pytest.fixture
def story(notify_story: NotifyStory) -> NotifyStory:
    """The story of this module (conftest's ``notify_story``)."""
    return notify_story


def qa_gate(required: int = 2, **notify: Any) -> dict[str, Any]:
    """Gate qa: alice, bob or anyone in group qa; told in #mobile-qa."""
    return gate_step(
        "qa",
        approvers={"users": ["alice", "bob"], "groups": ["qa"]},
        required=required,
        timeout="10m",
        notify={"channels": ["mobile-qa"], **notify},
    )


def first_message(story: NotifyStory) -> tuple[Notification, Posted]:
    """The gate's GateOpened record on #mobile-qa, once Sent, and its Slack message."""
    opened = story.wait_for_record("GateOpened", "mobile-qa")
    [posted] = story.providers.slack_posts(opened.id)
    return opened, posted


def wait_for_reply(story: NotifyStory, first: Posted, event: str) -> Posted:
    """The first reply of ``event`` in the thread of ``first``."""

    def found() -> Posted | None:
        replies = story.providers.thread(first)
        return next((p for p in replies if payload(p).get("event") == event), None)

    return wait_for(found, TIMEOUT, f"a {event} reply in the thread of {first.ts}")


def test_an_opened_gate_tells_its_approvers_once_with_the_command(
    story: NotifyStory,
) -> None:
    # Given a Slack channel for QA and a webhook channel for the whole release
    story.slack_channel()
    story.webhook_channel("releases")
    story.operators.start()
    # When the gate opens
    spec = release_spec(qa_gate(), notify={"channels": ["releases"], "on": ["GateOpened"]})
    story.releases.apply("shop", spec)
    story.releases.wait_for("shop", phase="AwaitingApproval")
    # Then #mobile-qa gets one message naming both approvers and the command, with its id
    opened, posted = first_message(story)
    hooked = story.wait_for_record("GateOpened", "releases")
    assert sorted(r.id for r in story.wait_until_settled()) == sorted([opened.id, hooked.id])
    assert story.providers.slack.posts() == [posted], "exactly one Slack message"
    assert (posted.channel, posted.ts, posted.thread_ts) == (QA, opened.ref, "")
    assert posted.text.startswith("*shop 1.0.0: qa waits for your approval*\n")
    assert "For: <@U0ALICE>, <@U0BOB>, <!subteam^S0QA>\n" in posted.text
    assert "0 of 2 approvals; 2 more from group qa or users alice, bob" in posted.text
    ns = story.namespace
    assert f"approve: kubectl appdeploy approve shop qa -n {ns}\n" in posted.text
    assert f"console: {CONSOLE}/releases/{ns}/shop/gates/qa\n" in posted.text + "\n"
    assert payload(posted) == {"id": opened.id, "event": "GateOpened", "release": f"{ns}/shop",
                               "run": 1, "step": "qa", "ordinal": 0}  # fmt: skip
    # And the release's webhook gets the same event, signed, keyed by its record id
    [delivery] = story.providers.sink.accepted()
    assert delivery.signature_ok is True
    assert delivery.idempotency_key == hooked.id == hooked.ref
    assert delivery.headers["X-Appdeploy-Event"] == "GateOpened"
    assert (delivery.path, delivery.body["id"], delivery.body["step"]) == (
        "/hooks/releases", hooked.id, "qa",
    )  # fmt: skip
    assert delivery.body["mentions"] == {"users": ["alice", "bob"], "groups": ["qa"],
                                         "exceptUsers": []}  # fmt: skip


def test_a_reminder_comes_in_the_thread_naming_who_can_still_help(
    story: NotifyStory,
) -> None:
    # Given a gate that reminds every 2 s
    story.slack_channel()
    story.operators.start()
    story.releases.apply("shop", release_spec(qa_gate(remind={"every": f"{EVERY}s"})))
    opened, first = first_message(story)
    started = story.releases.status("shop").step("qa").started_at
    assert started is not None
    # Then a reminder comes after `every`, as a reply to the first message
    reminder = wait_for_reply(story, first, "GateReminded")
    [reminded] = [r for r in story.records("GateReminded") if r.id == payload(reminder)["id"]]
    assert (reminded.created_at - started).total_seconds() >= EVERY
    assert reminded.thread == opened.id
    # When alice approves
    story.releases.approve("shop", "qa", as_user="alice")
    wait_for(lambda: story.releases.status("shop").step("qa").approvals, TIMEOUT, "alice's vote")
    # Then the next reminders name who can still help: not alice
    after = story.wait_for_record(
        "GateReminded", "mobile-qa", when=lambda r: r.mentions.except_users == ["alice"]
    )
    [posted] = story.providers.slack_posts(after.id)
    assert (posted.channel, posted.thread_ts) == (QA, first.ts)
    assert posted.text.startswith("*shop 1.0.0: reminder: qa still waits for approval*\n")
    assert "For: <@U0BOB>, <!subteam^S0QA>, not alice\n" in posted.text
    assert "<@U0ALICE>" not in posted.text
    assert "1 of 2 approvals (alice); 1 more from group qa or user bob, not alice" in posted.text
    assert f"approve: kubectl appdeploy approve shop qa -n {story.namespace}" in posted.text
    assert [a.verified for a in story.releases.status("shop").step("qa").approvals] == [True]


def test_release_managers_may_approve_only_once_the_gate_escalated(
    story: NotifyStory,
) -> None:
    # Given a gate that lets release managers decide after 15 s, telling #qa-leads
    story.slack_channel()
    story.slack_channel("qa-leads", "#qa-leads")
    story.operators.start()
    level = {"after": "15s", "addApprovers": {"groups": ["release-managers"]},
             "notify": {"channels": ["qa-leads"]}}  # fmt: skip
    gate = qa_gate(required=1, escalate=[level])
    gate["gate"]["approvers"] = {"groups": ["qa"]}
    story.releases.apply("shop", release_spec(gate))
    _, first = first_message(story)
    # When carol, a release manager, approves before the level fired: the webhook refuses
    early = story.annotate_approval("carol", ["release-managers"])
    assert early.returncode != 0
    assert "approval of qa by carol refused: carol is not an approver of qa: it needs group qa" in (
        early.stderr
    )
    waiting = story.releases.status("shop").step("qa")
    assert (waiting.escalated, waiting.approvals) == (0, []), "refused before the level fired"
    # Then the level fires: an Event, and a message to the level's channel and the thread
    story.releases.wait_for_event("shop", "GateEscalated", "group release-managers may now decide")
    leads = story.wait_for_record("GateEscalated", "qa-leads")
    [told] = story.providers.slack_posts(leads.id)
    assert (told.channel, told.thread_ts) == (LEADS, "")
    assert "*shop 1.0.0: qa has waited 15s for approval (escalated)*" in told.text
    assert "<!subteam^S0RM>" in told.text and "group release-managers may now decide" in told.text
    assert wait_for_reply(story, first, "GateEscalated").channel == QA
    escalated = story.releases.status("shop").step("qa")
    assert escalated.escalated == 1
    assert escalated.added_approvers is not None
    assert escalated.added_approvers.groups == ["release-managers"]
    # When carol approves again, it is accepted and counts: the gate passes
    story.releases.approve("shop", "qa", as_user="carol", groups=["release-managers"])
    done = story.releases.wait_for("shop", phase="Succeeded")
    assert [(a.user, a.verified) for a in done.step("qa").approvals] == [("carol", True)]
    assert done.step("qa").message == "approved by carol"


def test_a_decided_gate_edits_its_first_message_and_reminds_no_more(
    story: NotifyStory,
) -> None:
    # Given a gate reminding every 2 s, followed by a 3-reminder soak
    story.slack_channel()
    story.operators.start()
    soak = {"name": "soak", "needs": ["qa"], "wait": {"duration": f"{3 * EVERY}s"}}
    story.releases.apply("shop", release_spec(qa_gate(remind={"every": f"{EVERY}s"}), soak))
    opened, first = first_message(story)
    wait_for_reply(story, first, "GateReminded")
    # When alice and bob approve
    story.releases.approve("shop", "qa", as_user="alice")
    story.releases.approve("shop", "qa", as_user="bob")
    # Then the first message says how it ended, and the decision is a reply in its thread
    decided = story.wait_for_record("GateDecided", "mobile-qa")
    assert (decided.replaces, decided.thread) == (opened.id, opened.id)
    assert first.edited and first.text == "*shop 1.0.0: qa approved by alice, bob*"
    assert first.updates[0].startswith("*shop 1.0.0: qa waits for your approval*")
    assert [c["ts"] for c in story.providers.slack.calls_to("chat.update")] == [first.ts]
    [reply] = story.providers.slack_posts(decided.id)
    assert reply.thread_ts == first.ts
    assert reply.text.startswith("*shop 1.0.0: qa approved by alice, bob*")
    # And after the soak (three reminder moments later), no reminder came after the decision
    story.releases.wait_for("shop", phase="Succeeded")
    records = story.wait_until_settled()
    reminders = [r for r in records if r.event == "GateReminded"]
    assert reminders and all(r.created_at <= decided.created_at for r in reminders)
    assert all(r.state == "Sent" for r in records)
    thread = story.providers.thread(first)
    assert thread[-1] is reply, "the decision is the last word in the thread"
    assert [payload(p)["id"] for p in thread[:-1]] == [r.id for r in reminders]
