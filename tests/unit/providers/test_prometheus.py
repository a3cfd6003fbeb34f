"""The Prometheus provider against a fake Prometheus: one number, no data, or an error."""

from __future__ import annotations

from typing import Any

from tests.fakes.prometheus import FakePrometheus

QUERY = 'sum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'


def provider(server: FakePrometheus, query: str = QUERY) -> dict[str, Any]:
    return {"prometheus": {"address": server.url, "query": query}}


def test_one_series_is_the_value_and_the_query_is_recorded(measure, prometheus) -> None:
    prometheus.set_vector(QUERY, ({}, "0.9973"))
    run = measure(provider(prometheus))
    assert run.code == 0
    assert run.result == {"value": "0.9973", "resolvedQuery": QUERY}
    assert prometheus.queries == [QUERY]


def test_a_scalar_is_the_value(measure, prometheus) -> None:
    prometheus.set_scalar("scalar(vector(42))", "42")
    assert measure(provider(prometheus, "scalar(vector(42))")).result == {
        "value": "42",
        "resolvedQuery": "scalar(vector(42))",
    }


def test_an_empty_vector_is_no_data_not_a_value(measure, prometheus) -> None:
    run = measure(provider(prometheus, "up{job='nothing-here'}"))
    assert run.code == 0
    assert "value" not in run.result and "error" not in run.result
    assert "no data" in run.result["note"]


def test_nan_and_infinity_are_no_value_with_a_note(measure, prometheus) -> None:
    prometheus.set_vector(QUERY, ({}, "NaN"))
    run = measure(provider(prometheus))
    assert "value" not in run.result and "error" not in run.result
    assert "NaN" in run.result["note"]
    prometheus.set_vector(QUERY, ({}, "+Inf"))
    assert "+Inf" in measure(provider(prometheus)).result["note"]


def test_more_than_one_series_is_an_error_naming_how_many(measure, prometheus) -> None:
    prometheus.set_vector(
        QUERY, ({"pod": "a"}, "0.99"), ({"pod": "b"}, "0.98"), ({"pod": "c"}, "1")
    )
    run = measure(provider(prometheus))
    assert run.code == 0
    assert "value" not in run.result
    assert "3 series" in run.result["error"]
    assert run.result["resolvedQuery"] == QUERY


def test_a_refused_query_is_an_error_with_prometheus_words(measure, prometheus) -> None:
    prometheus.set_error("sum(", "bad_data", "1:5: parse error: unclosed left parenthesis")
    run = measure(provider(prometheus, "sum("))
    assert "bad_data" in run.result["error"]
    assert "unclosed left parenthesis" in run.result["error"]
    assert "HTTP 400" in run.result["error"]


def test_a_matrix_is_an_error(measure, prometheus) -> None:
    prometheus.set_matrix("up[5m]", {"job": "api"}, "1", "1")
    assert "matrix" in measure(provider(prometheus, "up[5m]")).result["error"]


def test_a_server_error_and_a_proxy_page_are_errors(measure, prometheus) -> None:
    prometheus.fail_next(status=502, body="<html>Bad Gateway</html>")
    run = measure(provider(prometheus))
    assert "HTTP 502" in run.result["error"]
    assert "value" not in run.result


def test_a_slow_prometheus_is_a_timeout_error(measure, prometheus) -> None:
    prometheus.delay = 5.0
    run = measure(provider(prometheus), "--timeout", "0.3")
    assert run.code == 0
    assert "did not answer within 0.3s" in run.result["error"]


def test_an_unreachable_prometheus_is_an_error(measure, prometheus) -> None:
    address = prometheus.url
    prometheus.stop()
    run = measure({"prometheus": {"address": address, "query": "up"}})
    assert "could not reach Prometheus" in run.result["error"]
