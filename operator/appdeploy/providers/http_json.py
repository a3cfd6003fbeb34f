"""Any JSON API: ``{method} {url}``, the value picked out with a JSONPath (RFC 9535).

For services without a provider of their own (an internal health endpoint,
a vendor's REST API). The path must select one number or numeric string; a
path that selects nothing, or null, is "no data" (the field appears once the
service has something to say), anything else is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import httpx
import jsonpath

from appdeploy.providers.client import fail_unless_success, read_json, send
from appdeploy.providers.inputs import HttpInput
from appdeploy.providers.result import Measurement, ProviderError, no_value, parse_number

SERVICE = "the HTTP endpoint"


class MissingHeaderValue(ValueError):
    """A header's env var is not set: the Job is built wrongly (usage error, not a measurement)."""


def header_values(spec: HttpInput, environ: Mapping[str, str]) -> dict[str, str]:
    """The request headers, secret values read from the env vars the Job set."""
    headers: dict[str, str] = {}
    for index, header in enumerate(spec.headers):
        env_name = header.env_name(index)
        if env_name is None:
            headers[header.name] = header.value or ""
        elif env_name in environ:
            headers[header.name] = environ[env_name]
        else:
            raise MissingHeaderValue(
                f"check.provider.http.headers[{index}]: {env_name} is not set in the "
                "environment (the Job puts the header's valueFrom there)"
            )
    return headers


def describe_http(spec: HttpInput) -> str:
    """What was asked, for the status: the request line and the path (header values never)."""
    return f"{spec.method} {spec.url} {spec.json_path}"


def measure_http(spec: HttpInput, headers: dict[str, str], client: httpx.Client) -> Measurement:
    """The number at ``jsonPath`` in the endpoint's JSON answer."""
    described = describe_http(spec)
    response = send(client, SERVICE, spec.method, spec.url, headers=headers)
    fail_unless_success(response, SERVICE)
    document = read_json(response, SERVICE)
    measurement = value_at_path(document, spec.json_path, described)
    if not spec.sample_json_path or measurement.error:
        return measurement
    return replace(measurement, sample=sample_at_path(document, spec.sample_json_path))


def sample_at_path(document: Any, path: str) -> float | None:
    """The sample size at ``path``: None when absent or null (the planner sees no sample)."""
    matches = jsonpath.findall(path, document)
    if len(matches) > 1:
        raise ProviderError(f"sampleJsonPath {path} selects {len(matches)} values, expected one")
    if not matches or matches[0] is None:
        return None
    return parse_number(matches[0], f"the sample at {path}")


def value_at_path(document: Any, path: str, described: str) -> Measurement:
    """The one number ``path`` selects in ``document``, or why there is none."""
    try:
        matches = jsonpath.findall(path, document)
    except jsonpath.JSONPathError as error:
        raise ProviderError(f"jsonPath {path!r} is not a JSONPath: {error}") from None
    if not matches:
        return no_value(f"no data: {path} selects nothing in the answer", described)
    if len(matches) > 1:
        raise ProviderError(f"jsonPath {path} selects {len(matches)} values, expected one")
    raw = matches[0]
    if raw is None:
        return no_value(f"no data: {path} is null", described)
    value = parse_number(raw, f"the value at {path}")
    if value is None:
        return no_value(f"no number to judge: the value at {path} is {raw}", described)
    return Measurement(value=value, resolved_query=described)
