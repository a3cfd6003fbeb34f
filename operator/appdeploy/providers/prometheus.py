"""Prometheus: one instant query, ``GET {address}/api/v1/query?query=…``.

The value is the query's single number: a scalar, or a vector with exactly
one series. An empty vector is "no data" (Inconclusive, never a pass), and so
is a NaN or infinite sample (``0/0`` when no requests came in). More than one
series is an error: which one would be judged? The query must aggregate.
"""

from __future__ import annotations

from typing import Any

import httpx

from appdeploy.providers.client import fail_unless_success, read_json, send
from appdeploy.providers.inputs import PrometheusInput
from appdeploy.providers.result import Measurement, ProviderError, no_value, parse_number

SERVICE = "Prometheus"


def measure_prometheus(spec: PrometheusInput, client: httpx.Client) -> Measurement:
    """The query's one number, or why there is none."""
    response = send(
        client, SERVICE, "GET", spec.address + "/api/v1/query", params={"query": spec.query}
    )
    body = read_json(response, SERVICE) if _is_json(response) else None
    if isinstance(body, dict) and body.get("status") == "error":
        # Prometheus answers 400/422/503 with this body; its words say more than the status.
        raise ProviderError(
            f"{SERVICE} refused the query (HTTP {response.status_code}, "
            f"{body.get('errorType', 'error')}): {body.get('error', '')}"
        )
    fail_unless_success(response, SERVICE)
    if body is None:
        body = read_json(response, SERVICE)
    return measurement_from_answer(body, spec.query)


def measurement_from_answer(body: Any, query: str) -> Measurement:
    """A Measurement from the JSON of a successful instant query."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or body.get("status") != "success":
        raise ProviderError(
            f"{SERVICE} answered without status success and data: {str(body)[:200]}"
        )
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        return _from_sample(result, query, "the scalar")
    if kind == "vector" and isinstance(result, list):
        if not result:
            return no_value("no data: the query returned an empty vector", query)
        if len(result) > 1:
            raise ProviderError(
                f"the query returned {len(result)} series, expected one: aggregate it "
                "(e.g. sum(...) or avg(...)) so there is one number to judge"
            )
        series = result[0] if isinstance(result[0], dict) else {}
        return _from_sample(series.get("value"), query, f"the series {series.get('metric', {})}")
    raise ProviderError(
        f"the query returned a {kind}; an instant query must give a scalar or a vector"
    )


def _from_sample(sample: Any, query: str, what: str) -> Measurement:
    # A sample is [unix time, "value as a string"].
    if not isinstance(sample, list) or len(sample) != 2:
        raise ProviderError(f"{what} is not a [time, value] pair: {str(sample)[:200]}")
    value = parse_number(sample[1], f"the value of {what}")
    if value is None:
        return no_value(f"no number to judge: the value is {sample[1]}", query)
    return Measurement(value=value, resolved_query=query)


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")
