"""The webhook transport against a sink that checks the signature on its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from appdeploy.notify.http_post import retry_after_seconds
from appdeploy.notify.transport import DeliveryError
from appdeploy.notify.webhook import WebhookSender
from tests.fakes import FakeWebhookSink
from tests.unit.notify.conftest import SIGNING_SECRET
from tests.unit.notify.messages import RELEASE, a_message, run

HOOK_PATH = "/hooks/T0ACME/B0RELEASES/pathT0kenS3cr3t"


def sender(
    sink: FakeWebhookSink, secret: str | None = SIGNING_SECRET, **options: float
) -> WebhookSender:
    return WebhookSender(sink.url + HOOK_PATH, secret, **options)  # type: ignore[arg-type]


def failure(sink: FakeWebhookSink, **options: float) -> DeliveryError:
    with pytest.raises(DeliveryError) as failed:
        run(sender(sink, **options).send(a_message()))
    return failed.value


def test_send_posts_the_record_signed_with_its_idempotency_key(sink: FakeWebhookSink) -> None:
    message = a_message()
    assert run(sender(sink).send(message)) == message.record.id
    (received,) = sink.received
    assert received.signature_ok is True and received.status == 204
    assert received.idempotency_key == message.record.id
    assert received.headers["X-Appdeploy-Event"] == "GateOpened"
    assert received.headers["Content-Type"] == "application/json"
    assert received.body == {
        "id": message.record.id,
        "event": "GateOpened",
        "release": RELEASE,
        "channel": "mobile-qa",
        "run": 3,
        "step": "qa-signoff",
        "ordinal": 0,
        "title": message.record.title,
        "text": message.record.text,
        "mentions": {"users": ["alice@example.com"], "groups": ["qa"], "exceptUsers": ["bob"]},
        "thread": "",
        "replaces": "",
        "createdAt": message.record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def test_the_receivers_own_id_becomes_the_reference() -> None:
    with FakeWebhookSink(SIGNING_SECRET, answer_id=True) as sink:
        message = a_message()
        assert run(sender(sink).send(message)) == f"sink-{message.record.id}"


def test_without_a_signing_secret_nothing_is_signed() -> None:
    with FakeWebhookSink() as sink:
        run(sender(sink, secret=None).send(a_message()))
        (received,) = sink.received
        assert "X-Appdeploy-Signature" not in received.headers
        assert "X-Appdeploy-Timestamp" not in received.headers


def test_a_wrong_signing_secret_is_refused_and_not_retryable(sink: FakeWebhookSink) -> None:
    with pytest.raises(DeliveryError) as failed:
        run(WebhookSender(sink.url + HOOK_PATH, "not-the-secret").send(a_message()))
    assert not failed.value.retryable and "HTTP 401" in str(failed.value)
    assert sink.received[0].signature_ok is False


def test_a_resend_after_a_lost_answer_carries_the_same_key(sink: FakeWebhookSink) -> None:
    message = a_message()
    sink.fail_next(status=502, after_effect=True)
    with pytest.raises(DeliveryError) as failed:
        run(sender(sink).send(message))
    assert failed.value.retryable
    run(sender(sink).send(message))
    assert sink.delivered_keys() == {message.record.id: 2}


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_statuses_worth_retrying(sink: FakeWebhookSink, status: int) -> None:
    sink.fail_next(status=status)
    assert failure(sink).retryable


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_refusals_that_will_repeat_are_not_retryable(sink: FakeWebhookSink, status: int) -> None:
    sink.fail_next(status=status, body="no")
    error = failure(sink)
    assert not error.retryable and f"HTTP {status}: no" in str(error)


def test_retry_after_is_honoured(sink: FakeWebhookSink) -> None:
    sink.fail_next(status=429, headers={"Retry-After": "30"})
    error = failure(sink)
    assert error.retryable and error.retry_after == 30


def test_retry_after_may_be_an_http_date() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    header = {"retry-after": format_datetime(now + timedelta(seconds=90), usegmt=True)}
    assert retry_after_seconds(header, now) == 90
    assert retry_after_seconds({"retry-after": "soon"}, now) is None
    assert retry_after_seconds({}, now) is None


def test_a_redirect_is_not_followed(sink: FakeWebhookSink) -> None:
    sink.fail_next(status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"})
    error = failure(sink)
    assert not error.retryable and "redirects are not followed" in str(error)
    assert len(sink.received) == 1


def test_a_slow_receiver_times_out_retryably(sink: FakeWebhookSink) -> None:
    sink.delay = 2.0
    error = failure(sink, timeout=0.5)
    assert error.retryable and "timed out" in str(error)


def test_a_refused_connection_is_retryable(sink: FakeWebhookSink) -> None:
    sink.stop()
    error = failure(sink, connect_retries=0)
    assert error.retryable and "ConnectError" in str(error)


def test_the_url_is_never_written_in_the_error_even_when_the_receiver_echoes_it(
    sink: FakeWebhookSink,
) -> None:
    sink.fail_next(status=404, body=f"Cannot POST {sink.url}{HOOK_PATH} (path {HOOK_PATH})")
    error = failure(sink)
    assert "pathT0kenS3cr3t" not in str(error) and "<redacted>" in str(error)


def test_the_body_is_compact_json_signed_exactly_as_sent(sink: FakeWebhookSink) -> None:
    run(sender(sink).send(a_message()))
    (received,) = sink.received
    assert received.raw == json.dumps(received.body, separators=(",", ":"), sort_keys=True).encode()
