"""The Slack transport against the fake Web API: metadata, threads, updates, no duplicate post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from appdeploy.api.notify import NotifyEvent
from appdeploy.notify import slack as slack_module
from appdeploy.notify.slack import EVENT_TYPE, HISTORY_MARGIN, SlackSender
from appdeploy.notify.transport import DeliveryError
from tests.cluster.wait import wait_for
from tests.fakes import FakeSlack
from tests.unit.notify.conftest import SLACK_TOKEN
from tests.unit.notify.messages import a_message, a_record, run

CHANNEL = "C0MOBILEQA"


def sender(slack: FakeSlack, channel: str = CHANNEL, **options: object) -> SlackSender:
    options.setdefault("rate_limit_retries", 0)
    return SlackSender(channel, SLACK_TOKEN, api_url=slack.api_url, **options)  # type: ignore[arg-type]


def decided_after(opened_id: str) -> object:
    return a_record(
        NotifyEvent.GATE_DECIDED,
        title="shop 4.12.0: qa-signoff approved by alice, bob",
        thread=opened_id,
        replaces=opened_id,
    )


def test_send_posts_the_text_with_the_record_id_in_metadata(slack: FakeSlack) -> None:
    message = a_message()
    ts = run(sender(slack).send(message))
    (posted,) = slack.posts()
    assert posted.ts == ts and posted.channel == CHANNEL and posted.thread_ts == ""
    assert posted.metadata == {
        "event_type": EVENT_TYPE,
        "event_payload": {
            "id": message.record.id,
            "event": "GateOpened",
            "release": message.release,
            "run": 3,
            "step": "qa-signoff",
            "ordinal": 0,
        },
    }
    assert posted.text.startswith(
        "*shop 4.12.0: qa-signoff waits for your approval*\nFor: <@U0ALICE>"
    )


def test_a_channel_name_is_resolved_to_its_id_for_update_and_history(slack: FakeSlack) -> None:
    transport = sender(slack, "#mobile-qa")
    message = a_message()
    assert run(transport.find_sent(message)) is None
    assert slack.calls_to("conversations.history")[0]["channel"] == CHANNEL


def test_a_record_in_a_thread_is_posted_under_the_threads_first_message(slack: FakeSlack) -> None:
    transport = sender(slack)
    first = a_message()
    first_ts = run(transport.send(first))
    reminder = a_record(NotifyEvent.GATE_REMINDED, ordinal=1, thread=first.record.id)
    reply_ts = run(transport.send(a_message(reminder, thread_ref=first_ts)))
    assert [(p.ts, p.thread_ts) for p in slack.posts()] == [(first_ts, ""), (reply_ts, first_ts)]


def test_a_replacing_record_edits_the_first_message_and_replies_in_its_thread(
    slack: FakeSlack,
) -> None:
    transport = sender(slack)
    first = a_message()
    first_ts = run(transport.send(first))
    decided = a_message(decided_after(first.record.id), thread_ref=first_ts, replaces_ref=first_ts)
    reply_ts = run(transport.send(decided))

    opened, reply = slack.posts()
    assert opened.text == "*shop 4.12.0: qa-signoff approved by alice, bob*" and opened.edited
    assert reply.thread_ts == first_ts and reply.ts == reply_ts
    assert reply.metadata is not None
    assert reply.metadata["event_payload"]["id"] == decided.record.id
    # The edited message still answers to the first record: a later search finds it.
    assert run(sender(slack).find_sent(first)) == first_ts
    assert run(sender(slack).find_sent(decided)) == reply_ts


def test_a_replacing_record_without_a_thread_replies_under_the_message_it_replaces(
    slack: FakeSlack,
) -> None:
    transport = sender(slack)
    first = a_message()
    first_ts = run(transport.send(first))
    decided = a_message(decided_after(first.record.id), replaces_ref=first_ts)
    reply_ts = run(transport.send(decided))
    assert [(p.ts, p.thread_ts) for p in slack.posts()] == [(first_ts, ""), (reply_ts, first_ts)]
    assert run(sender(slack).find_sent(decided)) == reply_ts


@pytest.mark.parametrize("error", ["internal_error", "service_unavailable"])
def test_slacks_own_transient_errors_are_retryable(slack: FakeSlack, error: str) -> None:
    slack.error_next(error)
    with pytest.raises(DeliveryError) as failed:
        run(sender(slack).send(a_message()))
    assert failed.value.retryable


def test_find_sent_finds_a_message_posted_before_a_crash(slack: FakeSlack) -> None:
    message = a_message()
    ts = run(sender(slack).send(message))
    # A new transport: nothing remembered, as after the operator restarted.
    assert run(sender(slack).find_sent(message)) == ts
    (history,) = slack.calls_to("conversations.history")
    assert history["include_all_metadata"] in (True, "1", "true")
    oldest = message.record.created_at - HISTORY_MARGIN
    assert float(history["oldest"]) == pytest.approx(oldest.timestamp(), abs=0.001)


def test_find_sent_is_none_for_a_record_never_posted(slack: FakeSlack) -> None:
    run(sender(slack).send(a_message()))
    other = a_message(a_record(NotifyEvent.GATE_ESCALATED, ordinal=1))
    assert run(sender(slack).find_sent(other)) is None


def test_find_sent_looks_in_the_thread_for_a_reply(slack: FakeSlack) -> None:
    transport = sender(slack)
    first = a_message()
    first_ts = run(transport.send(first))
    reminder = a_message(
        a_record(NotifyEvent.GATE_REMINDED, ordinal=1, thread=first.record.id), thread_ref=first_ts
    )
    reply_ts = run(transport.send(reminder))
    assert run(sender(slack).find_sent(reminder)) == reply_ts
    assert slack.calls_to("conversations.replies")[0]["ts"] == first_ts


def test_find_sent_ignores_messages_older_than_the_record(slack: FakeSlack) -> None:
    message = a_message()
    run(sender(slack).send(message))
    later = message.record.model_copy(
        update={"created_at": datetime.now(UTC) + HISTORY_MARGIN + timedelta(minutes=1)}
    )
    assert run(sender(slack).find_sent(a_message(later))) is None


def test_find_sent_follows_cursors_across_pages(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_module, "PAGE_SIZE", 2)
    transport = sender(slack)
    first = a_message()
    first_ts = run(transport.send(first))
    for ordinal in range(1, 6):
        run(transport.send(a_message(a_record(NotifyEvent.GATE_ESCALATED, ordinal=ordinal))))
    assert run(sender(slack).find_sent(first)) == first_ts
    assert len(slack.calls_to("conversations.history")) == 3


def test_a_post_whose_answer_was_lost_is_not_posted_again(slack: FakeSlack) -> None:
    transport = sender(slack)
    message = a_message()
    slack.fail_next(status=500, body="upstream connect error", after_effect=True)
    with pytest.raises(DeliveryError) as failed:
        run(transport.send(message))
    assert failed.value.retryable
    (posted,) = slack.posts()
    assert run(transport.send(message)) == posted.ts
    assert len(slack.posts()) == 1


def test_a_timed_out_post_is_looked_up_before_it_is_sent_again(slack: FakeSlack) -> None:
    transport = sender(slack, timeout=1)
    message = a_message()
    slack.delay = 2.0
    with pytest.raises(DeliveryError) as failed:
        run(transport.send(message))
    assert failed.value.retryable and "may have been posted" in str(failed.value)
    # The fake finishes the post after the client gave up, as Slack would.
    wait_for(slack.posts, 10, "the slow post to land")
    slack.delay = 0.0
    assert run(transport.send(message)) == slack.posts()[0].ts
    assert len(slack.posts()) == 1


def test_the_sdk_retries_a_rate_limited_post_after_retry_after(slack: FakeSlack) -> None:
    slack.rate_limit_next(1, retry_after=0)
    ts = run(sender(slack, rate_limit_retries=1).send(a_message()))
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert [p.ts for p in slack.posts()] == [ts]


def test_rate_limited_beyond_the_retries_is_retryable_with_retry_after(slack: FakeSlack) -> None:
    slack.rate_limit_next(1, retry_after=7)
    with pytest.raises(DeliveryError) as failed:
        run(sender(slack).send(a_message()))
    assert failed.value.retryable and failed.value.retry_after == 7
    assert "ratelimited" in str(failed.value)


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_auth"])
def test_errors_a_person_must_fix_are_not_retryable(slack: FakeSlack, error: str) -> None:
    slack.error_next(error)
    with pytest.raises(DeliveryError) as failed:
        run(sender(slack).send(a_message()))
    assert not failed.value.retryable and error in str(failed.value)


def test_an_unknown_channel_is_not_retryable(slack: FakeSlack) -> None:
    with pytest.raises(DeliveryError) as failed:
        run(sender(slack, "C0NOSUCH").send(a_message()))
    assert not failed.value.retryable and "channel_not_found" in str(failed.value)


def test_a_server_error_is_retryable(slack: FakeSlack) -> None:
    slack.fail_next(status=503, body="Service Unavailable")
    with pytest.raises(DeliveryError) as failed:
        run(sender(slack).send(a_message()))
    assert failed.value.retryable and "HTTP 503" in str(failed.value)


def test_a_refused_connection_is_retryable(slack: FakeSlack) -> None:
    url = slack.api_url
    slack.stop()
    transport = SlackSender(CHANNEL, SLACK_TOKEN, api_url=url, connect_retries=0)
    with pytest.raises(DeliveryError) as failed:
        run(transport.send(a_message()))
    assert failed.value.retryable and "cannot connect" in str(failed.value)


def test_a_wrong_token_is_refused_and_never_written_in_the_error(slack: FakeSlack) -> None:
    wrong = "xoxb-9999-wrong-t0ken-value"
    transport = SlackSender(CHANNEL, wrong, api_url=slack.api_url)
    with pytest.raises(DeliveryError) as failed:
        run(transport.send(a_message()))
    assert not failed.value.retryable and "invalid_auth" in str(failed.value)
    assert wrong not in str(failed.value) and wrong not in repr(transport)
