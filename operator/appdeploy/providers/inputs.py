"""The input of ``appdeploy provider measure``: the step's resolved ``check.provider``.

The operator writes it to ``APPDEPLOY_CHECK_PROVIDER`` as the CRD's own
camelCase JSON (``appdeploy.api.checks.CheckProvider``, defaults included).
These models check it again in the Job, strictly (unknown fields are
errors), because a measurement taken from a misread spec would be judged as
if it were right. Besides the CRD's fields they take ``tokenUri`` (Play) and
``valueFromEnv`` (a header), for tests and for Jobs that name env vars
themselves.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

import jsonpath
from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from appdeploy.api.base import ApiModel, NonEmptyStr
from appdeploy.api.durations import parse_duration

HEADER_ENV_PREFIX = "APPDEPLOY_HEADER_"
"""Header values reach the Job only in env vars named like this (``APPDEPLOY_HEADER_0``)."""

SLUG = r"^[a-z0-9][a-z0-9_-]*$"
"""A Sentry project slug (or its numeric id as text)."""
SecretReference = dict[str, Any]
"""The CRD's reference to a Secret: the Job resolves it into env, the program ignores it."""


def web_address(text: str) -> str:
    """An http(s) URL without a trailing slash (paths are appended to it)."""
    if not re.match(r"^https?://[^/\s]+", text):
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    return text.rstrip("/")


def digits(value: int | str) -> str:
    """A positive integer given as a number or a string (``4120`` or ``"4120"``)."""
    text = str(value)
    if isinstance(value, bool) or not text.isascii() or not text.isdigit() or int(text) < 1:
        raise ValueError(f"{value!r} is not a positive whole number")
    return text


def stats_period(text: str) -> str:
    """An appdeploy duration (``24h``, ``1d``, ``1h30m``) as Sentry's ``statsPeriod`` (``90m``).

    Sentry takes one number and one unit, so the largest unit that divides
    the duration evenly is used.
    """
    seconds = int(parse_duration(text).total_seconds())
    if seconds < 60:
        raise ValueError(f"{text!r} is shorter than a minute; Sentry looks back at least an hour")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def json_path(text: str) -> str:
    """A JSONPath the library can compile; the error says where it breaks."""
    try:
        jsonpath.compile(text)
    except jsonpath.JSONPathError as error:
        raise ValueError(f"{text!r} is not a JSONPath: {error}") from None
    return text


def optional_json_path(text: str) -> str:
    """A JSONPath, or empty for none."""
    return json_path(text) if text else ""


WebAddress = Annotated[str, AfterValidator(web_address)]
Digits = Annotated[int | str, AfterValidator(digits)]
JsonPath = Annotated[str, AfterValidator(json_path)]


class PrometheusInput(ApiModel):
    """An instant query: ``GET {address}/api/v1/query?query=…``; one series, or no data."""

    address: WebAddress
    """Prometheus or a compatible API (Thanos, Mimir), e.g. ``http://prometheus:9090``."""
    query: NonEmptyStr
    """PromQL that yields a scalar or a vector of at most one series."""


class HttpHeader(ApiModel):
    """One request header; a secret value reaches the program through an env var."""

    name: Annotated[str, StringConstraints(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    value: str | None = None
    """A literal value (nothing secret)."""
    value_from: SecretReference | None = None
    """The CRD's Secret reference: the Job puts the value in ``APPDEPLOY_HEADER_<index>``."""
    value_from_env: (
        Annotated[str, StringConstraints(pattern=rf"^{HEADER_ENV_PREFIX}[A-Z0-9_]+$")] | None
    ) = None
    """The env var holding the value, when the Job names it (default for ``valueFrom``:
    ``APPDEPLOY_HEADER_<index>``)."""

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        from_env = self.value_from is not None or self.value_from_env is not None
        if (self.value is not None) == from_env:
            raise ValueError("give exactly one of value and valueFrom (or valueFromEnv)")
        return self

    def env_name(self, index: int) -> str | None:
        """The env var with this header's value; None for a literal value."""
        if self.value is not None:
            return None
        return self.value_from_env or f"{HEADER_ENV_PREFIX}{index}"


class HttpInput(ApiModel):
    """``{method} {url}``; the number at ``jsonPath`` in the JSON answer is the value."""

    url: WebAddress
    method: Literal["GET", "POST"] = "GET"
    headers: list[HttpHeader] = Field(default_factory=list)
    json_path: JsonPath
    """A JSONPath (RFC 9535) selecting one number or numeric string, e.g. ``$.data.rate``."""
    sample_json_path: Annotated[str, AfterValidator(optional_json_path)] = ""
    """The JSONPath of the sample size; empty: no sample."""


class SentryInput(ApiModel):
    """Release health: ``GET {url}/api/0/organizations/{org}/sessions/``."""

    url: WebAddress = "https://sentry.io"
    """Sentry's address: sentry.io, self-hosted Sentry, or a fake in tests."""
    org: NonEmptyStr
    """The organization's slug (or id)."""
    project: Annotated[int, Field(gt=0)] | Annotated[str, StringConstraints(pattern=SLUG)]
    """The project's numeric id, or its slug (looked up first: the sessions API takes ids)."""
    environment: str = ""
    """The environment to filter on; empty: all."""
    release: NonEmptyStr
    """The release as the SDK reports it, e.g. ``shop@4.12.0+4120``."""
    field: NonEmptyStr = "crash_free_rate(user)"
    """The measured field, e.g. ``crash_free_rate(user)`` or ``crash_free_rate(session)``."""
    sample_field: str = ""
    """The sample size field, e.g. ``count_unique(user)`` or ``sum(session)``; empty: none."""
    window: Annotated[str, AfterValidator(stats_period)] = "24h"
    """How far back to look: ``24h``, ``1d``, ``7d`` (sent as Sentry's ``statsPeriod``)."""
    token_secret_ref: SecretReference | None = None
    """The CRD's reference; the Job puts the token in ``APPDEPLOY_TOKEN``."""

    @property
    def project_id(self) -> str | None:
        """The numeric id when given as one; None for a slug."""
        text = str(self.project)
        return text if text.isdigit() else None


PLAY_METRICS = {
    "crashRate": (
        "crashRate",
        "crashRate7dUserWeighted",
        "crashRate28dUserWeighted",
        "userPerceivedCrashRate",
        "userPerceivedCrashRate7dUserWeighted",
        "userPerceivedCrashRate28dUserWeighted",
    ),
    "anrRate": (
        "anrRate",
        "anrRate7dUserWeighted",
        "anrRate28dUserWeighted",
        "userPerceivedAnrRate",
        "userPerceivedAnrRate7dUserWeighted",
        "userPerceivedAnrRate28dUserWeighted",
    ),
}
"""The rate metrics of each metric set (Play Developer Reporting v1beta1)."""

PackageName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
]


class PlayVitalsInput(ApiModel):
    """Android vitals of one version code, the freshest complete day (Play Developer Reporting)."""

    url: WebAddress = "https://playdeveloperreporting.googleapis.com"
    """The Reporting API's address (a fake in tests)."""
    package_name: PackageName
    metric_set: Literal["crashRate", "anrRate"]
    metric: str | None = None
    """One of the set's rates; default ``userPerceivedCrashRate`` / ``userPerceivedAnrRate``."""
    version_code: Digits
    service_account_secret_ref: SecretReference | None = None
    """The CRD's reference; the Job puts the key file in ``APPDEPLOY_SERVICE_ACCOUNT_JSON``."""
    token_uri: WebAddress | None = None
    """Where to exchange the signed assertion; default: the key file's ``token_uri``."""

    @field_validator("metric")
    @classmethod
    def _metric_of_the_set(cls, metric: str | None, info: ValidationInfo) -> str | None:
        metric_set = info.data.get("metric_set")
        allowed = PLAY_METRICS.get(str(metric_set), ())
        if metric is not None and allowed and metric not in allowed:
            raise ValueError(f"{metric!r} is not in the {metric_set} set: {', '.join(allowed)}")
        return metric

    @model_validator(mode="after")
    def _default_metric(self) -> Self:
        if self.metric is None:
            self.metric = "userPerceived" + self.metric_set[0].upper() + self.metric_set[1:]
        return self


class ProviderInput(ApiModel):
    """Exactly one provider."""

    prometheus: PrometheusInput | None = None
    http: HttpInput | None = None
    sentry: SentryInput | None = None
    play_vitals: PlayVitalsInput | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        chosen = {
            "prometheus": self.prometheus,
            "http": self.http,
            "sentry": self.sentry,
            "playVitals": self.play_vitals,
        }
        given = [name for name, value in chosen.items() if value is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of prometheus, http, sentry, playVitals"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self
