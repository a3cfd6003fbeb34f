"""``appdeploy provider play ACTION`` against a fake Play: real subprocess, real JWT, real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_play import SCOPE, FakePlay
from tests.fakes.google_oauth import ServiceAccountKey, service_account_key
from tests.unit.providers.program import Outcome, assert_result_contract, run_provider

PACKAGE = "com.example.shop"
CLIENT_EMAIL = "release-runner@shop.iam.gserviceaccount.com"
NEW = ["4120"]
OLD = ["4110"]
KEY = service_account_key(CLIENT_EMAIL)
"""The service account Play knows (one RSA key pair for the whole module)."""


@pytest.fixture
def play() -> Iterator[FakePlay]:
    with FakePlay(KEY) as server:
        server.add_app(
            PACKAGE,
            {
                "production": [
                    {"versionCodes": OLD, "status": "completed", "name": "4.11.0"},
                    {"versionCodes": NEW, "status": "inProgress", "userFraction": 0.01},
                ]
            },
        )
        yield server


def key_json(play: FakePlay, key: ServiceAccountKey = KEY) -> str:
    return key.key_file(play.token_uri)


def act(
    play: FakePlay,
    tmp_path: Path,
    *args: str,
    key: str | None = None,
    **target: Any,
) -> Outcome:
    fields = {"packageName": PACKAGE, "track": "production", "versionCodes": NEW}
    env = {
        "APPDEPLOY_ROLLOUT_TARGET": json.dumps({**fields, "baseUrl": play.url, **target}),
        "APPDEPLOY_SERVICE_ACCOUNT_JSON": key if key is not None else key_json(play),
    }
    outcome = run_provider(["play", *args], env, tmp_path / "termination-log")
    assert_result_contract(outcome)
    return outcome


def test_set_fraction_commits_the_new_fraction(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "set-fraction", "--fraction", "0.05")

    assert outcome.code == 0, outcome.stderr
    assert outcome.result == {
        "status": "inProgress",
        "userFraction": "0.05",
        "versionCodes": "4120",
        "changed": "true",
    }
    assert json.loads(outcome.stdout) == outcome.result
    assert play.live_release(PACKAGE, "production", NEW)["userFraction"] == 0.05
    assert [c.changes_in_review_behavior for c in play.commits] == ["ERROR_IF_IN_REVIEW"]
    assert play.live_release(PACKAGE, "production", OLD)["status"] == "completed"


def test_the_same_action_twice_commits_once(play: FakePlay, tmp_path: Path) -> None:
    act(play, tmp_path, "set-fraction", "--fraction", "0.2")
    again = act(play, tmp_path, "set-fraction", "--fraction", "0.2")

    assert again.result["changed"] == "false"
    assert again.result["userFraction"] == "0.2"
    assert len(play.commits) == 1
    assert len(play.deleted_edits) == 1, "the edit that changed nothing is deleted"


def test_halt_keeps_the_fraction_and_resume_restores_it(play: FakePlay, tmp_path: Path) -> None:
    act(play, tmp_path, "set-fraction", "--fraction", "0.05")

    halted = act(play, tmp_path, "halt")
    assert halted.result == {
        "status": "halted",
        "userFraction": "0.05",
        "versionCodes": "4120",
        "changed": "true",
    }
    assert play.live_release(PACKAGE, "production", NEW) == {
        "versionCodes": NEW,
        "status": "halted",
        "userFraction": 0.05,
    }
    assert act(play, tmp_path, "halt").result["changed"] == "false"

    resumed = act(play, tmp_path, "resume")
    assert resumed.result["status"] == "inProgress"
    assert resumed.result["userFraction"] == "0.05"
    assert play.live_release(PACKAGE, "production", NEW)["status"] == "inProgress"
    assert len(play.commits) == 3


def test_a_halted_release_does_not_advance(play: FakePlay, tmp_path: Path) -> None:
    act(play, tmp_path, "halt")

    for args in (("set-fraction", "--fraction", "0.5"), ("complete",)):
        outcome = act(play, tmp_path, *args)
        assert outcome.code == 0
        assert outcome.result["retryable"] == "false"
        assert "halted" in outcome.result["error"]
    assert len(play.commits) == 1
    assert play.live_release(PACKAGE, "production", NEW)["status"] == "halted"


def test_a_staged_fraction_only_goes_up(play: FakePlay, tmp_path: Path) -> None:
    act(play, tmp_path, "set-fraction", "--fraction", "0.2")

    lower = act(play, tmp_path, "set-fraction", "--fraction", "0.05")

    assert lower.result["retryable"] == "false"
    assert "only goes up" in lower.result["error"]
    assert len(play.commits) == 1
    assert play.live_release(PACKAGE, "production", NEW)["userFraction"] == 0.2


def test_complete_rolls_out_to_everyone(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "complete")

    assert outcome.result["status"] == "completed"
    assert outcome.result["userFraction"] == "1"
    live = play.live_release(PACKAGE, "production", NEW)
    assert live["status"] == "completed"
    assert "userFraction" not in live
    with pytest.raises(KeyError):
        play.live_release(PACKAGE, "production", OLD)
    assert act(play, tmp_path, "set-fraction", "--fraction", "1").result["changed"] == "false"


def test_fraction_one_completes(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "set-fraction", "--fraction", "1")

    assert outcome.result["status"] == "completed"
    assert "userFraction" not in play.live_release(PACKAGE, "production", NEW)


def test_halting_a_completed_release_is_the_stores_refusal(play: FakePlay, tmp_path: Path) -> None:
    act(play, tmp_path, "complete")

    outcome = act(play, tmp_path, "halt")

    assert outcome.result["retryable"] == "false"
    assert "releaseToHaltNotFound" in outcome.result["error"]
    assert len(play.commits) == 1


def test_read_changes_nothing(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "read")

    assert outcome.result == {
        "status": "inProgress",
        "userFraction": "0.01",
        "versionCodes": "4120",
        "changed": "false",
    }
    assert play.commits == []


def test_error_if_in_review_leaves_the_review_alone(play: FakePlay, tmp_path: Path) -> None:
    play.apps[PACKAGE].in_review = True

    refused = act(play, tmp_path, "set-fraction", "--fraction", "0.05")

    assert refused.result["retryable"] == "false"
    assert "in review" in refused.result["error"]
    assert play.commits == []
    assert play.apps[PACKAGE].in_review
    assert play.live_release(PACKAGE, "production", NEW)["userFraction"] == 0.01

    forced = act(
        play,
        tmp_path,
        "set-fraction",
        "--fraction",
        "0.05",
        changesInReviewBehavior="CancelInReviewAndSubmit",
    )
    assert forced.result["changed"] == "true"
    assert play.commits[-1].changes_in_review_behavior == "CANCEL_IN_REVIEW_AND_SUBMIT"
    assert play.apps[PACKAGE].cancelled_reviews == 1


@pytest.mark.parametrize(("route", "status"), [("commit", 409), ("update", 503), ("get", 429)])
def test_conflicts_and_outages_are_retryable(
    play: FakePlay, tmp_path: Path, route: str, status: int
) -> None:
    play.fail_on(route, status)

    outcome = act(play, tmp_path, "set-fraction", "--fraction", "0.05")

    assert outcome.code == 0
    assert outcome.result["retryable"] == "true", outcome.result
    assert str(status) in outcome.result["error"]
    assert play.commits == []
    assert act(play, tmp_path, "set-fraction", "--fraction", "0.05").result["changed"] == "true"


def test_an_edit_superseded_by_another_commit_is_retryable(play: FakePlay, tmp_path: Path) -> None:
    play.race_next_edit = True

    outcome = act(play, tmp_path, "halt")

    assert outcome.result["retryable"] == "true"
    assert "This Edit has been deleted" in outcome.result["error"]
    assert act(play, tmp_path, "halt").result["status"] == "halted"


def test_a_commit_whose_answer_was_lost_is_not_committed_twice(
    play: FakePlay, tmp_path: Path
) -> None:
    play.fail_on("commit", 503, after_effect=True)

    lost = act(play, tmp_path, "halt")
    retried = act(play, tmp_path, "halt")

    assert lost.result["retryable"] == "true"
    assert retried.result == {
        "status": "halted",
        "userFraction": "0.01",
        "versionCodes": "4120",
        "changed": "false",
    }
    assert len(play.commits) == 1


def test_the_assertion_names_the_account_its_key_and_the_endpoint(
    play: FakePlay, tmp_path: Path
) -> None:
    act(play, tmp_path, "read")

    (claims,) = play.oauth.assertions
    assert claims["iss"] == CLIENT_EMAIL
    assert claims["aud"] == play.token_uri
    assert claims["scope"] == SCOPE
    assert claims["exp"] - claims["iat"] == 3600
    (header,) = play.oauth.headers
    assert header == {"alg": "RS256", "typ": "JWT", "kid": KEY.key_id}


@pytest.mark.parametrize(
    ("status", "retry_after"), [(503, ""), (500, ""), (429, "30")], ids=["503", "500", "429"]
)
def test_a_token_endpoint_outage_is_retryable(
    play: FakePlay, tmp_path: Path, status: int, retry_after: str
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    play.fail_next(status=status, body={"error": "internal_failure"}, headers=headers)

    outcome = act(play, tmp_path, "halt")

    assert outcome.result["retryable"] == "true", outcome.result
    assert f"Google's token endpoint answered HTTP {status}" in outcome.result["error"]
    assert outcome.result.get("retryAfter", "") == retry_after
    assert play.apps[PACKAGE].edits == {}


def test_a_token_endpoint_nobody_answers_is_retryable(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "halt", key=KEY.key_file("http://127.0.0.1:9/token"))

    assert outcome.result["retryable"] == "true", outcome.result
    unreachable = "could not reach Google's token endpoint at http://127.0.0.1:9"
    assert unreachable in outcome.result["error"]


def test_a_store_that_does_not_answer_is_retryable(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "halt", baseUrl="http://127.0.0.1:9")

    assert outcome.result["retryable"] == "true", outcome.result
    assert outcome.result["error"].startswith("no answer on create an edit of com.example.shop")


def test_someone_elses_key_is_refused(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "halt", key=key_json(play, service_account_key(CLIENT_EMAIL)))

    assert outcome.code == 0
    assert outcome.result["retryable"] == "false"
    assert "invalid_grant" in outcome.result["error"]
    assert play.refused_assertions == ["Invalid JWT Signature."]
    assert play.apps[PACKAGE].edits == {}
    assert "PRIVATE KEY" not in outcome.stdout + outcome.stderr


def test_missing_permissions_are_not_retryable(play: FakePlay, tmp_path: Path) -> None:
    body = {
        "error": {
            "code": 403,
            "message": "The caller does not have permission",
            "errors": [{"message": "The caller does not have permission", "reason": "forbidden"}],
            "status": "PERMISSION_DENIED",
        }
    }
    play.fail_on("create", 403, body)

    outcome = act(play, tmp_path, "halt")

    assert outcome.result["retryable"] == "false"
    assert "forbidden: The caller does not have permission" in outcome.result["error"]
    assert "Play Console permissions" in outcome.result["error"]


def test_an_unknown_package_is_not_retryable(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "read", packageName="com.example.other")

    assert outcome.result["retryable"] == "false"
    assert "404" in outcome.result["error"]


def test_version_codes_not_on_the_track(play: FakePlay, tmp_path: Path) -> None:
    outcome = act(play, tmp_path, "halt", versionCodes=["9999"])

    assert outcome.result["retryable"] == "false"
    assert "no release with versionCodes 9999" in outcome.result["error"]
    assert play.commits == []
