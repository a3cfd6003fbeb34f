"""The e-mail transport against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import pytest

from appdeploy.api.notify import NotifyEvent
from appdeploy.notify.email import EmailSender, message_id, parse_smtp_url
from appdeploy.notify.transport import DeliveryError
from tests.fakes import FakeSmtp
from tests.unit.notify.messages import RELEASE, a_message, a_record, run

SENDER = "releases@example.com"
RECIPIENTS = ["qa@example.com", "release-managers@example.com"]


def sender(url: str) -> EmailSender:
    return EmailSender(url, SENDER, RECIPIENTS, timeout=5)


def failure(url: str) -> DeliveryError:
    with pytest.raises(DeliveryError) as failed:
        run(sender(url).send(a_message()))
    return failed.value


def test_send_delivers_one_message_whose_id_derives_from_the_record(smtp: FakeSmtp) -> None:
    message = a_message()
    ref = run(sender(smtp.url()).send(message))
    assert ref == f"<{message.record.id}@appdeploy.dev>"
    (mail,) = smtp.messages
    assert mail["Message-ID"] == ref
    assert mail["Subject"] == message.record.title
    assert mail["From"] == SENDER and mail["To"] == ", ".join(RECIPIENTS)
    assert mail["In-Reply-To"] is None
    assert mail["X-Appdeploy-Release"] == RELEASE
    body = mail.get_content()
    assert "kubectl appdeploy approve shop-4-12-0 qa-signoff" in body
    assert "For: alice@example.com, qa, not bob" in body
    assert smtp.envelopes == [(SENDER, RECIPIENTS)]


def test_a_record_in_a_thread_replies_to_the_threads_first_message(smtp: FakeSmtp) -> None:
    first = a_record()
    reminder = a_record(NotifyEvent.GATE_REMINDED, ordinal=1, thread=first.id)
    run(sender(smtp.url()).send(a_message(reminder)))
    (mail,) = smtp.messages
    assert mail["In-Reply-To"] == message_id(first.id)
    assert mail["References"] == message_id(first.id)


def test_a_temporary_refusal_is_retryable(smtp: FakeSmtp) -> None:
    smtp.reject_next(code=451, text="4.3.0 mailbox busy")
    error = failure(smtp.url())
    assert error.retryable and "451" in str(error)


def test_a_permanent_refusal_is_not_retryable(smtp: FakeSmtp) -> None:
    smtp.reject_next(code=550, text="5.7.1 relaying denied")
    error = failure(smtp.url())
    assert not error.retryable and "550" in str(error)


def test_a_wrong_password_is_refused_and_never_written_in_the_error(smtp: FakeSmtp) -> None:
    wrong = "wr0ng-smtp-passw0rd"
    url = smtp.url(password=wrong)
    error = failure(url)
    assert not error.retryable and "535" in str(error)
    assert wrong not in str(error) and wrong not in repr(sender(url))
    assert smtp.messages == []


def test_a_refused_connection_is_retryable(smtp: FakeSmtp) -> None:
    url = smtp.url()
    smtp.stop()
    error = failure(url)
    assert error.retryable and "smtp-s3cr3t-pass" not in str(error)


def test_required_starttls_refuses_a_server_that_does_not_offer_it(smtp: FakeSmtp) -> None:
    error = failure(smtp.url() + "?starttls=required")
    assert not error.retryable and "STARTTLS" in str(error)
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", None, None, None, False, None)),
        ("smtp://u%40example.com:p%3Ass@mx:587", ("mx", 587, "u@example.com", "p:ss", False, None)),
        ("smtps://u:p@mx", ("mx", None, "u", "p", True, None)),
        ("smtp://mx:25?starttls=required", ("mx", 25, None, None, False, True)),
    ],
)
def test_smtp_urls(url: str, expected: tuple[object, ...]) -> None:
    server = parse_smtp_url(url)
    got = (server.hostname, server.port, server.username, server.password, server.use_tls)
    assert (*got, server.start_tls) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://u:s3cr3tpw@mx",
        "smtp://u:s3cr3tpw@mx:notaport",
        "smtp://u:s3cr3tpw@mx?starttls=maybe",
    ],
)
def test_a_bad_smtp_url_is_not_retryable_and_not_repeated(url: str) -> None:
    with pytest.raises(DeliveryError) as failed:
        parse_smtp_url(url)
    assert not failed.value.retryable and "s3cr3tpw" not in str(failed.value)
