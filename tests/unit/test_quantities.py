"""Resource quantities are checked as the API server checks them, with the field named."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from appdeploy.api.pod import quantity_value
from appdeploy.api.problems import InvalidSpec
from appdeploy.api.validation import parse_spec


def _spec(requests: dict[str, Any], limits: dict[str, Any] | None = None) -> dict[str, Any]:
    run = {"image": "b", "resources": {"requests": requests, "limits": limits or {}}}
    steps = [{"name": f"s{i}", "wait": {"duration": "1s"}} for i in range(2)]
    return {"app": "shop", "version": "1", "steps": [*steps, {"name": "build", "run": run}]}


def _problems(requests: dict[str, Any], limits: dict[str, Any] | None = None) -> list[str]:
    try:
        parse_spec(_spec(requests, limits))
    except InvalidSpec as invalid:
        return [str(problem) for problem in invalid.problems]
    return []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", "2"),
        (2, "2"),
        ("0.5", "0.5"),
        ("500m", "0.5"),
        ("4Gi", "4294967296"),
        ("1Ki", "1024"),
        ("1Ei", str(1024**6)),
        ("1k", "1000"),
        ("1M", "1e6"),
        ("1E", "1e18"),
        ("100n", "1e-7"),
        ("250u", "2.5e-4"),
        ("1e3", "1000"),
        ("1E-3", "0.001"),
        ("1e+2", "100"),
        ("1.5Gi", str(1024**3 * 3 // 2)),
        (".5", "0.5"),
        ("1.", "1"),
        ("+1", "1"),
        ("0", "0"),
    ],
)
def test_the_api_servers_quantities_are_accepted(text: Any, value: str) -> None:
    assert _problems({"cpu": text}) == []
    assert quantity_value(str(text)) == Decimal(value)


@pytest.mark.parametrize(
    "text",
    ["two cores", "", "Gi", "1KiB", "1 Gi", "1e1.5", "e3", "1.2.3", "1k8", "0x10", "1ki", "1K"],
)
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    assert _problems({"cpu": text}) == [
        f'spec.steps[2].run.resources.requests.cpu: "{text}" is not a Kubernetes quantity '
        "(e.g. 500m, 2, 4Gi)"
    ]


def test_negative_amounts_and_requests_above_limits_are_refused() -> None:
    assert _problems({"cpu": -1}) == [
        'spec.steps[2].run.resources.requests.cpu: "-1" is negative; a resource quantity is at '
        "least 0"
    ]
    assert _problems({"cpu": "1500m", "memory": "4Gi"}, {"cpu": 1, "memory": "4096Mi"}) == [
        "spec.steps[2].run.resources.requests.cpu: 1500m is more than the limit 1; "
        "a request is at most its limit"
    ]


def test_a_fraction_written_as_a_number_is_refused_as_the_crd_refuses_it() -> None:
    # `cpu: 0.5` is a float; the CRD's int-or-string schema refuses it at the API server
    # (tests/fixtures/invalid-schema/quantity-fraction-number.yaml), so the models do too.
    assert _problems({"cpu": 0.5}) == [
        'spec.steps[2].run.resources.requests.cpu: write 0.5 as a string, "0.5": the CRD takes '
        "integers and strings"
    ]


@pytest.mark.parametrize("text", ["1\n", "500m\n", "4Gi\n"])
def test_a_final_newline_is_refused_as_the_api_server_refuses_it(text: str) -> None:
    # Python's `$` matched before the newline, and quantity_value then raised on "k\n".
    assert _problems({"cpu": text}, {"cpu": "1k\n"}) == [
        f"spec.steps[2].run.resources.requests.cpu: {json.dumps(text)} is not a Kubernetes "
        "quantity (e.g. 500m, 2, 4Gi)",
        'spec.steps[2].run.resources.limits.cpu: "1k\\n" is not a Kubernetes quantity '
        "(e.g. 500m, 2, 4Gi)",
    ]


@pytest.mark.parametrize(
    ("asked", "limit", "above"),
    [
        ("1e99999999999", "1", True),
        ("9" * 5000, "1", True),
        ("1e-99999999999", "1", False),
        ("1e" + "9" * 30, "1e" + "9" * 30, False),
        ("1" + "0" * 4999, "9" * 4998 + "8", True),
    ],
)
def test_quantities_no_machine_has_are_compared_without_overflow(
    asked: str, limit: str, above: bool
) -> None:
    # These raised decimal.Overflow out of parse_spec (the webhook answered 500).
    problems = _problems({"cpu": asked}, {"cpu": limit})
    assert bool(problems) is above, problems
    assert all("is more than the limit" in problem for problem in problems)


def test_a_boolean_is_not_a_quantity() -> None:
    assert _problems({"cpu": True}) == [
        "spec.steps[2].run.resources.requests.cpu: a quantity must be a number or a string such "
        'as "500m"'
    ]
