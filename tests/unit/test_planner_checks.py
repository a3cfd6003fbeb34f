"""Check steps in the planner: measurement Jobs on a schedule, judged, the step decided."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from appdeploy.api.naming import measurement_job_name_for
from appdeploy.api.status import MeasurementPhase, StepPhase
from appdeploy.engine import CreateJob, Settings
from appdeploy.engine.check_steps import NO_IMAGE
from tests.unit.harness import Simulation

IMAGE = "ghcr.io/acme/appdeploy:1.0.0"


def spec(**check: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": {
            "prometheus": {
                "address": "http://127.0.0.1:9090",
                "query": 'crash_free{version="$(version)",build="$(steps.build.outputs.code)"}',
            }
        },
        "successCondition": {"min": 0.995},
        "failureCondition": {"max": 0.99},
        "initialDelay": "10m",
        "interval": "1h",
        "count": 3,
        "minSample": 1000,
        **check,
    }
    return {
        "app": "shop",
        "version": "4.12.0",
        "serviceAccountName": "release-runner",
        "steps": [
            {"name": "build", "run": {"image": "builder"}},
            {"name": "health", "needs": ["build"], "check": body},
            {"name": "promote", "needs": ["health"], "run": {"image": "promoter"}},
        ],
    }


ASK = {"onInconclusive": {"gate": {"approvers": {"groups": ["release-managers"]}, "timeout": "2h"}}}


def started(**check: Any) -> Simulation:
    sim = Simulation(spec(**check), settings=Settings(provider_image=IMAGE))
    sim.reconcile()
    sim.complete("build", json.dumps({"code": "4120"}))
    return sim


def measure(sim: Simulation, value: str | None, sample: str = "5000", **extra: str) -> None:
    """Time moves to the next measurement, its Job runs and reports ``value``."""
    sim.wake()
    result = {"sample": sample, "resolvedQuery": "q", **extra}
    if value is not None:
        result["value"] = value
    sim.complete("health", json.dumps(result))


def test_measurements_start_on_schedule_one_job_each() -> None:
    sim = started()
    health = sim.step("health")
    assert health.phase is StepPhase.RUNNING and health.attempts == 0
    assert sim.last is not None and sim.last.requeue_after == timedelta(minutes=10)
    sim.wake()
    (create,) = [c for c in sim.created if c.step == "health"]
    assert create.name == measurement_job_name_for("rel", "health", 1, 1)
    assert create.spec.image == IMAGE
    assert create.spec.command == ["appdeploy", "provider", "measure"]
    assert create.service_account_name == "release-runner"
    sim.complete("health", json.dumps({"value": "0.999", "sample": "5000"}))
    assert sim.last is not None and sim.last.requeue_after == timedelta(hours=1)
    assert [c.attempt for c in sim.created if c.step == "health"] == [1]


def test_the_provider_json_is_resolved_and_escaped_for_the_kubelet() -> None:
    sim = started()
    sim.wake()
    (create,) = [c for c in sim.created if c.step == "health"]
    (env,) = create.spec.env
    assert env.name == "APPDEPLOY_CHECK_PROVIDER"
    assert env.value is not None
    provider = json.loads(env.value.replace("$$", "$"))
    assert provider["prometheus"]["query"] == 'crash_free{version="4.12.0",build="4120"}'


def test_three_good_values_pass_and_the_next_step_starts() -> None:
    sim = started()
    for value in ("0.999", "0.998", "0.9973"):
        measure(sim, value)
    health = sim.step("health")
    assert health.phase is StepPhase.SUCCEEDED
    assert health.message == "passed: 3 measurement(s): 3 successful"
    assert [m.phase for m in health.measurements] == [MeasurementPhase.SUCCESSFUL] * 3
    assert health.measurements[-1].value == 0.9973
    assert health.counters is not None and health.counters.successful == 3
    assert sim.step("promote").phase is StepPhase.RUNNING


def test_a_low_value_fails_the_step_at_once_naming_value_and_condition() -> None:
    sim = started()
    measure(sim, "0.999")
    measure(sim, "0.98")
    health = sim.step("health")
    assert health.phase is StepPhase.FAILED
    assert "0.98 meets failureCondition (max 0.99)" in health.message
    assert "more than failureLimit 0" in health.message
    assert sim.phase == "Failed"
    assert [c.attempt for c in sim.created if c.step == "health"] == [1, 2]


def test_provider_errors_beyond_the_limit_fail_and_never_pass() -> None:
    sim = started(consecutiveErrorLimit=1, count=5)
    measure(sim, None, error="HTTP 503 from prometheus")
    sim.wake()
    sim.fail("health", exit_code=2, message="connection refused")
    health = sim.step("health")
    assert health.phase is StepPhase.FAILED
    assert "provider errors never count as success" in health.message
    assert [m.phase for m in health.measurements] == [MeasurementPhase.ERROR] * 2
    assert "exit code 2: connection refused" in health.measurements[-1].message


def test_every_measurement_erroring_is_never_a_success() -> None:
    sim = started(count=2, **ASK)
    measure(sim, None, error="timeout")
    measure(sim, None, error="timeout")
    health = sim.step("health")
    assert health.phase is StepPhase.WAITING
    assert "no measurement succeeded" in health.message


def test_inconclusive_without_anyone_to_ask_fails() -> None:
    sim = started(count=1)
    measure(sim, None, note="no data yet")
    health = sim.step("health")
    assert health.phase is StepPhase.FAILED
    assert "inconclusive and nobody to ask" in health.message
    assert health.measurements[0].message == "no value: no data yet"


def test_inconclusive_waits_for_a_person_who_approves() -> None:
    sim = started(count=2, **ASK)
    measure(sim, "0.999")
    measure(sim, "0.999", sample="10", note="")
    health = sim.step("health")
    assert health.phase is StepPhase.WAITING
    assert health.deadline == sim.now + timedelta(hours=2)
    assert sim.phase == "AwaitingApproval"
    assert "health" in sim.model.waiting_on
    sim.approve("health", "rm@example.com", ("release-managers",), comment="sample is fine")
    health = sim.step("health")
    assert health.phase is StepPhase.SUCCEEDED
    assert "approved by rm@example.com" in health.message
    assert sim.step("promote").phase is StepPhase.RUNNING


def test_a_person_rejects_an_inconclusive_check() -> None:
    sim = started(count=1, **ASK)
    measure(sim, "0.992")
    sim.reject("health", "rm@example.com", ("release-managers",), comment="too close")
    assert sim.step("health").phase is StepPhase.FAILED
    assert sim.step("health").rejection is not None
    assert sim.phase == "Failed"


def test_decisions_count_only_while_waiting_and_only_from_approvers() -> None:
    sim = started(count=1, **ASK)
    sim.approve("health", "rm@example.com", ("release-managers",))
    assert sim.step("health").phase is StepPhase.RUNNING
    assert sim.step("health").approvals == []
    assert any("health is Running" in w for w in sim.warnings())
    measure(sim, None)
    sim.approve("health", "dev@example.com", ("developers",))
    assert sim.step("health").phase is StepPhase.WAITING
    assert any("not an approver of health" in w for w in sim.warnings())


def test_a_check_without_on_inconclusive_takes_no_decisions() -> None:
    sim = started(count=1)
    sim.approve("health", "rm@example.com", ("release-managers",))
    assert any("check without onInconclusive" in w for w in sim.warnings())


@pytest.mark.parametrize(
    ("on_timeout", "values", "phase"),
    [
        ("Fail", ["0.999", "0.992"], StepPhase.FAILED),
        ("Approve", ["0.999", "0.992"], StepPhase.SUCCEEDED),
        ("Approve", [None, None], StepPhase.FAILED),
    ],
)
def test_at_the_deadline_on_timeout_decides_but_never_passes_without_a_success(
    on_timeout: str, values: list[str | None], phase: StepPhase
) -> None:
    ask = {
        "gate": {
            "approvers": {"users": ["rm@example.com"]},
            "timeout": "1h",
            "onTimeout": on_timeout,
        }
    }
    sim = started(count=2, onInconclusive=ask)
    for value in values:
        measure(sim, value)
    assert sim.step("health").phase is StepPhase.WAITING
    sim.wake()
    assert sim.step("health").phase is phase


def test_a_crash_after_creating_a_job_adopts_it() -> None:
    sim = started()
    sim.now += timedelta(minutes=10)
    before = sim.status
    first = sim.reconcile()
    (create,) = first.of_type(CreateJob)
    sim.status = before  # the status write was lost; the Job exists
    again = sim.reconcile()
    assert again.of_type(CreateJob) == []
    assert sim.step("health").attempts == 1 and sim.step("health").job == create.name


def test_no_provider_image_fails_the_step_saying_which_flag() -> None:
    sim = Simulation(spec(), settings=Settings())
    sim.reconcile()
    sim.complete("build", json.dumps({"code": "1"}))
    sim.wake()
    assert sim.step("health").phase is StepPhase.FAILED
    assert sim.step("health").message == NO_IMAGE


def test_only_the_last_ten_measurements_are_kept() -> None:
    sim = started(count=12, failureLimit=20, initialDelay="1s", interval="1s")
    for _ in range(12):
        measure(sim, "0.999")
    health = sim.step("health")
    assert [m.number for m in health.measurements] == list(range(3, 13))
    assert health.counters is not None and health.counters.successful == 12


def test_a_refused_measurement_job_is_asked_again_and_counts_nothing() -> None:
    sim = started()
    name = measurement_job_name_for("rel", "health", 1, 1)
    sim.refusing[name] = "forbidden: quota"
    sim.wake()
    health = sim.step("health")
    assert health.phase is StepPhase.RUNNING and health.attempts == 0
    assert "refused its Job" in health.message
    sim.refusing.clear()
    sim.wake()
    assert sim.step("health").attempts == 1


def test_a_job_that_is_not_the_measurements_name_is_not_trusted() -> None:
    sim = started()
    sim.wake()
    job = sim.job_of("health")
    forged = replace(job, name="rel-health-r1-a1-forged", state=job.state)
    sim.jobs = {forged.name: forged}
    sim.reconcile()
    # The real Job is gone and the forged one does not count: an Error, not its result.
    assert sim.step("health").measurements[0].phase is MeasurementPhase.ERROR


def test_secrets_reach_the_job_only_as_secret_key_refs() -> None:
    sentry = {
        "sentry": {
            "url": "http://127.0.0.1:9000",
            "org": "acme",
            "project": "shop",
            "release": "shop@$(version)",
            "tokenSecretRef": {"name": "sentry", "key": "token"},
        }
    }
    sim = started(provider=sentry)
    sim.wake()
    (create,) = [c for c in sim.created if c.step == "health"]
    env = {var.name: var for var in create.spec.env}
    token = env["APPDEPLOY_TOKEN"].value_from
    assert token is not None and token.secret_key_ref is not None
    assert (token.secret_key_ref.name, token.secret_key_ref.key) == ("sentry", "token")
    provider = json.loads(str(env["APPDEPLOY_CHECK_PROVIDER"].value))
    assert provider["sentry"]["release"] == "shop@4.12.0"


def test_every_http_header_value_travels_in_its_own_env_var() -> None:
    http = {
        "http": {
            "url": "http://127.0.0.1:8080/health?v=$(version)",
            "jsonPath": "$.rate",
            "headers": [
                {"name": "X-Release", "value": "$(version)"},
                {
                    "name": "Authorization",
                    "valueFrom": {"secretKeyRef": {"name": "health-api", "key": "bearer"}},
                },
            ],
        }
    }
    sim = started(provider=http)
    sim.wake()
    (create,) = [c for c in sim.created if c.step == "health"]
    env = {var.name: var for var in create.spec.env}
    provider = json.loads(str(env["APPDEPLOY_CHECK_PROVIDER"].value).replace("$$", "$"))
    assert provider["http"]["headers"] == [
        {"name": "X-Release", "valueFromEnv": "APPDEPLOY_HEADER_0"},
        {"name": "Authorization", "valueFromEnv": "APPDEPLOY_HEADER_1"},
    ]
    assert provider["http"]["url"] == "http://127.0.0.1:8080/health?v=4.12.0"
    assert env["APPDEPLOY_HEADER_0"].value == "4.12.0"
    secret = env["APPDEPLOY_HEADER_1"].value_from
    assert secret is not None and secret.secret_key_ref is not None
    assert secret.secret_key_ref.name == "health-api"


def test_a_check_waiting_on_people_notifies_like_a_gate_opening_and_deciding() -> None:
    body = spec(count=1, **ASK)
    body["notify"] = {"channels": ["releases"]}
    sim = Simulation(body, settings=Settings(provider_image=IMAGE))
    sim.reconcile()
    sim.complete("build", json.dumps({"code": "4120"}))
    measure(sim, None, note="no data")
    opened = [n for n in sim.model.notifications if n.event == "GateOpened"]
    assert [(n.channel, n.step, n.title) for n in opened] == [
        ("releases", "health", "shop 4.12.0: health waits for your approval")
    ]
    assert "group release-managers" in opened[0].text
    sim.approve("health", "rm@example.com", ("release-managers",))
    decided = [n for n in sim.model.notifications if n.event == "GateDecided"]
    assert [n.title for n in decided] == ["shop 4.12.0: health approved by rm@example.com"]


def test_a_retried_check_measures_again_under_new_job_names() -> None:
    sim = started(count=1)
    measure(sim, "0.95")
    assert sim.step("health").phase is StepPhase.FAILED
    sim.request("retry", "health")
    sim.wake()
    names = [c.name for c in sim.created if c.step == "health"]
    assert names == [
        measurement_job_name_for("rel", "health", 1, 1),
        measurement_job_name_for("rel", "health", 1, 2),
    ]
    sim.complete("health", json.dumps({"value": "0.999", "sample": "5000"}))
    health = sim.step("health")
    assert health.phase is StepPhase.SUCCEEDED
    assert [m.number for m in health.measurements] == [2]


def test_unknown_release_policies_hold_the_next_measurement_job() -> None:
    from tests.unit.policy_sim import condition, facts

    sim = started()
    sim.policies = facts(unknown="the labels of namespace ns are not known")
    sim.advance(timedelta(minutes=10))  # the first measurement is due
    assert [c for c in sim.created if c.step == "health"] == []
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason) == ("True", "PoliciesUnknown")
    assert "held: health" in blocked.message
    sim.policies = facts()
    sim.reconcile()
    assert [c.attempt for c in sim.created if c.step == "health"] == [1]
