"""Sentry release health: ``GET {url}/api/0/organizations/{org}/sessions/``.

One request for the release's totals (after one to find the project's id
when the spec names it by slug) over ``window``: the measured field
(``crash_free_rate(user)``) and, when asked, a sample field (``sum(session)``,
``count_unique(user)``). Without ``groupBy`` Sentry answers one group whose
``by`` is empty; no group, or a null rate (no sessions yet), is "no data".
The token (``APPDEPLOY_TOKEN``) goes in ``Authorization: Bearer``.
"""

from __future__ import annotations

from typing import Any

import httpx

from appdeploy.providers.client import fail_unless_success, read_json, send
from appdeploy.providers.inputs import SentryInput
from appdeploy.providers.result import Measurement, ProviderError, no_value, parse_number

SERVICE = "Sentry"
INTERVAL = "1h"
"""Sentry rounds the range to the interval; the finest it allows keeps the window honest."""


def sentry_params(spec: SentryInput, project_id: str) -> list[tuple[str, str]]:
    """The query string, in order (``field`` repeats)."""
    params = [("field", spec.field)]
    if spec.sample_field and spec.sample_field != spec.field:
        params.append(("field", spec.sample_field))
    params.append(("project", project_id))
    if spec.environment:
        params.append(("environment", spec.environment))
    params += [
        ("query", f'release:"{spec.release}"'),
        ("statsPeriod", spec.window),
        ("interval", INTERVAL),
    ]
    return params


def sessions_path(spec: SentryInput) -> str:
    return f"/api/0/organizations/{spec.org}/sessions/"


def describe_sentry(spec: SentryInput, project_id: str | None = None) -> str:
    """The request as sent, without the host or the token: the resolved query."""
    project = project_id or spec.project_id or str(spec.project)
    return str(httpx.URL(sessions_path(spec), params=sentry_params(spec, project)))


def measure_sentry(spec: SentryInput, token: str, client: httpx.Client) -> Measurement:
    """The release's ``field`` over ``window``, with ``sampleField`` as the sample."""
    headers = {"Authorization": f"Bearer {token}"}
    project_id = spec.project_id or project_id_of(spec, headers, client)
    response = send(
        client,
        SERVICE,
        "GET",
        spec.url + sessions_path(spec),
        params=sentry_params(spec, project_id),
        headers=headers,
    )
    fail_unless_success(response, SERVICE, _detail)
    described = describe_sentry(spec, project_id)
    return measurement_from_sessions(read_json(response, SERVICE), spec, described)


def project_id_of(spec: SentryInput, headers: dict[str, str], client: httpx.Client) -> str:
    """The numeric id of the project slug ``spec.project``: the sessions API filters by id."""
    url = f"{spec.url}/api/0/projects/{spec.org}/{spec.project}/"
    response = send(client, SERVICE, "GET", url, headers=headers)
    fail_unless_success(response, SERVICE, _detail)
    body = read_json(response, SERVICE)
    project_id = str(body.get("id", "")) if isinstance(body, dict) else ""
    if not project_id.isdigit():
        raise ProviderError(f"{SERVICE} answered project {spec.project} without a numeric id")
    return project_id


def measurement_from_sessions(body: Any, spec: SentryInput, described: str) -> Measurement:
    """A Measurement from the sessions API's ``{"groups": [{"by", "totals", "series"}]}``."""
    groups = body.get("groups") if isinstance(body, dict) else None
    if not isinstance(groups, list):
        raise ProviderError(f"{SERVICE} answered without groups: {str(body)[:200]}")
    if not groups:
        return no_value(
            f"no data: no sessions of release {spec.release} in {spec.window}", described
        )
    if len(groups) > 1:
        raise ProviderError(f"{SERVICE} answered {len(groups)} groups, expected one")
    totals = groups[0].get("totals") if isinstance(groups[0], dict) else None
    if not isinstance(totals, dict) or spec.field not in totals:
        raise ProviderError(f"{SERVICE}'s totals have no {spec.field}: {str(totals)[:200]}")
    sample = None
    if spec.sample_field:
        if spec.sample_field not in totals:
            raise ProviderError(f"{SERVICE}'s totals have no {spec.sample_field}")
        raw_sample = totals[spec.sample_field]
        sample = None if raw_sample is None else parse_number(raw_sample, spec.sample_field)
    raw = totals[spec.field]
    if raw is None:
        return no_value(
            f"no data: {spec.field} is null "
            f"(no sessions of release {spec.release} in {spec.window})",
            described,
            sample,
        )
    value = parse_number(raw, spec.field)
    if value is None:
        return no_value(f"no number to judge: {spec.field} is {raw}", described, sample)
    return Measurement(value=value, sample=sample, resolved_query=described)


def _detail(body: Any) -> str:
    # Sentry's errors: {"detail": "..."}; some carry {"detail": {"message": ...}}.
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        detail = detail.get("message")
    return str(detail) if detail else ""
