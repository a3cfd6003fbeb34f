"""The seam between the two halves: what the planner puts in a measurement Job is what
``appdeploy provider measure`` accepts.

The planner writes ``APPDEPLOY_CHECK_PROVIDER`` from the check step's CRD model
(escaped for the kubelet's ``$(VAR)`` expansion) and the credentials as
``secretKeyRef`` env; the program parses that JSON with its own input models.
Each provider's spec goes through the real planner (the unit harness) and the
created Job's env is read back as the kubelet would hand it to the container.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from appdeploy.engine import Settings
from appdeploy.providers.measure import parse_provider
from tests.unit.harness import Simulation

SECRET = {"name": "health-credentials", "key": "token"}
PROVIDERS: dict[str, dict[str, Any]] = {
    "prometheus": {"address": "http://127.0.0.1:9090", "query": 'up{version="$(version)"}'},
    "http": {
        "url": "http://127.0.0.1:8080/health/$(version)",
        "headers": [
            {"name": "Authorization", "valueFrom": {"secretKeyRef": SECRET}},
            {"name": "Accept", "value": "application/json"},
        ],
        "jsonPath": "$.crashFreeRate",
        "sampleJsonPath": "$.sessions",
    },
    "sentry": {
        "url": "http://127.0.0.1:9000",
        "org": "acme",
        "project": "shop-ios",
        "environment": "production",
        "release": "shop@$(version)+$(steps.build.outputs.code)",
        "window": "24h",
        "tokenSecretRef": SECRET,
    },
    "playVitals": {
        "url": "http://127.0.0.1:9001",
        "packageName": "com.acme.shop",
        "metricSet": "anrRate",
        "versionCode": "$(steps.build.outputs.code)",
        "serviceAccountSecretRef": SECRET,
    },
}


def job_env(provider: str) -> dict[str, Any]:
    """The measurement Job's env, as the kubelet hands it over (``$$`` is a literal ``$``)."""
    spec = {
        "app": "shop",
        "version": "4.12.0",
        "steps": [
            {"name": "build", "run": {"image": "builder"}},
            {
                "name": "health",
                "needs": ["build"],
                "check": {
                    "provider": {provider: PROVIDERS[provider]},
                    "successCondition": {"min": 0.995},
                },
            },
        ],
    }
    sim = Simulation(spec, settings=Settings(provider_image="ghcr.io/acme/appdeploy:1"))
    sim.reconcile()
    sim.complete("build", json.dumps({"code": "4120"}))  # no initialDelay: measured at once
    (create,) = [c for c in sim.created if c.step == "health"]
    return {
        var.name: var.value.replace("$$", "$") if var.value is not None else var.value_from
        for var in create.spec.env
    }


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_the_program_accepts_what_the_planner_writes(provider: str) -> None:
    env = job_env(provider)
    parsed = parse_provider(env["APPDEPLOY_CHECK_PROVIDER"])
    assert parsed.model_dump(exclude_none=True).keys() == {
        {"playVitals": "play_vitals"}.get(provider, provider)
    }


def test_substitutions_reach_the_program_resolved() -> None:
    sentry = parse_provider(job_env("sentry")["APPDEPLOY_CHECK_PROVIDER"]).sentry
    assert sentry is not None and sentry.release == "shop@4.12.0+4120"
    vitals = parse_provider(job_env("playVitals")["APPDEPLOY_CHECK_PROVIDER"]).play_vitals
    assert vitals is not None and vitals.version_code == "4120"


def test_an_anr_check_reads_the_anr_rate_by_default() -> None:
    vitals = parse_provider(job_env("playVitals")["APPDEPLOY_CHECK_PROVIDER"]).play_vitals
    assert vitals is not None and vitals.metric == "userPerceivedAnrRate"


def test_credentials_come_from_secrets_and_never_sit_in_the_json() -> None:
    env = job_env("http")
    text = env["APPDEPLOY_CHECK_PROVIDER"]
    http = parse_provider(text).http
    assert http is not None
    named = [header.model_dump(by_alias=True, exclude_none=True) for header in http.headers]
    assert named == [
        {"name": "Authorization", "valueFromEnv": "APPDEPLOY_HEADER_0"},
        {"name": "Accept", "valueFromEnv": "APPDEPLOY_HEADER_1"},
    ]
    assert env["APPDEPLOY_HEADER_0"].secret_key_ref.name == SECRET["name"]
    assert env["APPDEPLOY_HEADER_1"] == "application/json"
    assert "health-credentials" not in text
    for provider, variable in (
        ("sentry", "APPDEPLOY_TOKEN"),
        ("playVitals", "APPDEPLOY_SERVICE_ACCOUNT_JSON"),
    ):
        source = job_env(provider)[variable]
        assert (source.secret_key_ref.name, source.secret_key_ref.key) == (
            SECRET["name"],
            SECRET["key"],
        )
