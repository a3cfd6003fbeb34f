"""The input contract: exactly the documented fields, each problem named by its field path."""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.providers.measure import UsageError, parse_provider

PROMETHEUS = {"address": "http://prometheus:9090", "query": "up"}


def problem(document: Any) -> str:
    import json

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
            "check.provider.http.headers[0]: give exactly one of value and valueFromEnv",
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
        ({"sentry": {"org": "a", "project": 1, "release": "r", "window": "1h30m"}}, "window"),
        ({"sentry": {"org": "a", "project": 0, "release": "r"}}, "sentry.project"),
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


def test_the_crd_secret_references_are_accepted_and_ignored() -> None:
    reference = {"name": "sentry", "key": "token"}
    provider = parse_provider(
        '{"sentry": {"org": "acme", "project": "42", "release": "r", "tokenSecretRef": '
        + str(reference).replace("'", '"')
        + "}}"
    )
    assert provider.sentry is not None
    assert provider.sentry.project == "42"
    assert provider.sentry.window == "24h"
    assert provider.sentry.base_url == "https://sentry.io"
