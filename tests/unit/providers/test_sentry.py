"""The Sentry provider against a fake sessions API: the release's crash-free rate and sample."""

from __future__ import annotations

from typing import Any

from tests.fakes.sentry import FakeSentry, ReleaseHealth
from tests.unit.providers.conftest import SENTRY_TOKEN

RELEASE = "shop@4.12.0+4120"
TOKEN_ENV = {"APPDEPLOY_TOKEN": SENTRY_TOKEN}


def provider(server: FakeSentry, **fields: Any) -> dict[str, Any]:
    sentry = {
        "org": "acme",
        "project": "42",
        "environment": "production",
        "release": RELEASE,
        "field": "crash_free_rate(user)",
        "sampleField": "count_unique(user)",
        "window": "24h",
        "url": server.url,
        **fields,
    }
    return {"sentry": sentry}


def test_the_crash_free_rate_and_its_sample(measure, sentry) -> None:
    sentry.report(42, "production", RELEASE, ReleaseHealth(20000, 30, 12000, 24))
    sentry.report(42, "production", "shop@4.11.0+4110", ReleaseHealth(90000, 9000, 50000, 5000))
    sentry.report(42, "staging", RELEASE, ReleaseHealth(100, 100, 10, 10))
    run = measure(provider(sentry), env=TOKEN_ENV)
    assert run.code == 0
    assert run.result["value"] == "0.998"  # 1 - 24/12000
    assert run.result["sample"] == "12000"
    assert "error" not in run.result
    # The request Sentry documents: both fields, the project id, the release as a query.
    assert sentry.requests == [
        [
            ("field", "crash_free_rate(user)"),
            ("field", "count_unique(user)"),
            ("project", "42"),
            ("environment", "production"),
            ("query", f'release:"{RELEASE}"'),
            ("statsPeriod", "1d"),
            ("interval", "1h"),
        ]
    ]
    assert run.result["resolvedQuery"].startswith("/api/0/organizations/acme/sessions/?field=")
    assert SENTRY_TOKEN not in run.stdout + run.stderr


def test_a_release_without_sessions_is_no_data(measure, sentry) -> None:
    run = measure(provider(sentry, release="shop@9.9.9"), env=TOKEN_ENV)
    assert run.code == 0
    assert "value" not in run.result and "error" not in run.result
    assert "no data" in run.result["note"]
    assert run.result["sample"] == "0"


def test_no_groups_is_no_data(measure, sentry) -> None:
    sentry.fail_next(status=200, body={"start": "", "end": "", "intervals": [], "groups": []})
    run = measure(provider(sentry), env=TOKEN_ENV)
    assert "value" not in run.result and "error" not in run.result
    assert "no sessions" in run.result["note"]


def test_a_wrong_token_is_an_error_that_does_not_repeat_it(measure, sentry) -> None:
    run = measure(provider(sentry), env={"APPDEPLOY_TOKEN": "sntrys_wrong"})
    assert run.code == 0
    assert run.result["error"] == "Sentry answered HTTP 401 Unauthorized: Invalid token"
    assert "sntrys_wrong" not in run.stdout + run.stderr


def test_a_project_the_token_cannot_read_is_an_error(measure, sentry) -> None:
    run = measure(provider(sentry, project=7), env=TOKEN_ENV)
    assert run.result["resolvedQuery"].count("project=7") == 1
    assert "HTTP 403" in run.result["error"]
    assert "permission" in run.result["error"]


def test_throttling_says_when_to_come_back(measure, sentry) -> None:
    sentry.throttle_next(retry_after=17)
    run = measure(provider(sentry), env=TOKEN_ENV)
    assert "HTTP 429" in run.result["error"]
    assert "retry after 17s" in run.result["error"]


def test_a_server_error_is_an_error(measure, sentry) -> None:
    sentry.fail_next(status=503, body={"detail": "Internal Error"})
    run = measure(provider(sentry), env=TOKEN_ENV)
    assert run.result["error"] == "Sentry answered HTTP 503 Service Unavailable: Internal Error"


def test_a_project_slug_is_looked_up_first_and_the_window_is_a_duration(measure, sentry) -> None:
    # As the CRD writes it: a slug, a duration in appdeploy's format, defaults spelled out.
    sentry.report(42, "production", RELEASE, ReleaseHealth(1000, 10, 400, 2))
    run = measure(
        provider(sentry, project="shop-android", window="1h30m", sampleField="sum(session)"),
        env=TOKEN_ENV,
    )
    assert run.result["value"] == "0.995"
    assert run.result["sample"] == "1000"
    (request,) = sentry.requests
    assert ("project", "42") in request
    assert ("statsPeriod", "90m") in request
    assert "project=42" in run.result["resolvedQuery"]


def test_an_unknown_project_slug_is_an_error(measure, sentry) -> None:
    run = measure(provider(sentry, project="shop-ios"), env=TOKEN_ENV)
    assert run.code == 0
    assert run.result["error"].startswith("Sentry answered HTTP 404 Not Found")
    assert sentry.requests == []


def test_a_project_that_is_no_slug_is_a_usage_error_naming_the_field(measure, sentry) -> None:
    run = measure(provider(sentry, project="Shop Android"), env=TOKEN_ENV)
    assert run.code == 2
    assert "check.provider.sentry.project" in run.stderr
    assert "check.provider.sentry.project" in run.result["error"]
    assert sentry.request_count == 0


def test_without_the_token_nothing_is_asked(measure, sentry) -> None:
    run = measure(provider(sentry))
    assert run.code == 2
    assert "APPDEPLOY_TOKEN is not set" in run.stderr
    assert sentry.request_count == 0
