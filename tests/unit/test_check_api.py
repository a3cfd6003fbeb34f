"""The ``check`` step's API: what a release may say, and the field each refusal names."""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.api.problems import InvalidSpec
from appdeploy.api.spec import StepType
from appdeploy.api.validation import parse_spec

PROMETHEUS = {"prometheus": {"address": "http://127.0.0.1:9090", "query": "up"}}


def release(check: dict[str, Any], **step: Any) -> dict[str, Any]:
    return {
        "app": "shop",
        "version": "4.12.0",
        "steps": [
            {"name": "build", "run": {"image": "builder"}},
            {"name": "health", "needs": ["build"], "check": check, **step},
        ],
    }


def problems(spec: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidSpec) as raised:
        parse_spec(spec)
    return [f"{problem.path}: {problem.message}" for problem in raised.value.problems]


def test_a_full_check_parses_with_the_issue_fields() -> None:
    spec = parse_spec(
        release(
            {
                "provider": {
                    "sentry": {
                        "org": "acme",
                        "project": "shop",
                        "environment": "production",
                        "release": "shop@$(version)+$(steps.build.outputs.versionCode)",
                        "window": "24h",
                        "tokenSecretRef": {"name": "sentry", "key": "token"},
                    }
                },
                "successCondition": {"min": 0.995},
                "failureCondition": {"max": 0.990},
                "minSample": 1000,
                "initialDelay": "2h",
                "interval": "1h",
                "count": 24,
                "onInconclusive": {
                    "gate": {
                        "approvers": {"groups": ["release-managers"]},
                        "timeout": "24h",
                        "onTimeout": "Fail",
                    }
                },
            }
        )
    )
    step = spec.step("health")
    assert step.type is StepType.CHECK
    assert step.check is not None
    assert step.check.failure_limit == 0
    assert step.check.consecutive_error_limit == 4
    assert step.check.provider.kinds() == ["sentry"]


CASES = {
    "no provider": (
        {"provider": {}, "successCondition": {"min": 1}},
        "spec.steps[1].check.provider: set exactly one of prometheus, http, sentry, playVitals "
        "(found none)",
    ),
    "no condition": (
        {"provider": PROMETHEUS},
        "spec.steps[1].check: set successCondition, failureCondition or both",
    ),
    "overlapping ranges": (
        {
            "provider": PROMETHEUS,
            "successCondition": {"min": 0.5},
            "failureCondition": {"max": 0.5},
        },
        "spec.steps[1].check.failureCondition: max 0.5 overlaps successCondition (min 0.5)",
    ),
    "both open upwards": (
        {"provider": PROMETHEUS, "successCondition": {"min": 2}, "failureCondition": {"min": 1}},
        "spec.steps[1].check.failureCondition: min 1 overlaps successCondition (min 2)",
    ),
    "empty range": (
        {"provider": PROMETHEUS, "successCondition": {"min": 2, "max": 1}},
        "spec.steps[1].check.successCondition: min 2 is above max 1",
    ),
    "quoted threshold": (
        {"provider": PROMETHEUS, "successCondition": {"min": "0.99"}},
        "spec.steps[1].check.successCondition.min: ",
    ),
    "count zero": (
        {"provider": PROMETHEUS, "successCondition": {"min": 1}, "count": 0},
        "spec.steps[1].check.count: ",
    ),
    "no interval": (
        {"provider": PROMETHEUS, "successCondition": {"min": 1}, "count": 2},
        "spec.steps[1].check.interval: interval is required when count is more than 1",
    ),
    "bad duration": (
        {"provider": PROMETHEUS, "successCondition": {"min": 1}, "initialDelay": "2 hours"},
        'spec.steps[1].check.initialDelay: invalid duration "2 hours"',
    ),
    "header with both": (
        {
            "provider": {
                "http": {
                    "url": "http://127.0.0.1:1/h",
                    "jsonPath": "$.v",
                    "headers": [
                        {
                            "name": "Authorization",
                            "value": "x",
                            "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}},
                        }
                    ],
                }
            },
            "successCondition": {"min": 1},
        },
        "spec.steps[1].check.provider.http.headers[0]: set exactly one of value, valueFrom",
    ),
    "secret ref without key": (
        {
            "provider": {
                "playVitals": {
                    "packageName": "com.acme.shop",
                    "metricSet": "crashRate",
                    "versionCode": "4120",
                    "serviceAccountSecretRef": {"name": "play"},
                }
            },
            "failureCondition": {"min": 0.01},
        },
        "spec.steps[1].check.provider.playVitals.serviceAccountSecretRef.key: ",
    ),
    "nobody to ask": (
        {
            "provider": PROMETHEUS,
            "successCondition": {"min": 1},
            "onInconclusive": {"gate": {"approvers": {}}},
        },
        "spec.steps[1].check.onInconclusive.gate.approvers: name at least one user or group",
    ),
    "unknown substitution": (
        {
            "provider": {"prometheus": {"address": "http://127.0.0.1:9090", "query": "$(nope)"}},
            "successCondition": {"min": 1},
        },
        "spec.steps[1].check.provider.prometheus.query: unknown substitution $(nope)",
    ),
    "output of a step not upstream": (
        {
            "provider": {
                "prometheus": {
                    "address": "http://127.0.0.1:9090",
                    "query": "x{v='$(steps.later.outputs.v)'}",
                }
            },
            "successCondition": {"min": 1},
        },
        "spec.steps[1].check.provider.prometheus.query: $(steps.later.outputs.v): "
        "later is not upstream",
    ),
    "retries on a check": (
        {"provider": PROMETHEUS, "successCondition": {"min": 1}},
        "spec.steps[1].retries: only run steps retry; health is a check step",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_check_is_refused_naming_the_field(name: str) -> None:
    check, expected = CASES[name]
    spec = release(check, retries={"limit": 1}) if name == "retries on a check" else release(check)
    spec["steps"].append({"name": "later", "needs": ["health"], "run": {"image": "x"}})
    found = problems(spec)
    assert any(problem.startswith(expected) for problem in found), found


def test_secret_names_are_never_substituted() -> None:
    # A Secret's name stays literal, so policies and admission see what a step reads.
    spec = release(
        {
            "provider": {
                "sentry": {
                    "org": "acme",
                    "project": "shop",
                    "release": "r",
                    "tokenSecretRef": {"name": "$(params.secret)", "key": "token"},
                }
            },
            "successCondition": {"min": 0.9},
        }
    )
    parsed = parse_spec(spec)  # no "unknown param" problem: the name is not a text field
    check = parsed.step("health").check
    assert check is not None and check.provider.sentry is not None
    assert check.provider.sentry.token_secret_ref.name == "$(params.secret)"


def test_validate_summarises_a_release_with_a_check() -> None:
    from appdeploy.cli.validate_command import step_summary

    check = {"provider": PROMETHEUS, "successCondition": {"min": 1}}
    assert step_summary(parse_spec(release(check))) == "2 steps: 1 run, 1 check"
