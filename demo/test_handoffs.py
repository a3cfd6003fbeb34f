"""The demo's hand-offs: its channels, the lines it prints, and the providers' tally.

The channels and the lines are pure; the tally is checked against the real
fakes on 127.0.0.1, fed by the real transports, so "each message arrived
once" is counted the way the demo counts it at the end of ``make demo``.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from appdeploy.api.channels import SecretKeyRef
from appdeploy.api.notifications import DeliveryState, Mentions, Notification, notification_id
from appdeploy.api.notify import NotifyEvent
from appdeploy.notify.factory import transport_for
from appdeploy.notify.transport import Message
from demo.approvers import members_by_group
from demo.channels import (
    DemoChannels,
    Endpoints,
    demo_channels,
    load_channels,
    slack_conversations,
)
from demo.handoffs import HandoffView, received_summary, told
from demo.providers import Providers
from demo.release import demo_release, load_example
from demo.view import Printer

FAKE = Endpoints(
    slack_api_url="http://127.0.0.1:1/api/",
    slack_token="xoxb-demo",
    webhook_url="http://127.0.0.1:2/appdeploy",
    webhook_signing_key="sign",
    smtp_url="smtp://127.0.0.1:3",
    pagerduty_url="http://127.0.0.1:4/v2/enqueue",
    pagerduty_routing_key="R0KEY",
)
MEMBERS = members_by_group(demo_release(load_example()).spec)


def _record(
    event: NotifyEvent, channel: str, step: str = "qa-signoff", **fields: Any
) -> Notification:
    ordinal = fields.pop("ordinal", 1 if event is NotifyEvent.GATE_REMINDED else 0)
    defaults: dict[str, Any] = {
        "title": f"shop 4.12.0: {step} waits for your approval",
        "mentions": Mentions(groups=["qa"]),
        "created_at": datetime.now(UTC),
    }
    return Notification(
        id=notification_id("uid", 1, step, str(event), ordinal=ordinal, channel=channel),
        event=event,
        channel=channel,
        run=1,
        step=step,
        ordinal=ordinal,
        **{**defaults, **fields},
    )


def test_the_example_channels_are_pointed_at_the_fakes_with_demo_secrets() -> None:
    channels = demo_channels(load_channels(), FAKE)
    assert channels.transports == {
        "mobile-qa": "slack",
        "qa-leads": "slack",
        "releases": "webhook",
        "compliance-mail": "email",
        "release-pager": "pagerduty",
    }
    specs = {name: channels.spec(name) for name in channels.transports}
    assert specs["mobile-qa"].slack is not None
    assert specs["mobile-qa"].slack.api_url == FAKE.slack_api_url
    assert specs["mobile-qa"].directory.users["alice@example.com"] == "U0ALICE"
    assert specs["release-pager"].pagerduty is not None
    assert specs["release-pager"].pagerduty.api_url == FAKE.pagerduty_url
    assert channels.secrets == {
        "slack-bot": {"token": "xoxb-demo"},
        "release-webhook": {"url": FAKE.webhook_url, "signing-key": "sign"},
        "smtp": {"url": FAKE.smtp_url},
        "pagerduty": {"routing-key": "R0KEY"},
    }
    assert channels.describe("compliance-mail") == "email to compliance@example.com"
    assert "apiUrl" not in load_channels()[0]["spec"]["slack"]  # the example is left alone


def test_each_delivered_record_is_one_line_naming_who_was_told() -> None:
    out = io.StringIO()
    view = HandoffView(Printer(out, colour=False), {"mobile-qa": "slack"}, MEMBERS)
    opened = _record(NotifyEvent.GATE_OPENED, "mobile-qa")
    view.show([opened])  # Pending: not told yet
    assert out.getvalue() == ""
    sent = {"state": DeliveryState.SENT, "sent_at": datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC)}
    reminded = _record(NotifyEvent.GATE_REMINDED, "mobile-qa", **sent)
    view.show([opened.model_copy(update=sent), reminded])
    view.show([opened.model_copy(update=sent), reminded])  # each once
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(
        "  → mobile-qa (slack): qa-signoff waits for alice@example.com, bob@example.com (group qa)"
    )
    assert lines[1].endswith(
        "→ mobile-qa (slack): reminder: qa-signoff still waits for "
        "alice@example.com, bob@example.com (group qa)"
    )


def test_a_line_names_who_cannot_help_and_says_when_nothing_could_be_delivered() -> None:
    barred = Mentions(groups=["compliance"], except_users=["alice@example.com"])
    compliance = _record(NotifyEvent.GATE_OPENED, "compliance-mail", "compliance", mentions=barred)
    assert told(compliance, {"compliance": ["alice@example.com", "carol@example.com"]}) == (
        "compliance waits for carol@example.com (group compliance; not alice@example.com)"
    )
    outcome = _record(
        NotifyEvent.RELEASE_SUCCEEDED, "releases", "", title="shop 4.12.0: released",
        mentions=Mentions(),
    )  # fmt: skip
    assert told(outcome, MEMBERS) == "shop 4.12.0: released"
    out = io.StringIO()
    failed = outcome.model_copy(update={"state": DeliveryState.FAILED, "error": "404 Not Found"})
    HandoffView(Printer(out, colour=False), {"releases": "webhook"}, MEMBERS).show([failed])
    assert "! releases (webhook): not delivered: shop 4.12.0: released: 404 Not Found" in (
        out.getvalue()
    )


@pytest.fixture
def providers() -> Iterator[tuple[Providers, DemoChannels]]:
    documents = load_channels()
    with Providers(slack_conversations(documents)) as running:
        yield running, demo_channels(documents, running.endpoints())


def _deliver(channels: DemoChannels, record: Notification) -> Notification:
    """Send ``record`` through its channel's real transport, as a delivery worker would."""
    spec = channels.spec(record.channel)

    def secret(ref: SecretKeyRef) -> str:
        return channels.secrets[ref.name][ref.key]

    message = Message(record, "mobile-releases/shop-4-12-0", spec.directory)
    ref = asyncio.run(transport_for(spec, secret).send(message))
    return record.model_copy(update={"state": DeliveryState.SENT, "ref": ref})


def test_every_fake_counts_each_record_it_received_by_id(
    providers: tuple[Providers, DemoChannels],
) -> None:
    running, channels = providers
    records = [
        _deliver(channels, _record(NotifyEvent.GATE_OPENED, "mobile-qa")),
        _deliver(channels, _record(NotifyEvent.GATE_REMINDED, "mobile-qa")),
        _deliver(channels, _record(NotifyEvent.GATE_OPENED, "releases")),
        _deliver(channels, _record(NotifyEvent.GATE_OPENED, "compliance-mail", "compliance")),
        _deliver(channels, _record(NotifyEvent.GATE_ESCALATED, "release-pager", ordinal=2)),
        _deliver(channels, _record(NotifyEvent.GATE_DECIDED, "release-pager")),
    ]
    lines, problems = received_summary(records, channels, running.received())
    assert problems == []
    assert lines[0].split()[:4] == ["mobile-qa", "slack", "#mobile-qa", "2"]
    assert lines[0].endswith("2 messages: GateOpened, GateReminded")
    assert lines[1].split()[-1] == "nothing"  # qa-leads
    assert lines[4].split()[-3:] == ["messages:", "GateEscalated,", "GateDecided"]

    # A resend with the same id is a duplicate; a record no provider got is missing.
    _deliver(channels, records[2])
    never = _record(NotifyEvent.GATE_OPENED, "qa-leads").model_copy(
        update={"state": DeliveryState.SENT}
    )
    _, problems = received_summary([*records, never], channels, running.received())
    assert problems == [
        "qa-leads: GateOpened qa-signoff never arrived",
        "releases: GateOpened qa-signoff arrived 2 times",
    ]
    assert received_summary([], channels, Counter({"stray": 1}))[1] == [
        "the providers got 1 message(s) no outbox record accounts for"
    ]
