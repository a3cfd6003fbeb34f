"""What delivery promises, told as stories on the real control plane (docs/notifications.md).

The real operator process sends through the real transports to the fake
providers on 127.0.0.1. A crash between sending and recording (failpoint
``after-notification-send``, SIGKILL) costs each transport only what its
guarantee allows; a channel whose Secret is missing holds no release back; a
slow channel never slows one; a release naming a channel that does not exist
yet is admitted with a warning.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from appdeploy.api.notifications import Notification
from appdeploy.k8s.labels import GROUP, VERSION
from tests.cluster.wait import wait_for
from tests.integration.notify_story import RETRY_TIMEOUT, SLACK_TOKEN, NotifyStory
from tests.integration.releases import gate_step, release_spec, run_step

TIMEOUT = 60.0


@pytest.fixture
def story(notify_story: NotifyStory) -> NotifyStory:
    """The story of this module (conftest's ``notify_story``)."""
    return notify_story


def crash_after_sending(story: NotifyStory, channel: str) -> tuple[Notification, Notification]:
    """The gate's GateOpened to ``channel`` as the crash left it, and as it ended after a restart.

    The operator dies right after the provider took the message and before
    the record says so; a new operator finds the record in Sending.
    """
    story.operators.start(failpoints="after-notification-send")
    story.releases.apply("shop", release_spec(gate_step("qa", notify={"channels": [channel]})))
    story.operators.wait_until_crashed()
    [orphan] = story.records()
    assert (orphan.event, orphan.state, orphan.attempts) == ("GateOpened", "Sending", 1)
    story.operators.start()
    [settled] = story.wait_until_settled()
    return orphan, settled


def test_a_crash_after_a_slack_post_does_not_post_it_again(story: NotifyStory) -> None:
    story.slack_channel()
    orphan, settled = crash_after_sending(story, "mobile-qa")
    [posted] = story.providers.slack_posts(orphan.id)  # the one post, from before the crash
    assert (settled.state, settled.ref) == ("Sent", posted.ts)
    assert settled.attempts == 2
    assert story.providers.slack_posts(orphan.id) == [posted]
    assert len(story.providers.slack.calls_to("chat.postMessage")) == 1
    assert story.providers.slack.calls_to("conversations.history"), "it looked before resending"


def test_a_crash_after_a_webhook_delivery_loses_nothing(story: NotifyStory) -> None:
    story.webhook_channel("releases")
    orphan, settled = crash_after_sending(story, "releases")
    assert (settled.state, settled.ref) == ("Sent", orphan.id)
    keys = story.providers.sink.delivered_keys()
    assert list(keys) == [orphan.id], "every copy carries the record id as its key"
    assert keys[orphan.id] >= 1
    assert all(r.signature_ok for r in story.providers.sink.accepted())


def test_a_crash_after_an_email_does_not_send_it_twice(story: NotifyStory) -> None:
    story.email_channel()
    orphan, settled = crash_after_sending(story, "qa-mail")
    assert settled.state == "Failed"
    assert settled.error == (
        "outcome unknown: the operator stopped while sending; not resent (delivery: AtMostOnce)"
    )
    [mail] = story.providers.smtp.messages  # sent before the crash, and never again
    assert mail["Message-ID"] == f"<{orphan.id}@appdeploy.dev>"
    assert mail["Subject"] == "shop 1.0.0: qa waits for your approval"


def test_a_channel_without_its_secret_holds_no_release_back(story: NotifyStory) -> None:
    # Given a Slack channel whose token Secret does not exist yet
    story.slack_channel(secret="slack-later")
    story.operators.start()
    story.outbox.wait_for_ready("mobile-qa", "False", "SecretNotFound")
    # When a release that tells it runs
    spec = release_spec(
        run_step("build"), gate_step("qa", ["build"], notify={"channels": ["mobile-qa"]})
    )
    story.releases.apply("shop", spec)
    # Then it reaches its gate all the same, and says why nobody is told
    story.releases.wait_for("shop", phase="AwaitingApproval")
    not_ready = story.wait_for_condition("NotificationsReady", "False", "ChannelNotReady")
    assert not_ready.message == "mobile-qa: SecretNotFound: Secret slack-later not found"
    assert story.releases.status("shop").step("build").phase == "Succeeded"
    waiting = story.wait_for_record("GateOpened", "mobile-qa", "Pending", lambda r: r.attempts > 0)
    assert waiting.error == "Secret slack-later not found"
    assert story.providers.slack.posts() == []
    # When the admin creates the Secret, then the message goes out and the condition clears
    story.outbox.secret("slack-later", {"token": SLACK_TOKEN})
    sent = story.wait_for_record("GateOpened", "mobile-qa", timeout=RETRY_TIMEOUT)
    assert [p.ts for p in story.providers.slack_posts(sent.id)] == [sent.ref]
    story.wait_for_condition("NotificationsReady", "True", "ChannelsReady", RETRY_TIMEOUT)
    story.releases.approve("shop", "qa", as_user="alice")
    story.releases.wait_for("shop", phase="Succeeded")


def test_a_slow_channel_never_slows_the_release(story: NotifyStory) -> None:
    # Given a webhook receiver that takes 2 s to answer each message
    story.webhook_channel("releases")
    story.providers.sink.delay = 2.0
    story.operators.start()
    # When a release of quick steps tells it about every wait and its outcome
    soak_1 = {"name": "soak-1", "needs": ["build"], "wait": {"duration": "1s"}}
    soak_2 = {"name": "soak-2", "needs": ["soak-1"], "wait": {"duration": "1s"}}
    events = ["WaitStarted", "WaitEnded", "ReleaseSucceeded"]
    spec = release_spec(run_step("build"), soak_1, soak_2, run_step("ship", ["soak-2"]),
                        notify={"channels": ["releases"], "on": events})  # fmt: skip
    story.releases.apply("shop", spec)
    # Then it has succeeded while messages about its earlier steps were still on their way
    story.releases.wait_for("shop", phase="Succeeded")
    received = len(story.providers.sink.received)
    outstanding = [r.event for r in story.records() if not r.state.is_settled]
    assert received < 5, "the release ended before the last message arrived"
    assert set(outstanding) - {"ReleaseSucceeded"}, "an earlier step's message was still queued"
    # And every message arrives once, in the order things happened
    records = story.wait_until_settled(timeout=TIMEOUT)
    assert [r.event for r in records] == [
        "WaitStarted", "WaitEnded", "WaitStarted", "WaitEnded", "ReleaseSucceeded",
    ]  # fmt: skip
    assert all(r.state == "Sent" for r in records)
    keys = story.providers.sink.delivered_keys()
    assert [r.idempotency_key for r in story.providers.sink.accepted()] == [r.id for r in records]
    assert set(keys.values()) == {1}


def test_a_release_naming_a_missing_channel_is_admitted_with_a_warning(
    story: NotifyStory,
) -> None:
    story.operators.start()
    spec = release_spec(run_step("build"), notify={"channels": ["mobile-qa"]})
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "AppDeployment",
            "metadata": {"name": "shop"}, "spec": spec}  # fmt: skip
    created = subprocess.run(
        story.kubectl("-n", story.namespace, "create", "-f", "-"),
        input=json.dumps(body),
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert (
        f'Warning: spec.notify.channels[0]: no NotificationChannel "mobile-qa" in '
        f"{story.namespace} yet; the release runs, and NotificationsReady stays False until it "
        "exists"
    ) in created.stderr
    assert "appdeployment.appdeploy.dev/shop created" in created.stdout
    story.releases.wait_for("shop", phase="Succeeded")
    missing = story.wait_for_condition("NotificationsReady", "False", "ChannelNotFound")
    assert "no NotificationChannel mobile-qa in" in missing.message
    wait_for(lambda: story.records("ReleaseSucceeded"), TIMEOUT, "the outcome's record")
