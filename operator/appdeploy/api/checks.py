"""The ``check`` step (docs/rollouts.md, "The check step"): measure release health, judge it.

A check measures a number from one provider (Prometheus, an HTTP endpoint,
Sentry, Google Play vitals) ``count`` times, ``interval`` apart, each time in a
Job running the operator's own image (credentials stay in the namespace's
Secrets), and the pure planner judges each value against structured
conditions. No expression language: ``{min, max}`` ranges are checked at
admission, so a typo cannot turn into "always passes". Between the success
and the failure range a value is Inconclusive, and an inconclusive check goes
to a person (``onInconclusive.gate``), never silently to pass or fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictInt

from appdeploy.api.approvers import Approvers
from appdeploy.api.base import ApiModel, NonEmptyStr, cel_rules, exactly_one_of, fits_int64
from appdeploy.api.durations import Duration
from appdeploy.api.pod import KeyRef

ONE_PROVIDER = "set exactly one of prometheus, http, sentry, playVitals"
SOME_BOUND = "set min, max or both"
HEADER_VALUE = "set exactly one of value, valueFrom"
PROVIDERS = ("prometheus", "http", "sentry", "playVitals")

Threshold = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A number (JSON int or float; a quoted number is refused, so ``"0.99"`` is no threshold)."""


class Range(ApiModel):
    """Values from ``min`` to ``max``, both included; one side may be open."""

    model_config = cel_rules(("has(self.min) || has(self.max)", SOME_BOUND, ""))

    min: Threshold | None = None
    """Lowest value in the range (included)."""
    max: Threshold | None = None
    """Highest value in the range (included)."""

    def holds(self, value: float) -> bool:
        """True when ``value`` lies in the range."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        """``min 0.995``, ``max 0.99`` or ``min 1 and max 2``, for messages."""
        bounds = (("min", self.min), ("max", self.max))
        return " and ".join(f"{name} {bound:g}" for name, bound in bounds if bound is not None)


class SecretKey(ApiModel):
    """A key of a Secret in the release's namespace, handed to the measurement Job as env."""

    name: NonEmptyStr
    """Name of the Secret."""
    key: NonEmptyStr
    """Key within it."""


class HeaderSource(ApiModel):
    """Where a header's value comes from: a Secret key."""

    secret_key_ref: KeyRef
    """The Secret key holding the header's value (e.g. ``Authorization: Bearer …``)."""


class HttpHeader(ApiModel):
    """One request header: a literal value, or one read from a Secret in the Job."""

    name: NonEmptyStr
    """Header name."""
    value: str | None = None
    """Literal value; substitutions are resolved."""
    value_from: HeaderSource | None = None
    """The value from a Secret key (never copied into the spec, status or logs)."""


class PrometheusProvider(ApiModel):
    """An instant query against Prometheus' ``/api/v1/query``; the first sample is the value."""

    address: NonEmptyStr
    """Base URL, e.g. ``http://prometheus.monitoring:9090``."""
    query: NonEmptyStr
    """PromQL; substitutions are resolved (the resolved text is kept with each measurement)."""


class HttpProvider(ApiModel):
    """A JSON endpoint; ``jsonPath`` picks the value out of its answer."""

    url: NonEmptyStr
    """What to call; substitutions are resolved."""
    method: Literal["GET", "POST"] = "GET"
    """HTTP method."""
    headers: list[HttpHeader] = Field(default_factory=list, max_length=20)
    """Request headers."""
    json_path: NonEmptyStr
    """JSONPath of the value in the answer, e.g. ``$.data.crashFreeRate``."""
    sample_json_path: str = ""
    """JSONPath of the sample size, compared with ``minSample``; empty: no sample size."""


class SentryProvider(ApiModel):
    """Sentry release health: ``GET /api/0/organizations/{org}/sessions/``."""

    url: NonEmptyStr = "https://sentry.io"
    """Base URL of Sentry (self-hosted, or a test double)."""
    org: NonEmptyStr
    """Organization slug."""
    project: NonEmptyStr
    """Project slug or id."""
    environment: str = ""
    """Environment to filter on; empty: all."""
    release: NonEmptyStr
    """Release name, e.g. ``shop@$(version)+$(steps.build-android.outputs.versionCode)``."""
    field: NonEmptyStr = "crash_free_rate(user)"
    """The sessions field that is the value."""
    sample_field: NonEmptyStr = "sum(session)"
    """The sessions field that is the sample size."""
    window: Duration = timedelta(hours=24)
    """How far back the query looks (``statsPeriod``)."""
    token_secret_ref: SecretKey
    """The Secret key holding the Sentry auth token."""


class MetricSet(StrEnum):
    """Play Developer Reporting metric sets the check can read."""

    CRASH_RATE = "crashRate"
    ANR_RATE = "anrRate"


class PlayVitalsProvider(ApiModel):
    """Google Play Developer Reporting (``…/crashRateMetricSet:query``); stale data is no data."""

    url: NonEmptyStr = "https://playdeveloperreporting.googleapis.com"
    """Base URL of the Reporting API (a test double in tests)."""
    package_name: NonEmptyStr
    """The app's package name."""
    metric_set: MetricSet
    """crashRate or anrRate."""
    metric: NonEmptyStr | None = None
    """The metric of that set that is the value; default ``userPerceivedCrashRate`` for
    crashRate, ``userPerceivedAnrRate`` for anrRate."""
    version_code: NonEmptyStr
    """The version code to look at, e.g. ``$(steps.build-android.outputs.versionCode)``."""
    service_account_secret_ref: SecretKey
    """The Secret key holding the service account's JSON key file."""


class CheckProvider(ApiModel):
    """Where the number comes from: exactly one provider."""

    model_config = cel_rules(
        (
            exactly_one_of(PROVIDERS),
            ONE_PROVIDER,
            "",
        )
    )

    prometheus: PrometheusProvider | None = None
    """A Prometheus instant query."""
    http: HttpProvider | None = None
    """A JSON endpoint."""
    sentry: SentryProvider | None = None
    """Sentry release health."""
    play_vitals: PlayVitalsProvider | None = None
    """Google Play vitals."""

    def kinds(self) -> list[str]:
        """The providers set, by wire name (validation wants exactly one)."""
        return [kind for kind in PROVIDERS if getattr(self, _attribute(kind)) is not None]


def _attribute(kind: str) -> str:
    return "play_vitals" if kind == "playVitals" else kind


class OnTimeoutInconclusive(StrEnum):
    """What an undecided inconclusive check does at its deadline."""

    FAIL = "Fail"
    APPROVE = "Approve"


class InconclusiveGate(ApiModel):
    """Who decides an inconclusive check, and by when."""

    approvers: Approvers
    """Who may approve or reject (one decision decides)."""
    timeout: Duration = timedelta(hours=24)
    """How long the check waits for the decision."""
    on_timeout: OnTimeoutInconclusive = OnTimeoutInconclusive.FAIL
    """At the deadline: Fail, or Approve (only a check with at least one Successful
    measurement; errors and no data never pass by themselves)."""


class OnInconclusive(ApiModel):
    """What happens when measurements could not decide."""

    gate: InconclusiveGate
    """A person decides, like a gate."""


class CheckSpec(ApiModel):
    """Measure ``count`` times, ``interval`` apart, after ``initialDelay``; judge each value."""

    provider: CheckProvider
    """Where the value comes from."""
    success_condition: Range | None = None
    """A value in this range is Successful."""
    failure_condition: Range | None = None
    """A value in this range is Failed; between the two ranges: Inconclusive."""
    min_sample: Annotated[StrictInt, Field(ge=0), AfterValidator(fits_int64)] = 0
    """Fewer samples than this (or none reported while this is above 0): Inconclusive."""
    initial_delay: Duration = timedelta(0)
    """Wait before the first measurement, counted from when the step's needs succeeded."""
    interval: Duration | None = None
    """Time between measurements; required when ``count`` > 1."""
    count: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    """Measurements in all."""
    failure_limit: Annotated[StrictInt, Field(ge=0, le=1000)] = 0
    """Failed measurements tolerated; one more fails the step."""
    consecutive_error_limit: Annotated[StrictInt, Field(ge=0, le=1000)] = 4
    """Provider errors in a row tolerated; one more fails the step (errors never pass)."""
    on_inconclusive: OnInconclusive | None = None
    """Who decides when the measurements could not; without it an inconclusive check fails."""


def check_secrets(provider: CheckProvider, where: str) -> Iterator[tuple[str, str]]:
    """(Secret name, field naming it) of every Secret the provider's measurement Jobs read.

    So a ReleasePolicy protecting a Secret, and admission's "may you read it" check,
    see a check step exactly as they see a run step's ``secretKeyRef``.
    """
    if provider.sentry is not None:
        yield provider.sentry.token_secret_ref.name, f"{where}.sentry.tokenSecretRef.name"
    if provider.play_vitals is not None:
        ref = provider.play_vitals.service_account_secret_ref
        yield ref.name, f"{where}.playVitals.serviceAccountSecretRef.name"
    if provider.http is not None:
        for index, header in enumerate(provider.http.headers):
            if header.value_from is not None:
                path = f"{where}.http.headers[{index}].valueFrom.secretKeyRef.name"
                yield header.value_from.secret_key_ref.name, path


_NOT_TEXT = frozenset({"method", "metricSet", "window", "secretKeyRef"})
"""Wire keys whose strings are not substituted: choices, durations and Secret references
(a Secret's name stays literal, so policies and admission see what a step reads)."""


def map_provider_texts(wire: Mapping[str, Any], change: Callable[[str, str], str]) -> Any:
    """The provider's wire dict with ``change(path, text)`` applied to each substitutable string.

    ``path`` is relative to the step, e.g. ``check.provider.sentry.release``.
    """
    return _map(wire, "check.provider", change)


def _map(node: Any, path: str, change: Callable[[str, str], str]) -> Any:
    if isinstance(node, str):
        return change(path, node)
    if isinstance(node, list):
        return [_map(item, f"{path}[{index}]", change) for index, item in enumerate(node)]
    if isinstance(node, Mapping):
        return {
            key: value
            if key in _NOT_TEXT or key.endswith("SecretRef")
            else _map(value, f"{path}.{key}", change)
            for key, value in node.items()
        }
    return node
