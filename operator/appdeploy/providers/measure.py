"""``appdeploy provider measure``'s core: parse the input, read credentials, take one measurement.

Two kinds of failure, kept apart on purpose. A Job built wrongly (input that
is not the contract's JSON, a credential env var missing) is a UsageError:
no request is made and the program exits 2. A provider that fails (HTTP
status, timeout, an answer it cannot read) is an ``error`` measurement,
written like any other result, because the planner counts those against
``consecutiveErrorLimit``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from appdeploy.api.problems import problems_from
from appdeploy.providers.client import open_client
from appdeploy.providers.google_auth import KEY_ENV, BadServiceAccount, parse_service_account
from appdeploy.providers.http_json import (
    MissingHeaderValue,
    describe_http,
    header_values,
    measure_http,
)
from appdeploy.providers.inputs import ProviderInput
from appdeploy.providers.job_input import UsageError, json_object_from_env
from appdeploy.providers.play_vitals import describe_play, measure_play_vitals
from appdeploy.providers.prometheus import measure_prometheus
from appdeploy.providers.result import Measurement, ProviderError
from appdeploy.providers.sentry import describe_sentry, measure_sentry

PROVIDER_ENV = "APPDEPLOY_CHECK_PROVIDER"
TOKEN_ENV = "APPDEPLOY_TOKEN"
ROOT = "check.provider"


def parse_provider(text: str | None) -> ProviderInput:
    """The provider input from ``APPDEPLOY_CHECK_PROVIDER``'s JSON, or UsageError."""
    document = json_object_from_env(PROVIDER_ENV, text, "the step's check.provider")
    try:
        return ProviderInput.model_validate(document)
    except ValidationError as error:
        problems = problems_from(error, ROOT)
        raise UsageError("; ".join(str(problem) for problem in problems)) from None


def required_env(environ: Mapping[str, str], name: str, provider: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise UsageError(f"{name} is not set: the {provider} provider reads its credential there")
    return value


def take_measurement(
    provider: ProviderInput, environ: Mapping[str, str], timeout: float
) -> Measurement:
    """One measurement; UsageError before any request when a credential is missing."""
    described = ""
    try:
        with open_client(timeout) as client:
            if provider.prometheus is not None:
                described = provider.prometheus.query
                return measure_prometheus(provider.prometheus, client)
            if provider.http is not None:
                described = describe_http(provider.http)
                try:
                    headers = header_values(provider.http, environ)
                except MissingHeaderValue as error:
                    raise UsageError(str(error)) from None
                return measure_http(provider.http, headers, client)
            if provider.sentry is not None:
                described = describe_sentry(provider.sentry)
                token = required_env(environ, TOKEN_ENV, "sentry")
                return measure_sentry(provider.sentry, token, client)
            if provider.play_vitals is not None:
                described = describe_play(provider.play_vitals)
                key_file = required_env(environ, KEY_ENV, "playVitals")
                try:
                    account = parse_service_account(key_file, KEY_ENV)
                except BadServiceAccount as error:
                    raise UsageError(str(error)) from None
                return measure_play_vitals(provider.play_vitals, account, client)
            raise UsageError("no provider given")
    except ProviderError as error:
        return Measurement(error=str(error), resolved_query=described)
