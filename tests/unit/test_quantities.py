"""Resource quantities are checked as the API server checks them, with the field named."""

from __future__ import annotations

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
        (0.5, "0.5"),
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


def test_a_boolean_is_not_a_quantity() -> None:
    assert _problems({"cpu": True}) == [
        "spec.steps[2].run.resources.requests.cpu: a quantity must be a number or a string such "
        'as "500m"'
    ]
