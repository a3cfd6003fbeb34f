"""The input contract: exactly the documented fields, each problem named by its field path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from appdeploy.providers.job_input import UsageError
from appdeploy.providers.measure import parse_provider

PROMETHEUS = {"address": "http://prometheus:9090", "query": "up"}


def problem(document: Any) -> str:
    with pytest.raises(UsageError) as raised:
        parse_provider(json.dumps(document) if not isinstance(document, str) else document)
    return str(raised.value)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "check.provider: give exactly one of prometheus, http, sentry, playVitals"),
        (
            {"prometheus": PROMETHEUS, "http": {"url": "http://a", "jsonPath": "$.a"}},
            "(got prometheus, http)",
        ),
        ({"datadog": {"query": "x"}}, "check.provider.datadog: unknown field"),
        ({"prometheus": {"query": "up"}}, "check.provider.prometheus.address: required field"),
        ({"prometheus": {**PROMETHEUS, "step": "1m"}}, "check.provider.prometheus.step: unknown"),
        (
            {"prometheus": {**PROMETHEUS, "address": "prometheus:9090"}},
            "not an http:// or https://",
        ),
        ({"http": {"url": "http://a", "jsonPath": "$.["}}, "check.provider.http.jsonPath"),
        ({"http": {"url": "http://a", "jsonPath": "$.a", "method": "DELETE"}}, "http.method"),
        (
            {"http": {"url": "http://a", "jsonPath": "$.a", "headers": [{"name": "X"}]}},
            "check.provider.http.headers[0]: give exactly one of value and valueFrom",
        ),
        (
            {
                "http": {
                    "url": "http://a",
                    "jsonPath": "$.a",
                    "headers": [{"name": "X", "valueFromEnv": "APPDEPLOY_TOKEN"}],
                }
            },
            "check.provider.http.headers[0].valueFromEnv",
        ),
        ({"sentry": {"org": "a", "project": 1, "release": "r", "window": "1w"}}, "sentry.window"),
        ({"sentry": {"org": "a", "project": 1, "release": "r", "window": "30s"}}, "a minute"),
        ({"sentry": {"org": "a", "project": 0, "release": "r"}}, "sentry.project"),
        ({"sentry": {"org": "a", "project": "Shop App", "release": "r"}}, "sentry.project"),
        (
            {"playVitals": {"packageName": "shop", "metricSet": "crashRate", "versionCode": 1}},
            "playVitals.packageName",
        ),
        (
            {"playVitals": {"packageName": "a.b", "metricSet": "slowRendering", "versionCode": 1}},
            "playVitals.metricSet",
        ),
        (
            {"playVitals": {"packageName": "a.b", "metricSet": "anrRate", "versionCode": "41a"}},
            "playVitals.versionCode: '41a' is not a positive whole number",
        ),
        ("{not json", "APPDEPLOY_CHECK_PROVIDER is not JSON"),
        ("", "APPDEPLOY_CHECK_PROVIDER is not set"),
    ],
)
def test_bad_input_names_the_field(document: Any, message: str) -> None:
    assert message in problem(document)


def test_what_the_crd_writes_is_accepted_defaults_and_secret_references_included() -> None:
    # CheckProvider.to_wire() (appdeploy.api.checks) spells out every default.
    reference = {"name": "release-secrets", "key": "token"}
    crd = {
        "sentry": {
            "url": "https://sentry.io",
            "org": "acme",
            "project": "shop-android",
            "environment": "",
            "release": "shop@4.12.0+4120",
            "field": "crash_free_rate(user)",
            "sampleField": "sum(session)",
            "window": "1d",
            "tokenSecretRef": reference,
        }
    }
    sentry = parse_provider(json.dumps(crd)).sentry
    assert sentry is not None
    assert (sentry.project_id, sentry.window, sentry.environment) == (None, "1d", "")
    http = {
        "url": "https://status.example.com/api",
        "method": "GET",
        "headers": [{"name": "X-Api-Key", "valueFrom": {"secretKeyRef": reference}}],
        "jsonPath": "$.a",
        "sampleJsonPath": "",
    }
    parsed = parse_provider(json.dumps({"http": http})).http
    assert parsed is not None
    assert parsed.headers[0].env_name(0) == "APPDEPLOY_HEADER_0"
    vitals = {
        "url": "https://playdeveloperreporting.googleapis.com",
        "packageName": "com.example.shop",
        "metricSet": "crashRate",
        "metric": "userPerceivedCrashRate",
        "versionCode": "4120",
        "serviceAccountSecretRef": reference,
    }
    play = parse_provider(json.dumps({"playVitals": vitals})).play_vitals
    assert play is not None and play.version_code == "4120"
