"""Reading the providers' answers, edge by edge: the parsing functions called directly."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from appdeploy.providers.http_json import value_at_path
from appdeploy.providers.inputs import PlayVitalsInput, SentryInput
from appdeploy.providers.play_vitals import daily_freshness, measurement_from_rows
from appdeploy.providers.prometheus import measurement_from_answer
from appdeploy.providers.result import (
    MESSAGE_LIMIT,
    Measurement,
    ProviderError,
    format_number,
    parse_number,
)
from appdeploy.providers.sentry import measurement_from_sessions


@pytest.mark.parametrize(
    ("number", "text"),
    [(0.9973, "0.9973"), (1000.0, "1000"), (12034, "12034"), (1e-05, "1e-05"), (0.0, "0")],
)
def test_numbers_are_written_plainly(number: float, text: str) -> None:
    assert format_number(number) == text


@pytest.mark.parametrize(
    ("raw", "number"),
    [("0.5", 0.5), (3, 3.0), ("NaN", None), ("+Inf", None), ("-Inf", None), (float("nan"), None)],
)
def test_numbers_and_numeric_strings_are_read(raw: Any, number: float | None) -> None:
    assert parse_number(raw, "x") == number


@pytest.mark.parametrize("raw", [True, "healthy", {"a": 1}, [1], None, ""])
def test_anything_else_is_not_a_number(raw: Any) -> None:
    with pytest.raises(ProviderError, match="x is not a number"):
        parse_number(raw, "x")


def vector(*values: str) -> dict[str, Any]:
    result = [{"metric": {"pod": str(i)}, "value": [1.0, v]} for i, v in enumerate(values)]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (vector("0.99"), Measurement(value=0.99, resolved_query="q")),
        (
            vector(),
            Measurement(resolved_query="q", note="no data: the query returned an empty vector"),
        ),
        (
            vector("NaN"),
            Measurement(resolved_query="q", note="no number to judge: the value is NaN"),
        ),
        (
            {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "7"]}},
            Measurement(value=7.0, resolved_query="q"),
        ),
        ({"status": "success", "data": {"resultType": "string", "result": [1.0, "a"]}}, "a string"),
        (vector("0.9", "0.8"), "2 series"),
        (
            {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}},
            "pair",
        ),
        ({"data": {}}, "without status success"),
        ([], "without status success"),
    ],
)
def test_prometheus_answers(body: Any, expected: Measurement | str) -> None:
    if isinstance(expected, Measurement):
        assert measurement_from_answer(body, "q") == expected
    else:
        with pytest.raises(ProviderError, match=expected):
            measurement_from_answer(body, "q")


SENTRY = SentryInput.model_validate(
    {"org": "acme", "project": 42, "release": "r", "sampleField": "sum(session)"}
)


def group(**totals: Any) -> dict[str, Any]:
    return {"groups": [{"by": {}, "totals": totals, "series": {}}]}


@pytest.mark.parametrize(
    ("body", "value", "sample", "note"),
    [
        (group(**{"crash_free_rate(user)": 0.99, "sum(session)": 1000}), 0.99, 1000, ""),
        (group(**{"crash_free_rate(user)": None, "sum(session)": 0}), None, 0, "is null"),
        (group(**{"crash_free_rate(user)": 1, "sum(session)": None}), 1.0, None, ""),
        ({"groups": []}, None, None, "no sessions"),
    ],
)
def test_sentry_totals(body: Any, value: Any, sample: Any, note: str) -> None:
    measurement = measurement_from_sessions(body, SENTRY, "d")
    assert (measurement.value, measurement.sample) == (value, sample)
    assert note in measurement.note and not measurement.error


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"detail": "x"}, "without groups"),
        (group(**{"sum(session)": 5}), "no crash_free_rate"),
        (group(**{"crash_free_rate(user)": 0.9}), "no sum"),
        ({"groups": [{"totals": {}}, {"totals": {}}]}, "2 groups"),
        (group(**{"crash_free_rate(user)": "high", "sum(session)": 5}), "not a number"),
    ],
)
def test_sentry_answers_that_are_errors(body: Any, error: str) -> None:
    with pytest.raises(ProviderError, match=error):
        measurement_from_sessions(body, SENTRY, "d")


def test_a_jsonpath_must_pick_one_number() -> None:
    document = {"items": [{"rate": 0.5}, {"rate": 0.7}], "ok": True, "n": "12"}
    assert value_at_path(document, "$.items[0].rate", "d").value == 0.5
    assert value_at_path(document, "$.n", "d").value == 12.0
    assert "selects nothing" in value_at_path(document, "$.missing", "d").note
    with pytest.raises(ProviderError, match="selects 2 values"):
        value_at_path(document, "$.items[*].rate", "d")
    with pytest.raises(ProviderError, match="not a number"):
        value_at_path(document, "$.ok", "d")


PLAY = PlayVitalsInput.model_validate(
    {"packageName": "com.example.shop", "metricSet": "crashRate", "versionCode": 4120}
)


def row(version_code: Any, **metrics: str) -> dict[str, Any]:
    return {
        "dimensions": [{"dimension": "versionCode", "int64Value": version_code}],
        "metrics": [{"metric": name, "decimalValue": {"value": v}} for name, v in metrics.items()],
    }


def test_play_rows_pick_the_version_and_its_distinct_users() -> None:
    day = date(2026, 12, 1)
    body = {
        "rows": [
            row("4110", userPerceivedCrashRate="0.5", distinctUsers="10"),
            row(4120, userPerceivedCrashRate="0.004", distinctUsers="2000"),
        ]
    }
    measurement = measurement_from_rows(body, PLAY, day)
    assert (measurement.value, measurement.sample) == (0.004, 2000.0)
    assert PLAY.metric == "userPerceivedCrashRate"  # the set's default
    assert "no data for versionCode 4120" in measurement_from_rows({}, PLAY, day).note
    only_users = measurement_from_rows({"rows": [row("4120", distinctUsers="3")]}, PLAY, day)
    assert only_users.value is None and only_users.sample == 3.0
    assert "gave no userPerceivedCrashRate" in only_users.note


def test_play_freshness_is_the_daily_one() -> None:
    hourly = {"aggregationPeriod": "HOURLY", "latestEndTime": {"year": 2026, "month": 12, "day": 3}}
    daily = {"aggregationPeriod": "DAILY", "latestEndTime": {"year": 2026, "month": 12, "day": 2}}
    assert daily_freshness({"freshnessInfo": {"freshnesses": [hourly, daily]}}) == date(2026, 12, 2)
    assert daily_freshness({"freshnessInfo": {"freshnesses": [hourly]}}) is None
    assert daily_freshness({}) is None
    with pytest.raises(ProviderError, match="latestEndTime"):
        daily_freshness({"freshnessInfo": {"freshnesses": [{"aggregationPeriod": "DAILY"}]}})


def test_a_message_is_strings_and_fits_a_termination_log() -> None:
    assert Measurement(value=0.5, sample=10, resolved_query="q").to_message() == {
        "value": "0.5",
        "sample": "10",
        "resolvedQuery": "q",
    }
    # An error carries no value, even when one was half read.
    failed = Measurement(value=0.5, sample=3, error="x" * 10_000, resolved_query="q" * 10_000)
    message = failed.to_message()
    assert set(message) == {"error", "resolvedQuery"}
    assert len(json.dumps(message).encode()) < MESSAGE_LIMIT
    # Quotes double under JSON escaping, and a character can take four bytes.
    quoted = Measurement(note="\U0001f4a5" * 900, resolved_query='"' * 1000, error='"' * 1000)
    assert len(json.dumps(quoted.to_message(), ensure_ascii=False).encode()) <= MESSAGE_LIMIT
