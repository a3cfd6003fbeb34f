"""transport_for: the right transport per channel, and credentials kept out of errors and logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from appdeploy.api.channels import NotificationChannelSpec, SecretKeyRef
from appdeploy.notify.email import EmailSender
from appdeploy.notify.factory import transport_for
from appdeploy.notify.pagerduty import PagerDutySender
from appdeploy.notify.slack import SlackSender
from appdeploy.notify.teams import TeamsSender
from appdeploy.notify.transport import DeliveryError, Transport
from appdeploy.notify.webhook import WebhookSender
from tests.fakes import FakePagerDuty, FakeSlack, FakeSmtp, FakeTeams, FakeWebhookSink
from tests.unit.notify.conftest import SIGNING_SECRET
from tests.unit.notify.messages import a_message, run

WRONG = {
    "slack": "xoxb-0000-wrong-s3cr3t-token",
    "webhook": "/hooks/T0/B0/wrongPathS3cr3t",
    "email": "wrong-smtp-passw0rd",
    "pagerduty": "R0WRONGROUTINGKEYS3CR3T000000000",
    "teams": "sig0wrong0teams0S3cr3t",
}


def ref(name: str) -> dict[str, str]:
    return {"name": name, "key": "value"}


def secrets_from(values: dict[str, str]) -> Callable[[SecretKeyRef], str]:
    def secret(key: SecretKeyRef) -> str:
        return values[key.name]  # a missing Secret is the caller's KeyError

    return secret


def spec(**fields: object) -> NotificationChannelSpec:
    return NotificationChannelSpec.model_validate(fields)


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"slack": {"channel": "#mobile-qa", "tokenSecretRef": ref("slack")}}, SlackSender),
        ({"webhook": {"urlSecretRef": ref("hook")}}, WebhookSender),
        (
            {"email": {"smtpSecretRef": ref("smtp"), "from": "a@example.com", "to": ["b@x.dev"]}},
            EmailSender,
        ),
        ({"pagerduty": {"routingKeySecretRef": ref("pd")}}, PagerDutySender),
        ({"teams": {"urlSecretRef": ref("teams")}}, TeamsSender),
    ],
)
def test_each_transport_is_built_from_its_secrets(fields: dict[str, object], kind: type) -> None:
    values = {
        "slack": "xoxb-token-value-1234",
        "hook": "http://127.0.0.1:9/hook-token-value-1234",
        "smtp": "smtp://u:password-value-1234@127.0.0.1:9",
        "pd": "routing-key-value-1234",
        "teams": "http://127.0.0.1:9/teams?sig=sig-value-1234",
    }
    transport = transport_for(spec(**fields), secrets_from(values))
    assert isinstance(transport, kind)
    assert not any(value in repr(transport) for value in values.values())


def test_a_missing_secret_is_the_callers_error() -> None:
    channel = spec(webhook={"urlSecretRef": ref("hook"), "signingSecretRef": ref("absent")})
    with pytest.raises(KeyError):
        transport_for(channel, secrets_from({"hook": "http://127.0.0.1:9/"}))


def broken_sends() -> list[
    tuple[str, Callable[[], tuple[object, NotificationChannelSpec, dict[str, str]]]]
]:
    """Per transport: a running fake, a channel naming it, and a wrong credential for it."""

    def slack() -> tuple[object, NotificationChannelSpec, dict[str, str]]:
        server = FakeSlack().start()
        channel = spec(
            slack={"channel": "C0MOBILEQA", "tokenSecretRef": ref("s"), "apiUrl": server.api_url}
        )
        return server, channel, {"s": WRONG["slack"]}

    def webhook() -> tuple[object, NotificationChannelSpec, dict[str, str]]:
        server = FakeWebhookSink(SIGNING_SECRET).start()
        server.fail_next(status=404, body=f"Cannot POST {WRONG['webhook']}")
        channel = spec(webhook={"urlSecretRef": ref("u"), "signingSecretRef": ref("k")})
        return server, channel, {"u": server.url + WRONG["webhook"], "k": SIGNING_SECRET}

    def email() -> tuple[object, NotificationChannelSpec, dict[str, str]]:
        server = FakeSmtp(username="bot", password="right-passw0rd").start()
        channel = spec(
            email={"smtpSecretRef": ref("m"), "from": "a@example.com", "to": ["b@x.dev"]}
        )
        return server, channel, {"m": server.url(password=WRONG["email"])}

    def pagerduty() -> tuple[object, NotificationChannelSpec, dict[str, str]]:
        server = FakePagerDuty().start()
        channel = spec(pagerduty={"routingKeySecretRef": ref("r"), "apiUrl": server.events_url})
        return server, channel, {"r": WRONG["pagerduty"]}

    def teams() -> tuple[object, NotificationChannelSpec, dict[str, str]]:
        server = FakeTeams().start()
        channel = spec(teams={"urlSecretRef": ref("t")})
        return server, channel, {"t": server.webhook_url.replace(server.signature, WRONG["teams"])}

    return [
        ("slack", slack),
        ("webhook", webhook),
        ("email", email),
        ("pagerduty", pagerduty),
        ("teams", teams),
    ]


@pytest.mark.parametrize(
    ("name", "setup"), broken_sends(), ids=[name for name, _ in broken_sends()]
)
def test_a_wrong_credential_is_never_written_in_the_error_or_the_logs(
    name: str,
    setup: Callable[[], tuple[object, NotificationChannelSpec, dict[str, str]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, channel, values = setup()
    caplog.set_level(logging.DEBUG)
    try:
        transport: Transport = transport_for(channel, secrets_from(values))

        async def story() -> DeliveryError:
            try:
                with pytest.raises(DeliveryError) as failed:
                    await transport.send(a_message())
                return failed.value
            finally:
                await transport.close()

        error = run(story())
    finally:
        server.stop()  # type: ignore[attr-defined]
    assert not error.retryable
    secret = WRONG[name]
    assert secret not in str(error) and secret not in repr(error) and secret not in repr(transport)
    # aiohttp.access is the fake servers' own request log, not the operator's.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp.access")]
    assert not [line for line in logged if secret in line]
