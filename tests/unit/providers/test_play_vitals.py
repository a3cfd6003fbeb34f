"""The Play vitals provider against fake Google OAuth and Play Developer Reporting servers.

The OAuth fake verifies the RS256 assertion against the test key's public
half, so these runs prove the signing, the claims and the token exchange,
not just the parsing.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from tests.fakes.google_oauth import FakeGoogleOAuth, ServiceAccountKey, service_account_key
from tests.fakes.play_reporting import SCOPE, FakePlayReporting

DAY = date(2026, 12, 1)
FRESH_UNTIL = date(2026, 12, 2)
REFUSED_TOKEN_URI = "http://127.0.0.1:9/token"
"""A loopback port nobody listens on: a key file whose token_uri must not be used."""


def provider(server: FakePlayReporting, **fields: Any) -> dict[str, Any]:
    vitals = {
        "packageName": "com.example.shop",
        "metricSet": "crashRate",
        "metric": "userPerceivedCrashRate",
        "versionCode": "4120",
        "url": server.url,
        **fields,
    }
    return {"playVitals": vitals}


def key_env(key: ServiceAccountKey, oauth: FakeGoogleOAuth) -> dict[str, str]:
    return {"APPDEPLOY_SERVICE_ACCOUNT_JSON": key.key_file(oauth.token_uri)}


def test_the_versions_rate_on_the_freshest_day(
    measure, play_key, google_oauth, play_reporting
) -> None:
    play_reporting.fresh_until = FRESH_UNTIL
    play_reporting.record(
        "crashRate",
        DAY,
        "4120",
        userPerceivedCrashRate="0.0031",
        distinctUsers="15234",
        crashRate="0.0052",
    )
    play_reporting.record(
        "crashRate", DAY, "4110", userPerceivedCrashRate="0.2", distinctUsers="99999"
    )
    run = measure(provider(play_reporting), env=key_env(play_key, google_oauth))
    assert run.code == 0, run.stderr
    assert run.result["value"] == "0.0031"
    assert run.result["sample"] == "15234"
    assert "2026-12-01" in run.result["resolvedQuery"]
    # The assertion the endpoint verified: the account, this endpoint, the reporting scope.
    (claims,) = google_oauth.assertions
    assert claims["iss"] == play_key.client_email
    assert claims["aud"] == google_oauth.token_uri
    assert claims["scope"] == SCOPE
    (query,) = play_reporting.queries
    assert query["filter"] == "versionCode = 4120"
    assert query["metrics"] == ["userPerceivedCrashRate", "distinctUsers"]
    secret_parts = [*google_oauth.tokens, play_key.key_id]
    assert not any(part in run.stdout + run.stderr for part in secret_parts)


def test_anr_sets_default_to_the_user_perceived_rate(
    measure, play_key, google_oauth, play_reporting
) -> None:
    play_reporting.fresh_until = FRESH_UNTIL
    play_reporting.record(
        "anrRate", DAY, "4120", userPerceivedAnrRate="0.0011", distinctUsers="800"
    )
    vitals = provider(play_reporting, metricSet="anrRate")
    del vitals["playVitals"]["metric"]
    run = measure(vitals, env=key_env(play_key, google_oauth))
    assert run.result["value"] == "0.0011"
    assert run.result["sample"] == "800"


def test_a_version_without_a_row_yet_is_no_data_saying_how_fresh(
    measure, play_key, google_oauth, play_reporting
) -> None:
    play_reporting.fresh_until = FRESH_UNTIL
    run = measure(provider(play_reporting), env=key_env(play_key, google_oauth))
    assert run.code == 0
    assert "value" not in run.result and "error" not in run.result
    assert "fresh until 2026-12-02" in run.result["note"]


def test_no_daily_data_at_all_is_not_fresh_yet(
    measure, play_key, google_oauth, play_reporting
) -> None:
    run = measure(provider(play_reporting), env=key_env(play_key, google_oauth))
    assert "value" not in run.result and "error" not in run.result
    assert run.result["note"].startswith("not fresh yet")
    assert play_reporting.queries == []


def test_an_assertion_signed_by_another_key_is_refused(
    measure, play_key, google_oauth, play_reporting
) -> None:
    impostor = service_account_key(play_key.client_email)
    play_reporting.fresh_until = FRESH_UNTIL
    run = measure(provider(play_reporting), env=key_env(impostor, google_oauth))
    assert run.code == 0
    assert "HTTP 400" in run.result["error"]
    assert "invalid_grant: Invalid JWT Signature." in run.result["error"]
    assert play_reporting.request_count == 0


def test_token_uri_overrides_the_key_files_and_is_the_audience(
    measure, play_key, google_oauth, play_reporting
) -> None:
    play_reporting.fresh_until = FRESH_UNTIL
    play_reporting.record(
        "crashRate", DAY, "4120", userPerceivedCrashRate="0.002", distinctUsers="10"
    )
    env = {"APPDEPLOY_SERVICE_ACCOUNT_JSON": play_key.key_file(REFUSED_TOKEN_URI)}
    run = measure(provider(play_reporting, tokenUri=google_oauth.token_uri), env=env)
    assert run.result["value"] == "0.002", run.result
    assert google_oauth.assertions[0]["aud"] == google_oauth.token_uri


def test_throttling_and_server_errors_are_errors(
    measure, play_key, google_oauth, play_reporting
) -> None:
    play_reporting.fresh_until = FRESH_UNTIL
    quota = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
    play_reporting.fail_next(status=429, body=quota, headers={"Retry-After": "60"})
    run = measure(provider(play_reporting), env=key_env(play_key, google_oauth))
    assert "HTTP 429" in run.result["error"]
    assert "retry after 60s" in run.result["error"]
    assert "RESOURCE_EXHAUSTED Quota exceeded" in run.result["error"]
    play_reporting.fail_next(status=500, body={"error": {"code": 500, "status": "INTERNAL"}})
    assert (
        "HTTP 500"
        in measure(provider(play_reporting), env=key_env(play_key, google_oauth)).result["error"]
    )


def test_a_broken_key_file_is_a_usage_error_that_does_not_quote_it(measure, play_reporting) -> None:
    key_file = json.dumps(
        {
            "client_email": "a@b",
            "token_uri": REFUSED_TOKEN_URI,
            "private_key": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
        }
    )
    run = measure(provider(play_reporting), env={"APPDEPLOY_SERVICE_ACCOUNT_JSON": key_file})
    assert run.code == 2
    assert "APPDEPLOY_SERVICE_ACCOUNT_JSON: private_key is not" in run.stderr
    assert "bm90IGEga2V5" not in run.stderr
    assert play_reporting.request_count == 0


def test_a_metric_of_another_set_is_a_usage_error(measure, play_reporting) -> None:
    run = measure(provider(play_reporting, metric="userPerceivedAnrRate"))
    assert run.code == 2
    assert "check.provider.playVitals" in run.stderr
    assert (
        "check.provider.playVitals.metric: 'userPerceivedAnrRate' is not in the crashRate set"
        in run.stderr
    )
