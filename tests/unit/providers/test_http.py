"""The HTTP provider against a fake JSON API: a JSONPath picks the value."""

from __future__ import annotations

from typing import Any

from tests.fakes.json_api import FakeJsonApi

API_KEY = "k3y-that-must-not-leak"


def provider(server: FakeJsonApi, path: str = "/health", **fields: Any) -> dict[str, Any]:
    return {"http": {"url": server.url + path, "jsonPath": "$.data.crashFree", **fields}}


def test_the_number_at_the_path_with_a_header_from_the_env(measure, json_api) -> None:
    json_api.required_headers = {"X-Api-Key": API_KEY, "Accept": "application/json"}
    json_api.documents["/health"] = {"data": {"crashFree": 0.9991, "users": 100}}
    headers = [
        {"name": "X-Api-Key", "valueFromEnv": "APPDEPLOY_HEADER_0"},
        {"name": "Accept", "value": "application/json"},
    ]
    run = measure(provider(json_api, headers=headers), env={"APPDEPLOY_HEADER_0": API_KEY})
    assert run.code == 0
    assert run.result == {
        "value": "0.9991",
        "resolvedQuery": f"GET {json_api.url}/health $.data.crashFree",
    }
    assert API_KEY not in run.stdout + run.stderr


def test_a_numeric_string_is_a_number(measure, json_api) -> None:
    json_api.documents["/health"] = {"data": {"crashFree": "0.95"}}
    assert measure(provider(json_api, method="POST")).result["value"] == "0.95"
    assert json_api.seen[-1][0] == "POST"


def test_a_missing_path_and_null_are_no_data(measure, json_api) -> None:
    json_api.documents["/health"] = {"data": {}}
    run = measure(provider(json_api))
    assert "value" not in run.result and "error" not in run.result
    assert "selects nothing" in run.result["note"]
    json_api.documents["/health"] = {"data": {"crashFree": None}}
    assert "is null" in measure(provider(json_api)).result["note"]


def test_text_where_a_number_belongs_is_an_error(measure, json_api) -> None:
    json_api.documents["/health"] = {"data": {"crashFree": "healthy"}}
    run = measure(provider(json_api))
    assert "is not a number" in run.result["error"]
    assert "value" not in run.result


def test_an_html_page_and_a_401_are_errors(measure, json_api) -> None:
    json_api.raw["/health"] = "<html><body>Sign in</body></html>"
    assert "not JSON" in measure(provider(json_api)).result["error"]
    json_api.required_headers = {"X-Api-Key": API_KEY}
    assert "HTTP 401" in measure(provider(json_api, path="/other")).result["error"]


def test_a_crd_header_reads_its_indexed_env_var_and_a_sample_path(measure, json_api) -> None:
    # The CRD's header: valueFrom a Secret, which the Job puts in APPDEPLOY_HEADER_<index>.
    json_api.required_headers = {"Authorization": f"Bearer {API_KEY}"}
    json_api.documents["/health"] = {"data": {"crashFree": 0.99, "users": "5120"}}
    headers = [
        {"name": "Accept", "value": "application/json"},
        {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]
    run = measure(
        provider(json_api, headers=headers, sampleJsonPath="$.data.users"),
        env={"APPDEPLOY_HEADER_1": f"Bearer {API_KEY}"},
    )
    assert (run.result["value"], run.result["sample"]) == ("0.99", "5120")
    assert API_KEY not in run.stdout + run.stderr


def test_a_header_env_var_that_is_not_set_is_a_usage_error(measure, json_api) -> None:
    headers = [{"name": "X-Api-Key", "valueFromEnv": "APPDEPLOY_HEADER_KEY"}]
    run = measure(provider(json_api, headers=headers))
    assert run.code == 2
    assert "check.provider.http.headers[0]: APPDEPLOY_HEADER_KEY is not set" in run.stderr
    assert json_api.request_count == 0
