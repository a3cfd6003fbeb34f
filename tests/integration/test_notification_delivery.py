"""Delivery of the outbox by the operator process, on the real control plane.

Each story runs its own operator on its own namespace, delivering through the
recording transport (``tests/integration/recording_transport.py``, loaded by
``APPDEPLOY_TRANSPORT_FACTORY``), and writes Pending records into a waiting
release's status as the planner would. Given channels and Secrets, when the
records are due, then status, the channel's Ready condition, Events, metrics
and what the "provider" received tell the same story.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.operator import OperatorProcess
from tests.cluster.wait import wait_for
from tests.integration.outbox_setup import (
    Outbox,
    email_channel,
    record,
    slack_channel,
    webhook_channel,
)
from tests.integration.recording_transport import FACTORY, LOG_ENV, read_sends
from tests.integration.releases import Releases, gate_step, release_spec

TIMEOUT = 60.0
RETRY_TIMEOUT = 90.0
"""A record backs off 10s, 20s ...; a channel that is not Ready is checked every 30s."""


class DeliveringOperator:
    """Operators on one namespace that deliver through the recording transport."""

    def __init__(self, kubeconfig: Path, namespace: str, logs: Path) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.logs = logs
        self.sends = logs / "sends.jsonl"
        self.current: OperatorProcess | None = None
        self.started = 0

    def start(self, failpoints: str = "") -> OperatorProcess:
        self.started += 1
        env = {"APPDEPLOY_TRANSPORT_FACTORY": FACTORY, LOG_ENV: str(self.sends),
               "APPDEPLOY_FAILPOINTS": failpoints}  # fmt: skip
        args = ["--trust-unverified-approvals", "-n", self.namespace,
                "--allow-provider-url", "http://127.0.0.1:"]  # fmt: skip
        log = self.logs / f"operator-{self.started}.log"
        self.current = OperatorProcess(self.kubeconfig, log, args, metrics=True, env=env)
        return self.current.start()

    def wait_until_crashed(self) -> None:
        assert self.current is not None
        self.current.wait_until_crashed(TIMEOUT)

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()


@pytest.fixture
def delivering(
    cluster: Any, unwatched_namespace: str, tmp_path: Path
) -> Iterator[DeliveringOperator]:
    operators = DeliveringOperator(cluster.kubeconfig, unwatched_namespace, tmp_path)
    yield operators
    operators.stop()


@pytest.fixture
def outbox(api_client: Any, unwatched_namespace: str) -> Outbox:
    return Outbox(api_client, unwatched_namespace)


@pytest.fixture
def slack_ready(
    delivering: DeliveringOperator, outbox: Outbox, waiting: Callable[[str], str]
) -> Callable[[str], tuple[OperatorProcess, str]]:
    """Given a Slack channel mobile-qa with this token, Ready, and release shop waiting: its uid."""

    def given(token: str) -> tuple[OperatorProcess, str]:
        outbox.secret("slack", {"token": token})
        outbox.channel("mobile-qa", slack_channel())
        operator = delivering.start()
        outbox.wait_for_ready("mobile-qa", "True", "Ready")
        return operator, waiting("shop")

    return given


@pytest.fixture
def waiting(unwatched_releases: Releases) -> Callable[[str], str]:
    """A release waiting at gate qa (its run started, so its status is the planner's); its uid."""

    def make(name: str) -> str:
        unwatched_releases.apply(name, release_spec(gate_step("qa")))
        unwatched_releases.wait_for(name, phase="AwaitingApproval")
        return str(unwatched_releases.get(name)["metadata"]["uid"])

    return make


def test_records_are_delivered_in_order_and_a_reply_threads_under_the_first(
    slack_ready: Callable[[str], tuple[OperatorProcess, str]], delivering: DeliveringOperator,
    outbox: Outbox, unwatched_releases: Releases,
) -> None:  # fmt: skip
    # Given a Slack channel whose token is readable, and a release waiting at qa
    operator, uid = slack_ready("xoxb-test-1")
    # When the gate's first message and a reminder in its thread are due
    opened = record(uid, "mobile-qa")
    reminder = record(uid, "mobile-qa", ordinal=1, thread=opened.id)
    outbox.write("shop", opened, reminder)
    # Then both are sent, in order, the reminder under the first message
    first = outbox.wait_for_state("shop", opened.id, "Sent")
    second = outbox.wait_for_state("shop", reminder.id, "Sent")
    sends = read_sends(delivering.sends)
    assert [send["id"] for send in sends] == [opened.id, reminder.id]
    assert sends[0]["credential"] == "xoxb-test-1"  # read from the Secret at delivery
    assert sends[1]["thread_ref"] == first.ref == f"#mobile-qa:{opened.id}"
    assert (first.attempts, second.attempts) == (1, 1)
    assert second.sent_at is not None and first.sent_at is not None
    assert operator.metric("appdeploy_notifications_total", channel="mobile-qa",
                           outcome="sent") == 2  # fmt: skip
    assert operator.metric("appdeploy_notification_delivery_seconds_count") == 2
    wait_for(lambda: (outbox.last_delivery("mobile-qa") or {}).get("outcome") == "Sent",
             TIMEOUT, "the channel's lastDelivery")  # fmt: skip
    # The release itself is untouched: still waiting for QA
    assert unwatched_releases.status("shop").phase == "AwaitingApproval"


def test_a_missing_secret_is_retried_until_it_appears(
    delivering: DeliveringOperator, outbox: Outbox, waiting: Callable[[str], str],
    unwatched_releases: Releases,
) -> None:  # fmt: skip
    # Given a channel whose Secret does not exist yet
    outbox.channel("mobile-qa", slack_channel("slack-later"))
    operator = delivering.start()
    not_ready = outbox.wait_for_ready("mobile-qa", "False", "SecretNotFound")
    assert not_ready["message"] == "Secret slack-later not found"
    uid = waiting("shop")
    opened = record(uid, "mobile-qa")
    outbox.write("shop", opened)

    # Then the record backs off with the reason, and one Event says it will retry
    def backed_off() -> bool:
        found = outbox.records("shop")[opened.id]
        return found.state == "Pending" and found.attempts >= 1

    wait_for(backed_off, TIMEOUT, "the first failed attempt")
    pending = outbox.records("shop")[opened.id]
    assert pending.error == "Secret slack-later not found"
    assert pending.next_attempt_at is not None
    unwatched_releases.wait_for_event(
        "shop", "NotificationRetrying", "Secret slack-later not found"
    )
    assert read_sends(delivering.sends) == []
    # When the admin creates the Secret, then the channel turns Ready and the record goes out
    outbox.secret("slack-later", {"token": "xoxb-late"})
    sent = wait_for(
        lambda: (r := outbox.records("shop")[opened.id]).state == "Sent" and r,
        RETRY_TIMEOUT,
        "the record to be sent once the Secret exists",
    )
    assert sent.error == "" and sent.attempts >= 2
    assert [s["credential"] for s in read_sends(delivering.sends)] == ["xoxb-late"]
    wait_for(lambda: (outbox.ready("mobile-qa") or {}).get("status") == "True",
             RETRY_TIMEOUT, "the channel to be re-checked Ready")  # fmt: skip
    assert operator.metric("appdeploy_notifications_total", outcome="retried") >= 1
    assert unwatched_releases.status("shop").phase == "AwaitingApproval"  # it never waited on us


def test_a_permanent_failure_fails_the_record_and_the_channel_without_the_credential(
    slack_ready: Callable[[str], tuple[OperatorProcess, str]], outbox: Outbox,
    unwatched_releases: Releases,
) -> None:  # fmt: skip
    operator, uid = slack_ready("fail-permanent")
    opened = record(uid, "mobile-qa")
    outbox.write("shop", opened)

    failed = outbox.wait_for_state("shop", opened.id, "Failed")
    assert failed.error == "invalid_auth for token [redacted]"
    assert failed.attempts == 1
    _, _, message = unwatched_releases.wait_for_event("shop", "NotificationFailed")
    assert message == f"GateOpened to channel mobile-qa failed: {failed.error}"
    ready = outbox.wait_for_ready("mobile-qa", "False", "DeliveryFailed")
    assert "fail-permanent" not in str(ready) + str(outbox.last_delivery("mobile-qa"))
    assert "fail-permanent" not in operator.log_path.read_text()
    assert operator.metric("appdeploy_notifications_total", outcome="failed") == 1


def test_a_provider_url_outside_the_allow_list_is_never_sent_to(
    delivering: DeliveringOperator, outbox: Outbox, waiting: Callable[[str], str],
) -> None:  # fmt: skip
    outbox.secret("slack", {"token": "xoxb-precious"})
    outbox.channel("exfil", slack_channel(apiUrl="http://127.0.0.1:1@evil.example/api/"))
    outbox.channel("local", slack_channel(apiUrl="http://127.0.0.1:9/api/"))
    delivering.start()
    refused = outbox.wait_for_ready("exfil", "False", "ProviderURLNotAllowed")
    assert "--allow-provider-url" in refused["message"]
    outbox.wait_for_ready("local", "True", "Ready")
    uid = waiting("shop")
    outbox.write("shop", record(uid, "exfil"), record(uid, "local"))
    outbox.wait_for_state("shop", record(uid, "local").id, "Sent")

    def retried() -> bool:
        # attempts counts a claim before the send; the error is written when the attempt failed
        failed = outbox.records("shop")[record(uid, "exfil").id]
        return failed.attempts >= 1 and failed.error != ""

    wait_for(retried, TIMEOUT, "the refused channel's record to fail an attempt")
    assert "is not allowed" in outbox.records("shop")[record(uid, "exfil").id].error
    assert [s["destination"] for s in read_sends(delivering.sends)] == ["#mobile-qa"]
    assert [s["id"] for s in read_sends(delivering.sends)] == [record(uid, "local").id]


@dataclass(frozen=True)
class Crash:
    """Where the operator dies, through which channel, and what the provider then holds."""

    failpoint: str
    spec: dict[str, Any]
    sends: int
    state: str


CRASHES = {
    "webhook-sent": Crash("after-notification-send", webhook_channel(), 2, "Sent"),  # same id
    "slack-sent": Crash("after-notification-send", slack_channel(), 1, "Sent"),  # found, not resent
    "email-sent": Crash("after-notification-send", email_channel(), 1, "Failed"),  # AtMostOnce
    "webhook-claimed": Crash("after-notification-claim", webhook_channel(), 1, "Sent"),
}


@pytest.mark.parametrize("crash", CRASHES.values(), ids=CRASHES.keys())
def test_a_crash_mid_delivery_loses_nothing_and_duplicates_only_what_may_be(
    crash: Crash, delivering: DeliveringOperator, outbox: Outbox, waiting: Callable[[str], str]
) -> None:
    outbox.secret("slack", {"token": "xoxb-1"})
    outbox.secret("hook", {"url": "http://127.0.0.1:9/hook"})
    outbox.secret("smtp", {"url": "smtp://127.0.0.1:25"})
    outbox.channel("qa", crash.spec)
    delivering.start()
    uid = waiting("shop")
    delivering.stop()
    # Given an operator that dies at the failpoint, with a due record
    delivering.start(crash.failpoint)
    opened = record(uid, "qa")
    outbox.write("shop", opened)
    delivering.wait_until_crashed()
    assert outbox.records("shop")[opened.id].state == "Sending"
    # When a new operator starts, then the orphan is settled as the channel's guarantee says
    operator = delivering.start()
    done = outbox.wait_for_state("shop", opened.id, crash.state)
    recorded = read_sends(delivering.sends)
    assert len(recorded) == crash.sends
    assert {send["id"] for send in recorded} == {opened.id}  # a resend carries the same key
    if crash.state == "Failed":
        assert done.error.startswith("outcome unknown: the operator stopped while sending")
        assert operator.metric("appdeploy_notifications_total", outcome="failed") == 1
    elif crash.failpoint == "after-notification-send":
        assert operator.metric("appdeploy_notifications_total", outcome="recovered") == 1
