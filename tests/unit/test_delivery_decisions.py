"""Delivery's decisions, record by record: due, claim, backoff, give up, recover, wake up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from appdeploy.api.channels import DeliveryGuarantee, NotificationChannelSpec
from appdeploy.api.notifications import DeliveryState, Notification
from appdeploy.notify import decisions
from appdeploy.notify.channel_check import (
    ChannelReason,
    SecretUnreadable,
    check_channel,
    ready_condition,
    redact,
    url_allowed,
)
from appdeploy.notify.patches import claim_ops, record_ops

NOW = datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC)


def record(**fields: object) -> Notification:
    base: dict[str, object] = {
        "id": "n1",
        "event": "GateOpened",
        "channel": "mobile-qa",
        "run": 1,
        "step": "qa",
        "title": "shop 1.0.0: qa waits for your approval",
        "created_at": NOW,
    }
    return Notification.model_validate({**base, **fields})


def test_a_pending_record_is_due_at_once_or_after_its_backoff() -> None:
    assert decisions.is_due(record(), NOW)
    later = record(next_attempt_at=NOW + timedelta(seconds=10))
    assert not decisions.is_due(later, NOW)
    assert decisions.is_due(later, NOW + timedelta(seconds=10))
    assert not decisions.is_due(record(state="Sending"), NOW)
    assert not decisions.is_due(record(state="Sent"), NOW)


def test_a_claim_is_sending_with_one_attempt_more() -> None:
    claim = decisions.claimed(record(attempts=2))
    assert (claim.state, claim.attempts) == (DeliveryState.SENDING, 3)


def test_sent_keeps_the_providers_reference_and_clears_the_error() -> None:
    done = decisions.sent(record(state="Sending", attempts=2, error="503"), "1700.01", NOW)
    assert (done.state, done.ref, done.sent_at, done.error) == ("Sent", "1700.01", NOW, "")
    assert done.next_attempt_at is None


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 10), (2, 20), (3, 40), (4, 80), (6, 320), (7, 600), (9, 600), (40, 600)],
)
def test_backoff_doubles_from_10s_to_10m(attempts: int, seconds: int) -> None:
    assert decisions.backoff(attempts) == timedelta(seconds=seconds)


def test_backoff_honours_the_providers_retry_after() -> None:
    assert decisions.backoff(1, retry_after=42.2) == timedelta(seconds=43)
    assert decisions.backoff(3, retry_after=5) == timedelta(seconds=40)  # never less than ours


def test_a_retryable_failure_backs_off_and_keeps_the_error() -> None:
    claim = decisions.claimed(record())
    again = decisions.after_failure(claim, "503 Service Unavailable", NOW, retryable=True)
    assert again.state is DeliveryState.PENDING
    assert again.next_attempt_at == NOW + timedelta(seconds=10)
    assert again.error == "503 Service Unavailable"
    assert again.attempts == 1


def test_a_backoff_never_ends_earlier_than_asked() -> None:
    claim = decisions.claimed(record())
    moment = NOW + timedelta(microseconds=300)
    again = decisions.after_failure(claim, "429", moment, retryable=True, retry_after=1.5)
    assert again.next_attempt_at is not None
    assert again.next_attempt_at >= moment + timedelta(seconds=10)
    assert again.next_attempt_at.microsecond == 0


def test_a_failure_that_will_not_heal_fails_the_record_at_once() -> None:
    claim = decisions.claimed(record())
    done = decisions.after_failure(claim, "invalid_auth", NOW, retryable=False)
    assert (done.state, done.error, done.next_attempt_at) == ("Failed", "invalid_auth", None)


def test_the_tenth_attempt_is_the_last() -> None:
    claim = decisions.claimed(record(attempts=9))
    done = decisions.after_failure(claim, "timeout", NOW, retryable=True)
    assert done.state is DeliveryState.FAILED
    assert done.error == "gave up after 10 attempts: timeout"
    assert (
        decisions.after_failure(
            decisions.claimed(record(attempts=8)), "timeout", NOW, retryable=True
        ).state
        is DeliveryState.PENDING
    )


def test_a_day_after_it_was_decided_the_record_is_given_up() -> None:
    old = decisions.claimed(record(created_at=NOW - timedelta(hours=24)))
    done = decisions.after_failure(old, "503", NOW, retryable=True)
    assert (done.state, done.error) == ("Failed", "gave up 24h after it was due: 503")
    assert decisions.is_expired(record(created_at=NOW - timedelta(hours=24)), NOW)
    assert not decisions.is_expired(record(created_at=NOW - timedelta(hours=23)), NOW)
    assert decisions.expired(record()).error == "not delivered within 24h; not sent"


def test_an_orphan_is_sent_again_at_least_once_and_given_up_at_most_once() -> None:
    assert decisions.recovery(DeliveryGuarantee.AT_LEAST_ONCE) is decisions.Recovery.SEND_AGAIN
    assert decisions.recovery(DeliveryGuarantee.AT_MOST_ONCE) is decisions.Recovery.GIVE_UP
    assert "not resent (delivery: AtMostOnce)" in decisions.OUTCOME_UNKNOWN


def test_a_thread_waits_for_its_first_message_and_then_carries_its_ref() -> None:
    first = record(id="open")
    reply = record(id="remind", thread="open", replaces="")
    assert not decisions.references(reply, {"open": first}).ready
    sending = decisions.claimed(first)
    assert not decisions.references(reply, {"open": sending}).ready
    sent = decisions.sent(sending, "1700.01", NOW)
    refs = decisions.references(reply, {"open": sent})
    assert (refs.ready, refs.thread_ref, refs.replaces_ref) == (True, "1700.01", "")
    update = record(id="decided", thread="open", replaces="open")
    assert decisions.references(update, {"open": sent}).replaces_ref == "1700.01"


def test_a_thread_whose_first_message_failed_or_is_gone_goes_out_on_its_own() -> None:
    failed = decisions.failed(record(id="open"), "channel_not_found")
    reply = record(id="remind", thread="open")
    assert decisions.references(reply, {"open": failed}) == decisions.References(True, "", "")
    assert decisions.references(reply, {}) == decisions.References(True, "", "")


def test_wakeup_now_for_due_and_orphaned_records_later_for_backoffs() -> None:
    backed_off = record(id="b", next_attempt_at=NOW + timedelta(seconds=40))
    sooner = record(id="c", next_attempt_at=NOW + timedelta(seconds=20))
    assert decisions.wakeup([record(state="Sent")], NOW, frozenset()) == decisions.Wakeup(False)
    assert decisions.wakeup([backed_off, sooner], NOW, frozenset()) == decisions.Wakeup(
        False, NOW + timedelta(seconds=20)
    )
    assert decisions.wakeup([backed_off, record(id="a")], NOW, frozenset()).now
    orphan = record(id="s", state="Sending", attempts=1)
    assert decisions.wakeup([orphan], NOW, frozenset()).now
    assert not decisions.wakeup([orphan], NOW, frozenset({"s"})).now  # in flight here


def test_wakeup_does_not_spin_on_a_reply_whose_thread_backs_off() -> None:
    first = record(id="open", next_attempt_at=NOW + timedelta(seconds=30))
    reply = record(id="remind", thread="open")
    wake = decisions.wakeup([first, reply], NOW, frozenset())
    assert wake == decisions.Wakeup(False, NOW + timedelta(seconds=30))


def test_a_claim_tests_the_whole_record_as_read() -> None:
    stored = record().to_wire()
    ops = claim_ops(3, stored, decisions.claimed(record()))
    assert ops[0] == {"op": "test", "path": "/status/notifications/3", "value": stored}
    assert ops[1]["op"] == "replace"
    assert ops[1]["value"]["state"] == "Sending"
    assert ops[1]["value"]["attempts"] == 1


def test_an_outcome_tests_the_claim_id_state_and_attempt() -> None:
    claim = decisions.claimed(record(attempts=1))
    ops = record_ops(0, claim, decisions.sent(claim, "r", NOW))
    assert ops[:3] == [
        {"op": "test", "path": "/status/notifications/0/id", "value": "n1"},
        {"op": "test", "path": "/status/notifications/0/state", "value": "Sending"},
        {"op": "test", "path": "/status/notifications/0/attempts", "value": 2},
    ]
    assert ops[3]["value"]["ref"] == "r"


# --- channels -------------------------------------------------------------------------

SLACK = {"slack": {"channel": "#qa", "tokenSecretRef": {"name": "slack", "key": "token"}}}


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/api/", True),
        ("https://slack.com/api/", False),
        ("http://127.0.0.1:1@evil.example/api/", False),  # user info: goes to evil.example
        ("http://127.0.0.1:1\\@evil.example/", False),
        ("http://127.0.0.1:1/ x", False),
    ],
)
def test_the_provider_url_must_start_with_an_allowed_prefix(url: str, allowed: bool) -> None:
    assert url_allowed(url, ["http://127.0.0.1:"]) is allowed


def test_no_prefix_allows_nothing() -> None:
    assert not url_allowed("http://127.0.0.1:8080/", [])
    assert not url_allowed("http://127.0.0.1:8080/", [""])


def test_a_channel_is_ready_when_its_secret_keys_are_readable() -> None:
    check = check_channel(SLACK, lambda name: {"token": "xoxb-1234"}, [])
    assert check.ready and check.secrets == {("slack", "token"): "xoxb-1234"}


@pytest.mark.parametrize(
    ("spec", "secrets", "reason", "message"),
    [
        ({"slack": {"channel": "#qa"}}, {}, "InvalidSpec", "spec.slack.tokenSecretRef"),
        ({}, {}, "InvalidSpec", "set exactly one of"),
        (SLACK, {}, "SecretNotFound", "Secret slack not found"),
        (SLACK, {"slack": {"other": "x"}}, "SecretKeyNotFound", "Secret slack has no key token"),
        (
            {"slack": {**SLACK["slack"], "apiUrl": "https://evil.example/api/"}},
            {"slack": {"token": "xoxb-1"}},
            "ProviderURLNotAllowed",
            "spec.slack.apiUrl https://evil.example/api/ is not allowed",
        ),
    ],
)
def test_a_channel_that_cannot_deliver_says_why(
    spec: dict[str, object], secrets: dict[str, dict[str, str]], reason: str, message: str
) -> None:
    check = check_channel(spec, secrets.get, ["http://127.0.0.1:"])
    assert check.reason == ChannelReason(reason)
    assert message in check.message
    assert not check.ready


def test_a_secret_the_operator_may_not_read_is_reported() -> None:
    def forbidden(name: str) -> dict[str, str]:
        raise SecretUnreadable(f"the operator may not read Secret {name} (403 Forbidden)")

    check = check_channel(SLACK, forbidden, [])
    assert check.reason is ChannelReason.SECRET_NOT_FOUND
    assert "403" in check.message


def test_the_ready_condition_tells_a_failed_last_delivery_and_keeps_its_transition_time() -> None:
    ready = check_channel(SLACK, lambda name: {"token": "xoxb-1234"}, [])
    first = ready_condition(ready, None, [], 1, NOW)
    assert (first["status"], first["reason"], first["lastTransitionTime"]) == (
        "True", "Ready", "2026-11-27T09:00:00Z",
    )  # fmt: skip
    later = ready_condition(ready, {"outcome": "Sent"}, [first], 2, NOW + timedelta(hours=1))
    assert later["lastTransitionTime"] == "2026-11-27T09:00:00Z"
    assert later["observedGeneration"] == 2
    failed = ready_condition(ready, {"outcome": "Failed", "message": "invalid_auth"}, [later], 2,
                             NOW + timedelta(hours=2))  # fmt: skip
    assert (failed["status"], failed["reason"]) == ("False", "DeliveryFailed")
    assert failed["message"] == "the last delivery failed: invalid_auth"
    assert failed["lastTransitionTime"] == "2026-11-27T11:00:00Z"


def test_errors_are_redacted_of_secret_values() -> None:
    text = "POST https://hooks.example/T0/B0/s3cr3t-token failed: 404"
    assert redact(text, ["https://hooks.example/T0/B0/s3cr3t-token", "ab"]) == (
        "POST [redacted] failed: 404"
    )


def test_the_default_guarantee_is_the_transports() -> None:
    email = {
        "email": {"smtpSecretRef": {"name": "smtp", "key": "url"}, "from": "a@x", "to": ["b@x"]}
    }
    assert (
        NotificationChannelSpec.model_validate(email).guarantee() is DeliveryGuarantee.AT_MOST_ONCE
    )
    assert (
        NotificationChannelSpec.model_validate(SLACK).guarantee() is DeliveryGuarantee.AT_LEAST_ONCE
    )
