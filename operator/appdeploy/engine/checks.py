"""Judging a check: one measurement at a time, then the step from its counters.

Pure and small on purpose: the tables and hypothesis invariants in
tests/unit/test_check_judging.py pin down every rule here. Two rules matter
most (docs/rollouts.md, "The check step"): a provider error is never a
success, and no data is Inconclusive, never a pass or a fail.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum

from appdeploy.api.checks import CheckSpec
from appdeploy.api.outputs import output_problems
from appdeploy.api.status import CheckCounters, MeasurementPhase


@dataclass(frozen=True)
class ProviderResult:
    """What one measurement Job reported (its termination message, read)."""

    value: str | None = None
    sample: str | None = None
    resolved_query: str = ""
    note: str = ""
    error: str = ""
    """Set when the provider failed, or the Job failed or wrote no readable result."""


@dataclass(frozen=True)
class Judgement:
    """One measurement, judged."""

    phase: MeasurementPhase
    value: float | None
    sample: int | None
    message: str


def read_result(succeeded: bool, termination_message: str, failure: str = "") -> ProviderResult:
    """The Job's result: an error unless it succeeded and wrote a clean JSON object of strings.

    ``failure`` says why a failed Job failed (exit code, deadline). What the
    program wrote is checked like step outputs: it reaches status and Events.
    """
    if not succeeded:
        return ProviderResult(error=failure or "the measurement Job failed")
    text = termination_message.strip()
    if not text:
        return ProviderResult(error="the measurement Job wrote no result")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        return ProviderResult(error="the measurement's result is not a JSON object of strings")
    if problems := output_problems(parsed):
        return ProviderResult(error="result refused: " + "; ".join(problems))
    return ProviderResult(
        value=parsed.get("value"),
        sample=parsed.get("sample"),
        resolved_query=parsed.get("resolvedQuery", ""),
        note=parsed.get("note", ""),
        error=parsed.get("error", ""),
    )


def judge(check: CheckSpec, result: ProviderResult) -> Judgement:
    """Error, then no value / too small a sample (Inconclusive), then the two ranges."""
    if result.error:
        return Judgement(MeasurementPhase.ERROR, None, None, f"provider error: {result.error}")
    sample: int | None = None
    if result.sample is not None:
        try:
            sample = int(float(result.sample))
        except (ValueError, OverflowError):
            return Judgement(
                MeasurementPhase.ERROR, None, None, f"sample {result.sample!r} is not a number"
            )
    if result.value is None or result.value.strip() == "":
        why = result.note or "the provider reported no value"
        return Judgement(MeasurementPhase.INCONCLUSIVE, None, sample, f"no value: {why}")
    try:
        value = float(result.value)
    except ValueError:
        return Judgement(
            MeasurementPhase.ERROR, None, sample, f"value {result.value!r} is not a number"
        )
    if math.isnan(value):
        return Judgement(MeasurementPhase.INCONCLUSIVE, None, sample, "no value: NaN")
    if math.isinf(value):
        return Judgement(MeasurementPhase.ERROR, None, sample, f"value {result.value} is infinite")
    if check.min_sample > 0 and (sample is None or sample < check.min_sample):
        seen = "no sample size reported" if sample is None else f"sample {sample}"
        return Judgement(
            MeasurementPhase.INCONCLUSIVE,
            value,
            sample,
            f"{seen}, fewer than minSample {check.min_sample}",
        )
    success, failure = check.success_condition, check.failure_condition
    if success is not None and success.holds(value):
        return Judgement(
            MeasurementPhase.SUCCESSFUL,
            value,
            sample,
            f"{value:g} meets successCondition ({success.describe()})",
        )
    if failure is not None and failure.holds(value):
        return Judgement(
            MeasurementPhase.FAILED,
            value,
            sample,
            f"{value:g} meets failureCondition ({failure.describe()})",
        )
    return Judgement(MeasurementPhase.INCONCLUSIVE, value, sample, _between(check, value))


def _between(check: CheckSpec, value: float) -> str:
    parts = [
        f"{name} ({condition.describe()})"
        for name, condition in (
            ("successCondition", check.success_condition),
            ("failureCondition", check.failure_condition),
        )
        if condition is not None
    ]
    return f"{value:g} meets neither " + " nor ".join(parts)


def count(counters: CheckCounters, phase: MeasurementPhase) -> CheckCounters:
    """The counters after one more measurement judged ``phase``."""
    changed = counters.model_copy()
    match phase:
        case MeasurementPhase.SUCCESSFUL:
            changed.successful += 1
        case MeasurementPhase.FAILED:
            changed.failed += 1
        case MeasurementPhase.INCONCLUSIVE:
            changed.inconclusive += 1
        case MeasurementPhase.ERROR:
            changed.error += 1
    changed.consecutive_error = (
        counters.consecutive_error + 1 if phase is MeasurementPhase.ERROR else 0
    )
    return changed


class Outcome(StrEnum):
    """Where a check stands after its latest measurement."""

    MEASURING = "Measuring"
    """More measurements to make."""
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    INCONCLUSIVE = "Inconclusive"
    """All measurements made, and they could not decide: a person does, or the step fails."""


@dataclass(frozen=True)
class Verdict:
    """The step's outcome and the sentence that explains it."""

    outcome: Outcome
    message: str


def verdict(check: CheckSpec, counters: CheckCounters, last: Judgement | None = None) -> Verdict:
    """The step's outcome from its counters; ``last`` names the measurement that decided.

    The limits are checked after every measurement, so the step fails at the
    first measurement that breaks one. Succeeded needs every measurement made,
    none inconclusive, and at least one Successful: errors never add up to a pass.
    """
    detail = f" (last: {last.message})" if last is not None else ""
    if counters.failed > check.failure_limit:
        return Verdict(
            Outcome.FAILED,
            f"{counters.failed} failed measurement(s), more than failureLimit "
            f"{check.failure_limit}{detail}",
        )
    if counters.consecutive_error > check.consecutive_error_limit:
        return Verdict(
            Outcome.FAILED,
            f"{counters.consecutive_error} provider errors in a row, more than "
            f"consecutiveErrorLimit {check.consecutive_error_limit}{detail}; "
            "provider errors never count as success",
        )
    if counters.judged < check.count:
        return Verdict(Outcome.MEASURING, f"{counters.judged} of {check.count} measurements")
    tally = _tally(counters)
    if counters.inconclusive > 0:
        return Verdict(Outcome.INCONCLUSIVE, f"inconclusive: {tally}")
    if counters.successful == 0:
        return Verdict(Outcome.INCONCLUSIVE, f"inconclusive: no measurement succeeded ({tally})")
    return Verdict(Outcome.SUCCEEDED, f"passed: {tally}")


def _tally(counters: CheckCounters) -> str:
    parts = [
        (counters.successful, "successful"),
        (counters.failed, "failed"),
        (counters.inconclusive, "inconclusive"),
        (counters.error, "error"),
    ]
    shown = ", ".join(f"{number} {label}" for number, label in parts if number)
    return f"{counters.judged} measurement(s): {shown}"
