"""Fixtures of the provider tests: the ``measure`` program, and the fakes it measures against."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.google_oauth import FakeGoogleOAuth, ServiceAccountKey, service_account_key
from tests.fakes.json_api import FakeJsonApi
from tests.fakes.play_reporting import FakePlayReporting
from tests.fakes.prometheus import FakePrometheus
from tests.fakes.sentry import FakeSentry
from tests.unit.providers.program import Outcome, assert_result_contract, run_provider


@pytest.fixture
def measure(tmp_path: Path) -> Any:
    """``measure(provider, env=…, *flags)``: run ``provider measure`` on ``{"provider": …}``."""

    def run(provider: dict[str, Any], *flags: str, env: dict[str, str] | None = None) -> Outcome:
        environ = {"APPDEPLOY_CHECK_PROVIDER": json.dumps(provider), **(env or {})}
        result = run_provider(["measure", *flags], environ, tmp_path / "termination-log")
        if result.code == 0:
            assert_result_contract(result)
        return result

    return run


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    with FakePrometheus() as server:
        yield server


SENTRY_TOKEN = "sntrys_s3cr3t-t0ken-for-tests"


@pytest.fixture
def sentry() -> Iterator[FakeSentry]:
    with FakeSentry(token=SENTRY_TOKEN) as server:
        yield server


@pytest.fixture
def json_api() -> Iterator[FakeJsonApi]:
    with FakeJsonApi() as server:
        yield server


@pytest.fixture(scope="session")
def play_key() -> ServiceAccountKey:
    return service_account_key()


@pytest.fixture
def google_oauth(play_key: ServiceAccountKey) -> Iterator[FakeGoogleOAuth]:
    with FakeGoogleOAuth(play_key) as server:
        yield server


@pytest.fixture
def play_reporting(google_oauth: FakeGoogleOAuth) -> Iterator[FakePlayReporting]:
    with FakePlayReporting(google_oauth, package="com.example.shop") as server:
        yield server
