"""The fake providers the demo's channels deliver to, on 127.0.0.1, and what each received.

They are the tests' fakes (``tests/fakes``), used as they are: the demo
already runs on the tests' control plane tooling (``tests.cluster``), and the
fakes are what the delivery tests trust to speak the real wire shapes (the
sink checks the signature from the documented scheme, the SMTP server is a
real aiosmtpd). Nothing here dials out: every fake listens on loopback only.

``times_received`` counts how often a provider got one outbox record, by the
id each transport carries (Slack message metadata, the webhook's
``Idempotency-Key``, the e-mail's Message-ID, PagerDuty's ``custom_details.id``;
a PagerDuty resolve carries only the incident's ``dedup_key``), so the demo
can say that every message arrived exactly once.
"""

from __future__ import annotations

from collections import Counter
from typing import Self

from tests.fakes import FakePagerDuty, FakeSlack, FakeSmtp, FakeWebhookSink

from appdeploy.api.notifications import Notification
from appdeploy.notify.pagerduty import TRIGGERS
from demo.channels import Endpoints

SLACK_TOKEN = "xoxb-appdeploy-demo"
SIGNING_KEY = "demo-webhook-signing-key"
ROUTING_KEY = "R0DEMOROUTINGKEY000000000000000"
SINK_PATH = "/appdeploy"


class Providers:
    """A fake Slack workspace, webhook sink, SMTP server and PagerDuty, started together."""

    def __init__(self, slack_conversations: dict[str, str]) -> None:
        self.slack = FakeSlack(SLACK_TOKEN, channels=dict(slack_conversations))
        self.sink = FakeWebhookSink(SIGNING_KEY)
        self.smtp = FakeSmtp()
        self.pagerduty = FakePagerDuty(ROUTING_KEY)

    def start(self) -> Self:
        started: list[FakeSlack | FakeWebhookSink | FakeSmtp | FakePagerDuty] = []
        try:
            for fake in (self.slack, self.sink, self.smtp, self.pagerduty):
                fake.start()
                started.append(fake)
        except BaseException:
            for fake in started:
                fake.stop()
            raise
        return self

    def stop(self) -> None:
        for fake in (self.slack, self.sink, self.smtp, self.pagerduty):
            fake.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def endpoints(self) -> Endpoints:
        return Endpoints(
            slack_api_url=self.slack.api_url,
            slack_token=SLACK_TOKEN,
            webhook_url=self.sink.url + SINK_PATH,
            webhook_signing_key=SIGNING_KEY,
            smtp_url=self.smtp.url(),
            pagerduty_url=self.pagerduty.events_url,
            pagerduty_routing_key=ROUTING_KEY,
        )

    def received(self) -> Counter[str]:
        """How many times each record id (or ``resolve:<dedup_key>``) reached a provider."""
        found: Counter[str] = Counter()
        for posted in self.slack.posts():
            payload = (posted.metadata or {}).get("event_payload") or {}
            found[str(payload.get("id", ""))] += 1
        # Only what the sink acted on: a refused request (a bad signature) was not delivered.
        found.update(self.sink.delivered_keys())
        for mail in list(self.smtp.messages):
            found[str(mail["Message-ID"] or "").strip("<>").split("@")[0]] += 1
        with self.pagerduty.lock:
            events = list(self.pagerduty.events)
        for event in events:
            details = (event.get("payload") or {}).get("custom_details") or {}
            found[str(details.get("id") or f"resolve:{event.get('dedup_key')}")] += 1
        return found


def times_received(record: Notification, transport: str, received: Counter[str]) -> int:
    """How often the provider of ``transport`` got ``record`` (``received``: Providers.received)."""
    if transport == "pagerduty" and record.event not in TRIGGERS:
        # A resolve names the gate's incident, whose key the Sent record keeps as its ref.
        return received[f"resolve:{record.ref}"]
    return received[record.id]
