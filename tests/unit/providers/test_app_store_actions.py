"""``appdeploy provider appstore ACTION`` against a fake App Store Connect, as a real subprocess."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_app_store import FakeAppStoreConnect, PhasedRelease, p256_key
from tests.unit.providers.program import Outcome, assert_result_contract, run_provider

APP_ID = "1234567890"
KEY_ID = "2X9R4HXF34"
ISSUER_ID = "57246542-96fe-1a63-e053-0824d011072a"
DAY = timedelta(days=1)


@pytest.fixture
def asc() -> Iterator[FakeAppStoreConnect]:
    with FakeAppStoreConnect(KEY_ID, ISSUER_ID, p256_key().public_pem) as server:
        yield server


@pytest.fixture
def release(asc: FakeAppStoreConnect) -> PhasedRelease:
    asc.add_version(APP_ID, "4.11.0", state="COMPLETE")
    return asc.add_version(APP_ID, "4.12.0")


def act(
    asc: FakeAppStoreConnect,
    tmp_path: Path,
    action: str,
    *,
    private_pem: str | None = None,
    key_id: str = KEY_ID,
    **target: Any,
) -> Outcome:
    env = {
        "APPDEPLOY_ROLLOUT_TARGET": json.dumps(
            {"appId": APP_ID, "version": "4.12.0", "baseUrl": asc.url, **target}
        ),
        "APPDEPLOY_ASC_KEY_ID": key_id,
        "APPDEPLOY_ASC_ISSUER_ID": ISSUER_ID,
        "APPDEPLOY_ASC_PRIVATE_KEY": private_pem or p256_key().private_pem,
    }
    outcome = run_provider(["appstore", action], env, tmp_path / "termination-log")
    assert_result_contract(outcome)
    return outcome


def test_read_reports_the_phased_release(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    asc.advance(2 * DAY)

    outcome = act(asc, tmp_path, "read")

    assert outcome.code == 0, outcome.stderr
    assert outcome.result == {
        "phasedReleaseState": "ACTIVE",
        "currentDayNumber": "3",
        "totalPauseDuration": "0",
        "startDate": "2026-12-01T09:00:00.000+0000",
        "changed": "false",
    }
    assert json.loads(outcome.stdout) == outcome.result
    assert asc.patches == []


def test_pause_twice_changes_once(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    first = act(asc, tmp_path, "pause")
    second = act(asc, tmp_path, "pause")

    assert first.result["phasedReleaseState"] == "PAUSED"
    assert first.result["changed"] == "true"
    assert second.result["changed"] == "false"
    assert asc.patches == [(release.id, "PAUSED")]


def test_paused_days_do_not_count_and_resume_goes_on(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    asc.advance(2 * DAY)
    act(asc, tmp_path, "pause")
    asc.advance(2 * DAY)

    paused = act(asc, tmp_path, "read")
    resumed = act(asc, tmp_path, "resume")

    assert paused.result["currentDayNumber"] == "3"
    assert paused.result["totalPauseDuration"] == "2"
    assert resumed.result["phasedReleaseState"] == "ACTIVE"
    assert resumed.result["changed"] == "true"
    assert release.state == "ACTIVE"


def test_complete_is_final(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    completed = act(asc, tmp_path, "complete")
    refused = act(asc, tmp_path, "pause")

    assert completed.result["phasedReleaseState"] == "COMPLETE"
    assert refused.code == 0
    assert refused.result["retryable"] == "false"
    assert "409" in refused.result["error"]
    assert "cannot go from COMPLETE to PAUSED" in refused.result["error"]
    assert act(asc, tmp_path, "complete").result["changed"] == "false"


def test_day_seven_completes_by_itself(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    asc.advance(6 * DAY)

    outcome = act(asc, tmp_path, "read")

    assert outcome.result["phasedReleaseState"] == "COMPLETE"
    assert outcome.result["currentDayNumber"] == "7"


def test_the_pause_budget_is_thirty_days(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    act(asc, tmp_path, "pause")
    asc.advance(30 * DAY)

    after = act(asc, tmp_path, "read")
    again = act(asc, tmp_path, "pause")

    assert after.result["phasedReleaseState"] == "ACTIVE", "Apple resumes when the budget is spent"
    assert after.result["totalPauseDuration"] == "30"
    assert again.result["retryable"] == "false"
    assert "30 days of pause" in again.result["error"]


def test_a_release_not_started_is_the_stores_to_refuse(
    asc: FakeAppStoreConnect, tmp_path: Path
) -> None:
    asc.add_version(APP_ID, "4.12.0", state="INACTIVE")

    outcome = act(asc, tmp_path, "pause")

    assert outcome.result["retryable"] == "false"
    assert "INACTIVE to PAUSED" in outcome.result["error"]


def test_rate_limited_is_retryable_with_the_stores_wait(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    asc.hourly_limit = 0
    asc.retry_after = "120"

    outcome = act(asc, tmp_path, "pause")

    assert outcome.result["retryable"] == "true"
    assert outcome.result["retryAfter"] == "120"
    assert "RATE_LIMIT_EXCEEDED" in outcome.result["error"]
    assert "user-hour-rem:0" in outcome.result["error"]
    assert asc.patches == []


def test_an_outage_is_retryable(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    asc.fail_next(status=503)

    outcome = act(asc, tmp_path, "pause")

    assert outcome.result["retryable"] == "true"
    assert act(asc, tmp_path, "pause").result["changed"] == "true"


@pytest.mark.parametrize("wrong", ["key", "key id"])
def test_a_token_apple_would_not_accept_is_refused(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path, wrong: str
) -> None:
    if wrong == "key":
        outcome = act(asc, tmp_path, "pause", private_pem=p256_key("intruder").private_pem)
    else:
        outcome = act(asc, tmp_path, "pause", key_id="OTHERKEY01")

    assert outcome.code == 0
    assert outcome.result["retryable"] == "false"
    assert "401" in outcome.result["error"]
    assert "NOT_AUTHORIZED" in outcome.result["error"]
    assert asc.refused_tokens
    assert asc.patches == []
    assert "PRIVATE KEY" not in outcome.stdout + outcome.stderr


def test_an_unknown_version_is_not_retryable(
    asc: FakeAppStoreConnect, release: PhasedRelease, tmp_path: Path
) -> None:
    outcome = act(asc, tmp_path, "pause", version="9.9.9")

    assert outcome.result["retryable"] == "false"
    assert "no IOS version '9.9.9'" in outcome.result["error"]


def test_a_version_released_without_phases_is_not_retryable(
    asc: FakeAppStoreConnect, tmp_path: Path
) -> None:
    asc.add_version(APP_ID, "4.12.0", phased=False)

    outcome = act(asc, tmp_path, "pause")

    assert outcome.result["retryable"] == "false"
    assert "has no phased release" in outcome.result["error"]
    assert asc.patches == []
