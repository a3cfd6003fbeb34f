"""Fake provider servers on 127.0.0.1 that speak the real wire shapes.

Each is a small class with ``start()``/``stop()`` (also a context manager),
listening on a free loopback port in a thread of its own, so sync tests, async
tests, the demo and the bench can all use them. Each records what it received
and can be told to fail (``fail_next``) or to answer slowly (``delay``).
"""

from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.json_api import FakeJsonApi
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.play_reporting import FakePlayReporting
from tests.fakes.prometheus import FakePrometheus
from tests.fakes.sentry import FakeSentry
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.fakes.teams import FakeTeams
from tests.fakes.webhook import FakeWebhookSink

__all__ = [
    "FakeGoogleOAuth",
    "FakeJsonApi",
    "FakePagerDuty",
    "FakePlayReporting",
    "FakePrometheus",
    "FakeSentry",
    "FakeSlack",
    "FakeSmtp",
    "FakeTeams",
    "FakeWebhookSink",
]
