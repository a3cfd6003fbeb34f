"""Fake providers on 127.0.0.1, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes import FakePagerDuty, FakeSlack, FakeSmtp, FakeTeams, FakeWebhookSink

SLACK_TOKEN = "xoxb-1111-2222-s3cr3tT0ken"
SIGNING_SECRET = "whsec-s3cr3t-signing-key"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture
def sink() -> Iterator[FakeWebhookSink]:
    with FakeWebhookSink(secret=SIGNING_SECRET) as server:
        yield server


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    with FakePagerDuty() as server:
        yield server


@pytest.fixture
def teams() -> Iterator[FakeTeams]:
    with FakeTeams() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with FakeSmtp(username="appdeploy@example.com", password="smtp-s3cr3t-pass") as server:
        yield server
