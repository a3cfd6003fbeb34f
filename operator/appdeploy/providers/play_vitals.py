"""Android vitals from the Play Developer Reporting API (v1beta1), for one version code.

Two requests after the OAuth exchange: ``GET apps/{package}/{set}MetricSet``
for ``freshnessInfo`` (how far the DAILY data reaches), then ``POST
…:query`` for the freshest complete day, sliced by ``versionCode`` and
filtered to the one being rolled out, asking for the rate and
``distinctUsers`` (the sample). Play computes DAILY data once a day, in
America/Los_Angeles: a version with no row for that day yet (just released,
or too few users) is "no data", with a note saying how fresh the data is.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from appdeploy.providers.client import fail_unless_success, read_json, send
from appdeploy.providers.google_auth import ServiceAccount, access_token, google_error
from appdeploy.providers.inputs import PlayVitalsInput
from appdeploy.providers.result import Measurement, ProviderError, no_value, parse_number

SCOPE = "https://www.googleapis.com/auth/playdeveloperreporting"
SERVICE = "Play Developer Reporting"
SAMPLE_METRIC = "distinctUsers"
DAILY_TIME_ZONE = "America/Los_Angeles"
"""DAILY metrics exist only in this time zone (the API's rule)."""


def metric_set_name(spec: PlayVitalsInput) -> str:
    return f"apps/{spec.package_name}/{spec.metric_set}MetricSet"


def describe_play(spec: PlayVitalsInput, day: date | None = None) -> str:
    """The query in words: set, metrics, filter and the day (once known)."""
    when = f"DAILY {day.isoformat()} ({DAILY_TIME_ZONE})" if day else "DAILY, the freshest day"
    return (
        f"{metric_set_name(spec)}:query metrics={spec.metric},{SAMPLE_METRIC} "
        f"filter=versionCode = {spec.version_code} {when}"
    )


def measure_play_vitals(
    spec: PlayVitalsInput, account: ServiceAccount, client: httpx.Client
) -> Measurement:
    """The version's rate on the freshest complete day, with distinctUsers as the sample."""
    token = access_token(client, account, SCOPE, spec.token_uri)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{spec.url}/v1beta1/{metric_set_name(spec)}"
    answer = send(client, SERVICE, "GET", url, headers=headers)
    fail_unless_success(answer, SERVICE, google_error)
    fresh_until = daily_freshness(read_json(answer, SERVICE))
    if fresh_until is None:
        return no_value(
            f"not fresh yet: Play has no DAILY {spec.metric_set} data for {spec.package_name}",
            describe_play(spec),
        )
    day = fresh_until - timedelta(days=1)
    answer = send(
        client, SERVICE, "POST", url + ":query", headers=headers, json=query_body(spec, day)
    )
    fail_unless_success(answer, SERVICE, google_error)
    return measurement_from_rows(read_json(answer, SERVICE), spec, day)


def query_body(spec: PlayVitalsInput, day: date) -> dict[str, Any]:
    """The ``:query`` request for one DAILY row per version code, on ``day``."""
    return {
        "timelineSpec": {
            "aggregationPeriod": "DAILY",
            "startTime": _civil_date(day),
            "endTime": _civil_date(day + timedelta(days=1)),
        },
        "dimensions": ["versionCode"],
        "metrics": [spec.metric, SAMPLE_METRIC],
        "filter": f"versionCode = {spec.version_code}",
        "pageSize": 10,
    }


def daily_freshness(metric_set: Any) -> date | None:
    """The (exclusive) end of the DAILY data in a metric set's ``freshnessInfo``, if any."""
    info = metric_set.get("freshnessInfo") if isinstance(metric_set, dict) else None
    freshnesses = info.get("freshnesses") if isinstance(info, dict) else None
    for freshness in freshnesses if isinstance(freshnesses, list) else []:
        if isinstance(freshness, dict) and freshness.get("aggregationPeriod") == "DAILY":
            end: Any = freshness.get("latestEndTime")
            try:
                return date(int(end["year"]), int(end["month"]), int(end["day"]))
            except (TypeError, KeyError, ValueError):
                raise ProviderError(f"{SERVICE}: unreadable latestEndTime {end!r}") from None
    return None


def measurement_from_rows(body: Any, spec: PlayVitalsInput, day: date) -> Measurement:
    """The version's row of a ``:query`` answer, ``{"rows": [{"dimensions", "metrics"}]}``."""
    described = describe_play(spec, day)
    rows = body.get("rows", []) if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise ProviderError(f"{SERVICE} answered rows that are not a list: {str(body)[:200]}")
    mine = [row for row in rows if _version_code(row) == spec.version_code]
    if not mine:
        return no_value(
            f"no data for versionCode {spec.version_code} on {day.isoformat()}, the freshest "
            f"complete day (data is fresh until {(day + timedelta(days=1)).isoformat()} "
            f"00:00 {DAILY_TIME_ZONE})",
            described,
        )
    values = _metric_values(mine[0])
    sample = None
    if SAMPLE_METRIC in values:
        sample = parse_number(values[SAMPLE_METRIC], SAMPLE_METRIC)
    assert spec.metric is not None  # the model fills in the set's default
    if spec.metric not in values or values[spec.metric] is None:
        return no_value(
            f"no data: Play gave no {spec.metric} for versionCode {spec.version_code} "
            f"on {day.isoformat()}",
            described,
            sample,
        )
    value = parse_number(values[spec.metric], spec.metric)
    if value is None:
        return no_value(f"no number to judge: {spec.metric} is {values[spec.metric]}", described)
    return Measurement(value=value, sample=sample, resolved_query=described)


def _version_code(row: Any) -> str | None:
    dimensions = row.get("dimensions") if isinstance(row, dict) else None
    for dimension in dimensions if isinstance(dimensions, list) else []:
        if isinstance(dimension, dict) and dimension.get("dimension") == "versionCode":
            # int64 values travel as JSON strings; some clients send numbers.
            raw = dimension.get("int64Value", dimension.get("stringValue"))
            return None if raw is None else str(raw)
    return None


def _metric_values(row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for metric in row.get("metrics") or []:
        if isinstance(metric, dict) and isinstance(metric.get("metric"), str):
            decimal = metric.get("decimalValue")
            values[metric["metric"]] = decimal.get("value") if isinstance(decimal, dict) else None
    return values


def _civil_date(day: date) -> dict[str, Any]:
    # google.type.DateTime: DAILY times are whole days, in the only zone DAILY supports.
    return {
        "year": day.year,
        "month": day.month,
        "day": day.day,
        "timeZone": {"id": DAILY_TIME_ZONE},
    }
