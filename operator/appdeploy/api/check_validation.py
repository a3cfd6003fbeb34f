"""The rules of a ``check`` step that its models cannot say field by field.

Each problem names its field, so ``appdeploy validate``, the admission webhook
and the operator (phase Invalid) all point at the same line of the release.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from appdeploy.api.approvers import SOME_APPROVER
from appdeploy.api.checks import HEADER_VALUE, ONE_PROVIDER, SOME_BOUND, CheckSpec, Range
from appdeploy.api.problems import Problem

NO_CONDITION = "set successCondition, failureCondition or both"
NEEDS_INTERVAL = "interval is required when count is more than 1"


def check_problems(path: str, check: CheckSpec) -> Iterator[Problem]:
    """Every problem of ``check`` (at ``path``, e.g. ``spec.steps[3].check``)."""
    kinds = check.provider.kinds()
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        yield Problem(f"{path}.provider", f"{ONE_PROVIDER} (found {found})")
    if check.provider.http is not None:
        for index, header in enumerate(check.provider.http.headers):
            if (header.value is None) == (header.value_from is None):
                yield Problem(f"{path}.provider.http.headers[{index}]", HEADER_VALUE)
    conditions = (
        ("successCondition", check.success_condition),
        ("failureCondition", check.failure_condition),
    )
    if all(condition is None for _, condition in conditions):
        yield Problem(path, NO_CONDITION)
    for name, condition in conditions:
        if condition is None:
            continue
        if condition.min is None and condition.max is None:
            yield Problem(f"{path}.{name}", SOME_BOUND)
        elif (
            condition.min is not None
            and condition.max is not None
            and condition.min > condition.max
        ):
            yield Problem(
                f"{path}.{name}",
                f"min {condition.min:g} is above max {condition.max:g}; no value meets it",
            )
    success, failure = check.success_condition, check.failure_condition
    if success is not None and failure is not None and _overlap(success, failure):
        yield Problem(
            f"{path}.failureCondition",
            f"{failure.describe() or 'it'} overlaps successCondition "
            f"({success.describe() or 'empty'}): a value cannot both pass and fail; "
            "leave a gap between them (values in it are Inconclusive)",
        )
    if check.count > 1 and check.interval is None:
        yield Problem(f"{path}.interval", f"{NEEDS_INTERVAL} (count is {check.count})")
    if check.interval is not None and check.interval.total_seconds() <= 0:
        yield Problem(f"{path}.interval", "interval must be longer than 0s")
    if check.on_inconclusive is not None:
        approvers = check.on_inconclusive.gate.approvers
        if not approvers.users and not approvers.groups:
            yield Problem(f"{path}.onInconclusive.gate.approvers", SOME_APPROVER)


def _overlap(first: Range, second: Range) -> bool:
    if not (first.min is not None or first.max is not None):
        return False
    if not (second.min is not None or second.max is not None):
        return False
    low = max(_low(first), _low(second))
    high = min(_high(first), _high(second))
    return low <= high


def _low(bounds: Range) -> float:
    return -math.inf if bounds.min is None else bounds.min


def _high(bounds: Range) -> float:
    return math.inf if bounds.max is None else bounds.max
