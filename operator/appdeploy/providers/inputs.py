"""The input of ``appdeploy provider measure``: the step's resolved ``check.provider``.

The operator writes it to ``APPDEPLOY_CHECK_PROVIDER`` as camelCase JSON with
the same keys as the CRD's ``check.provider``. These models check it again in
the Job, strictly (unknown fields are errors), because a measurement taken
from a misread spec would be judged as if it were right. Besides the CRD's
fields they take the test overrides ``baseUrl`` and ``tokenUri``.
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

HEADER_ENV_PREFIX = "APPDEPLOY_HEADER_"
"""Header values reach the Job only in env vars named like this (``APPDEPLOY_HEADER_0``)."""

SENTRY_WINDOW = re.compile(r"^[1-9][0-9]*[mhdw]$")
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


def sentry_window(text: str) -> str:
    """A Sentry ``statsPeriod``: a number and one unit of m, h, d, w."""
    if not SENTRY_WINDOW.match(text):
        raise ValueError(f"{text!r} is not a Sentry period: a number and one of m, h, d, w")
    return text


def json_path(text: str) -> str:
    """A JSONPath the library can compile; the error says where it breaks."""
    try:
        jsonpath.compile(text)
    except jsonpath.JSONPathError as error:
        raise ValueError(f"{text!r} is not a JSONPath: {error}") from None
    return text


def sentry_project(value: int | str) -> str:
    """Sentry's sessions API filters by numeric project id; a slug would be refused there."""
    try:
        return digits(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a numeric project id: the sessions API takes the project's id "
            "(the number at the end of its DSN), not its slug"
        ) from None


WebAddress = Annotated[str, AfterValidator(web_address)]
Digits = Annotated[int | str, AfterValidator(digits)]


class PrometheusInput(ApiModel):
    """An instant query: ``GET {address}/api/v1/query?query=…``; one series, or no data."""

    address: WebAddress
    """Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics), e.g. ``http://prometheus:9090``."""
    query: NonEmptyStr
    """PromQL that yields a scalar or a vector of at most one series."""


class HttpHeader(ApiModel):
    """One request header; a secret value reaches the program through an env var."""

    name: Annotated[str, StringConstraints(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    value: str | None = None
    """A literal value (nothing secret)."""
    value_from_env: (
        Annotated[str, StringConstraints(pattern=rf"^{HEADER_ENV_PREFIX}[A-Z0-9_]+$")] | None
    ) = None
    """The env var holding the value, set by the Job from the header's ``valueFrom``."""
    value_from: SecretReference | None = None
    """The CRD's reference; accepted and ignored (``valueFromEnv`` carries the value)."""

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        if (self.value is None) == (self.value_from_env is None):
            raise ValueError("give exactly one of value and valueFromEnv")
        return self


class HttpInput(ApiModel):
    """``{method} {url}``; the number at ``jsonPath`` in the JSON answer is the value."""

    url: WebAddress
    method: Literal["GET", "POST"] = "GET"
    headers: list[HttpHeader] = Field(default_factory=list)
    json_path: Annotated[str, AfterValidator(json_path)]
    """A JSONPath (RFC 9535) selecting one number or numeric string, e.g. ``$.data.rate``."""


class SentryInput(ApiModel):
    """Release health: ``GET {baseUrl}/api/0/organizations/{org}/sessions/``."""

    org: NonEmptyStr
    """The organization's slug (or id)."""
    project: Annotated[int | str, AfterValidator(sentry_project)]
    """The project's numeric id: the sessions API filters by id, not by slug."""
    environment: str | None = None
    release: NonEmptyStr
    """The release as the SDK reports it, e.g. ``shop@4.12.0+4120``."""
    field: NonEmptyStr = "crash_free_rate(user)"
    """The measured field, e.g. ``crash_free_rate(user)`` or ``crash_free_rate(session)``."""
    sample_field: str | None = None
    """The sample size field, e.g. ``count_unique(user)`` or ``sum(session)``."""
    window: Annotated[str, AfterValidator(sentry_window)] = "24h"
    """How far back to look (Sentry's ``statsPeriod``): ``24h``, ``7d``, ``1w``."""
    token_secret_ref: SecretReference | None = None
    """The CRD's reference; the Job puts the token in ``APPDEPLOY_TOKEN``."""
    base_url: WebAddress = "https://sentry.io"
    """Sentry's address: self-hosted Sentry, or a fake in tests."""


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


class PlayVitalsInput(ApiModel):
    """Android vitals of one version code, the freshest complete day (Play Developer Reporting)."""

    package_name: Annotated[
        str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
    ]
    metric_set: Literal["crashRate", "anrRate"]
    metric: str | None = None
    """One of the set's rates; default ``userPerceivedCrashRate`` / ``userPerceivedAnrRate``."""
    version_code: Digits
    service_account_secret_ref: SecretReference | None = None
    """The CRD's reference; the Job puts the key file in ``APPDEPLOY_SERVICE_ACCOUNT_JSON``."""
    base_url: WebAddress = "https://playdeveloperreporting.googleapis.com"
    token_uri: WebAddress | None = None
    """Where to exchange the signed assertion; default: the key file's ``token_uri``."""

    @model_validator(mode="after")
    def _metric_of_the_set(self) -> Self:
        if self.metric is None:
            self.metric = "userPerceived" + self.metric_set[0].upper() + self.metric_set[1:]
        return self

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str | None, info: ValidationInfo) -> str | None:
        metric_set = info.data.get("metric_set")
        allowed = PLAY_METRICS.get(str(metric_set), ())
        if metric is not None and allowed and metric not in allowed:
            raise ValueError(f"{metric!r} is not in the {metric_set} set: {', '.join(allowed)}")
        return metric


class ProviderInput(ApiModel):
    """Exactly one provider."""

    prometheus: PrometheusInput | None = None
    http: HttpInput | None = None
    sentry: SentryInput | None = None
    play_vitals: PlayVitalsInput | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name, value in self.chosen_items() if value is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of prometheus, http, sentry, playVitals"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    def chosen_items(self) -> list[tuple[str, object]]:
        return [
            ("prometheus", self.prometheus),
            ("http", self.http),
            ("sentry", self.sentry),
            ("playVitals", self.play_vitals),
        ]
