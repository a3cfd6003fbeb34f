"""How ``appdeploy provider play|appstore`` treats a wrong invocation and an unwritable log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appdeploy.providers.google_auth import KEY_ENV
from appdeploy.providers.stores.appstore import run_app_store_action
from appdeploy.providers.stores.play import run_play_action
from appdeploy.providers.stores.targets import (
    AppStoreTarget,
    GooglePlayTarget,
    TargetError,
    parse_target,
)
from tests.unit.providers.program import run_provider

TARGET = {"packageName": "com.example.shop", "versionCodes": ["4120"]}


def test_set_fraction_without_a_fraction_is_a_usage_error(tmp_path: Path) -> None:
    outcome = run_provider(
        ["play", "set-fraction"],
        {"APPDEPLOY_ROLLOUT_TARGET": json.dumps(TARGET)},
        tmp_path / "log",
    )

    assert outcome.code == 2
    assert "--fraction" in outcome.stderr
    assert outcome.result == {
        "error": "set-fraction needs --fraction F (0 < F <= 1)",
        "retryable": "false",
    }


def test_a_bad_target_names_the_field(tmp_path: Path) -> None:
    target = {"packageName": "com.example.shop", "versionCodes": ["41a0"], "trak": "beta"}
    outcome = run_provider(
        ["play", "halt"], {"APPDEPLOY_ROLLOUT_TARGET": json.dumps(target)}, tmp_path / "log"
    )

    assert outcome.code == 2
    assert "versionCodes: '41a0' is not a version code" in outcome.stderr
    assert "trak: unknown field" in outcome.stderr


def test_an_unwritable_termination_log_is_said_and_stdout_still_has_the_result(
    tmp_path: Path,
) -> None:
    outcome = run_provider(
        ["appstore", "read"],
        {"APPDEPLOY_ROLLOUT_TARGET": json.dumps({"appId": "1", "version": "1.0"})},
        tmp_path / "missing-dir" / "log",
    )

    assert outcome.code == 0
    assert "could not write the result" in outcome.stderr
    assert json.loads(outcome.stdout) == {
        "error": "not set: "
        "APPDEPLOY_ASC_KEY_ID, APPDEPLOY_ASC_ISSUER_ID, APPDEPLOY_ASC_PRIVATE_KEY",
        "retryable": "false",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "APPDEPLOY_ROLLOUT_TARGET is not set"),
        ("[1]", "must be a JSON object"),
        ("{", "is not JSON"),
        ('{"versionCodes": ["1"]}', "packageName: required field is missing"),
        (
            '{"packageName": "p", "versionCodes": [1]}',
            "versionCodes[0]: Input should be a valid string",
        ),
        ('{"packageName": "p", "versionCodes": []}', "versionCodes: List should have at least 1"),
        (
            '{"packageName": "p", "versionCodes": ["1"], "changesInReviewBehavior": "Cancel"}',
            "changesInReviewBehavior: 'Cancel' is not one of ErrorIfInReview, "
            "CancelInReviewAndSubmit",
        ),
        (
            '{"packageName": "p", "versionCodes": ["1"], "baseUrl": "x"}',
            "baseUrl: must be an https",
        ),
        (
            '{"packageName": "p", "versionCodes": ["1"], "baseUrl": "http://play.example.com"}',
            "baseUrl: plain http is for loopback only",
        ),
    ],
)
def test_play_targets_name_the_field(raw: str | None, message: str) -> None:
    with pytest.raises(TargetError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_target(GooglePlayTarget, raw)


def test_defaults_are_the_safe_ones() -> None:
    play = parse_target(GooglePlayTarget, json.dumps(TARGET))
    apple = parse_target(AppStoreTarget, '{"appId": "1", "version": "4.12.0"}')

    assert play.track == "production"
    assert play.changes_in_review_behavior.api_value == "ERROR_IF_IN_REVIEW"
    assert play.base_url == "https://androidpublisher.googleapis.com"
    assert apple.base_url == "https://api.appstoreconnect.apple.com"
    assert apple.platform == "IOS"


def test_a_key_that_is_not_rsa_is_reported_without_calling_anyone() -> None:
    target = parse_target(GooglePlayTarget, json.dumps({**TARGET, "baseUrl": "http://127.0.0.1:9"}))
    key = {
        "client_email": "a@b.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
        "token_uri": "http://127.0.0.1:9/token",
    }

    result = run_play_action("read", target, environ={KEY_ENV: json.dumps(key)})

    assert result["retryable"] == "false"
    assert "private_key is not a usable RSA key" in result["error"]
    assert "not a key" not in result["error"]


def test_a_key_without_token_uri_names_it() -> None:
    target = parse_target(GooglePlayTarget, json.dumps(TARGET))

    result = run_play_action("read", target, environ={KEY_ENV: '{"client_email": "a"}'})

    assert result == {
        "error": "APPDEPLOY_SERVICE_ACCOUNT_JSON: missing private_key, token_uri",
        "retryable": "false",
    }


def test_an_app_store_key_that_is_not_p256_is_reported() -> None:
    target = parse_target(AppStoreTarget, '{"appId": "1", "version": "1.0"}')
    environ = {
        "APPDEPLOY_ASC_KEY_ID": "K",
        "APPDEPLOY_ASC_ISSUER_ID": "I",
        "APPDEPLOY_ASC_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----",
    }

    result = run_app_store_action("read", target, environ=environ)

    assert result["retryable"] == "false"
    assert "APPDEPLOY_ASC_PRIVATE_KEY is not a usable P-256 key" in result["error"]
