"""Judging check measurements, and the step's outcome from its counters (engine/checks.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appdeploy.api.checks import CheckSpec
from appdeploy.api.status import CheckCounters, MeasurementPhase
from appdeploy.engine.checks import (
    Outcome,
    ProviderResult,
    count,
    judge,
    read_result,
    verdict,
)

S, F, N, E = (  # N: no decision (Inconclusive)
    MeasurementPhase.SUCCESSFUL,
    MeasurementPhase.FAILED,
    MeasurementPhase.INCONCLUSIVE,
    MeasurementPhase.ERROR,
)


def check(**fields: Any) -> CheckSpec:
    body: dict[str, Any] = {
        "provider": {"prometheus": {"address": "http://127.0.0.1:9090", "query": "q"}},
        "successCondition": {"min": 0.995},
        "failureCondition": {"max": 0.990},
        "minSample": 1000,
        **fields,
    }
    return CheckSpec.model_validate(body)


JUDGED = [
    # (result, phase, message starts with)
    (
        ProviderResult(value="0.9973", sample="12034"),
        S,
        "0.9973 meets successCondition (min 0.995)",
    ),
    (ProviderResult(value="0.995", sample="1000"), S, "0.995 meets successCondition"),
    (ProviderResult(value="0.98", sample="5000"), F, "0.98 meets failureCondition (max 0.99)"),
    (ProviderResult(value="0.99", sample="5000"), F, "0.99 meets failureCondition"),
    (ProviderResult(value="0.992", sample="5000"), N, "0.992 meets neither successCondition"),
    (ProviderResult(sample="5000", note="no data"), N, "no value: no data"),
    (ProviderResult(value="NaN", sample="5000"), N, "no value: NaN"),
    (ProviderResult(value="0.9999", sample="999"), N, "sample 999, fewer than minSample 1000"),
    (ProviderResult(value="0.9999"), N, "no sample size reported, fewer than minSample"),
    (ProviderResult(value="0.99", error="HTTP 503"), E, "provider error: HTTP 503"),
    (ProviderResult(value="lots", sample="5000"), E, "value 'lots' is not a number"),
    (ProviderResult(value="0.9", sample="many"), E, "sample 'many' is not a number"),
    (ProviderResult(value="inf", sample="5000"), E, "value inf is infinite"),
]


@pytest.mark.parametrize(("result", "phase", "message"), JUDGED)
def test_a_measurement_is_judged_in_order_error_no_data_sample_ranges(
    result: ProviderResult, phase: MeasurementPhase, message: str
) -> None:
    judged = judge(check(), result)
    assert judged.phase is phase
    assert judged.message.startswith(message), judged.message


def test_without_min_sample_a_missing_sample_size_is_fine() -> None:
    judged = judge(check(minSample=0), ProviderResult(value="0.999"))
    assert judged.phase is S and judged.sample is None


def test_only_a_failure_condition_leaves_everything_else_successful() -> None:
    only_failure = check(successCondition=None, failureCondition={"min": 0.05}, minSample=0)
    assert judge(only_failure, ProviderResult(value="0.01")).phase is N
    assert judge(only_failure, ProviderResult(value="0.06")).phase is F


READ = [
    (False, "", "exit code 2", "exit code 2"),
    (False, '{"value": "1"}', "", "the measurement Job failed"),
    (True, "", "", "the measurement Job wrote no result"),
    (True, "Traceback ...", "", "the measurement's result is not a JSON object of strings"),
    (True, '{"value": 0.99}', "", "the measurement's result is not a JSON object of strings"),
    (True, '{"value": "1", "note": "a\\nforged log line"}', "", "result refused: note"),
]


@pytest.mark.parametrize(("succeeded", "message", "failure", "error"), READ)
def test_a_job_that_failed_or_wrote_no_clean_result_is_an_error(
    succeeded: bool, message: str, failure: str, error: str
) -> None:
    result = read_result(succeeded, message, failure)
    assert result.error.startswith(error), result.error
    assert judge(check(), result).phase is E


def test_a_clean_result_is_read_field_by_field() -> None:
    text = '{"value": "0.9973", "sample": "12034", "resolvedQuery": "q{v=\\"1\\"}", "note": ""}'
    result = read_result(True, text)
    assert result == ProviderResult(value="0.9973", sample="12034", resolved_query='q{v="1"}')


def run(spec: CheckSpec, phases: list[MeasurementPhase]) -> tuple[Outcome, int, CheckCounters]:
    """Judge ``phases`` one by one until the step's outcome is decided."""
    counters = CheckCounters()
    for made, phase in enumerate(phases, start=1):
        counters = count(counters, phase)
        decided = verdict(spec, counters)
        if decided.outcome is not Outcome.MEASURING:
            return decided.outcome, made, counters
    return Outcome.MEASURING, len(phases), counters


OUTCOMES = [
    # (fields, measurements, outcome, measurements made)
    ({"count": 3, "interval": "1s"}, [S, S, S], Outcome.SUCCEEDED, 3),
    ({"count": 3, "interval": "1s"}, [S, F, S], Outcome.FAILED, 2),
    ({"count": 3, "interval": "1s", "failureLimit": 1}, [S, F, S], Outcome.SUCCEEDED, 3),
    ({"count": 3, "interval": "1s", "failureLimit": 1}, [F, S, F], Outcome.FAILED, 3),
    ({"count": 3, "interval": "1s"}, [S, N, S], Outcome.INCONCLUSIVE, 3),
    ({"count": 2, "interval": "1s"}, [N, N], Outcome.INCONCLUSIVE, 2),
    ({"count": 3, "interval": "1s"}, [E, E, E], Outcome.INCONCLUSIVE, 3),
    ({"count": 3, "interval": "1s"}, [S, E, S], Outcome.SUCCEEDED, 3),
    ({"count": 6, "interval": "1s", "consecutiveErrorLimit": 1}, [E, E], Outcome.FAILED, 2),
    (
        {"count": 6, "interval": "1s", "consecutiveErrorLimit": 1},
        [E, S, E, S, S, S],
        Outcome.SUCCEEDED,
        6,
    ),
    ({"count": 1}, [S], Outcome.SUCCEEDED, 1),
]


@pytest.mark.parametrize(("fields", "phases", "outcome", "made"), OUTCOMES)
def test_the_step_outcome_follows_the_limits_and_the_count(
    fields: dict[str, Any], phases: list[MeasurementPhase], outcome: Outcome, made: int
) -> None:
    assert run(check(**fields), phases)[:2] == (outcome, made)


def test_the_failing_verdict_names_the_value_and_the_condition() -> None:
    spec = check()
    last = judge(spec, ProviderResult(value="0.98", sample="5000"))
    decided = verdict(spec, count(CheckCounters(), last.phase), last)
    assert decided.outcome is Outcome.FAILED
    assert "more than failureLimit 0" in decided.message
    assert "0.98 meets failureCondition (max 0.99)" in decided.message


def test_the_error_verdict_says_errors_never_pass() -> None:
    spec = check(consecutiveErrorLimit=0, count=2, interval="1s")
    decided = verdict(spec, count(CheckCounters(), E))
    assert decided.outcome is Outcome.FAILED
    assert "provider errors never count as success" in decided.message


# --- invariants ---------------------------------------------------------------

phases = st.lists(st.sampled_from([S, F, N, E]), min_size=1, max_size=12)
limits = st.fixed_dictionaries(
    {
        "count": st.integers(1, 12),
        "failureLimit": st.integers(0, 3),
        "consecutiveErrorLimit": st.integers(0, 4),
    }
)


def spec_of(fields: dict[str, Any]) -> CheckSpec:
    return check(**fields, interval="1s")


@given(limits, phases)
def test_never_succeeded_after_failures_beyond_the_limit(
    fields: dict[str, Any], sequence: list[MeasurementPhase]
) -> None:
    outcome, made, counters = run(spec_of(fields), sequence)
    if outcome is Outcome.SUCCEEDED:
        assert counters.failed <= fields["failureLimit"]
        assert sequence[:made].count(F) <= fields["failureLimit"]


@given(limits, phases)
def test_errors_never_count_as_success(
    fields: dict[str, Any], sequence: list[MeasurementPhase]
) -> None:
    spec = spec_of(fields)
    outcome, made, counters = run(spec, sequence)
    if outcome is Outcome.SUCCEEDED:
        assert counters.successful >= 1 and counters.inconclusive == 0
        assert made == spec.count
    # Turning every Successful into an Error can never produce a success.
    errors_only = [E if phase is S else phase for phase in sequence]
    assert run(spec, errors_only)[0] is not Outcome.SUCCEEDED


@given(limits, phases)
def test_the_step_is_decided_at_the_latest_after_count_measurements(
    fields: dict[str, Any], sequence: list[MeasurementPhase]
) -> None:
    spec = spec_of(fields)
    outcome, made, _ = run(spec, sequence)
    assert made <= spec.count
    if len(sequence) >= spec.count:
        assert outcome is not Outcome.MEASURING
