"""Durations, substitutions and the status wire format (Job names: test_job_names.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from appdeploy.api.durations import format_duration, parse_duration
from appdeploy.api.status import AppDeploymentStatus
from appdeploy.api.substitutions import UnresolvedReference, Values, parse_reference, substitute


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("72h", timedelta(hours=72)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("0s", timedelta(0)),
        (
            "999999d999999h999999m999999s",
            timedelta(days=999999, hours=999999, minutes=999999, seconds=999999),
        ),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *("", "5", "5 minutes", "1.5h", "-1h", "30m1h", "1w", "h"),
        # Python's `$` matches before a final newline; the API server's (Go) does not.
        "30m\n",
        # More than 6 digits: 99999999999999999999999d overflowed timedelta inside
        # validation, and 9999999d overflowed the planner's `now + timeout`.
        *("9999999d", "1000000s", "99999999999999999999999d"),
        # Unicode digits: int() reads them, the pattern does not.
        "\uff11h",
    ],
)
def test_bad_durations_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match=r'invalid duration .*e.g. "90s", "30m", "1h30m", "7d"'):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (90, "1m30s"), (5400, "1h30m"), (86400 * 3, "3d"), (3661, "1h1m1s")],
)
def test_durations_format_canonically(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)


VALUES = Values(
    app="shop",
    version="4.12.0",
    params={"rev": "9f3c2e1"},
    run_id="shop-r3",
    run_phase=None,
    outputs={"build": {"buildNumber": "412"}},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(app)@$(version)", "shop@4.12.0"),
        ("rev=$(params.rev)", "rev=9f3c2e1"),
        ("$(run.id)", "shop-r3"),
        ("build $(steps.build.outputs.buildNumber)", "build 412"),
        ("echo $$(date) $(app)", "echo $(date) shop"),
        ("no references", "no references"),
    ],
)
def test_substitution(text: str, expected: str) -> None:
    assert substitute(text, VALUES) == expected


def test_substitution_of_a_missing_output_or_run_phase_fails_clearly() -> None:
    with pytest.raises(UnresolvedReference, match='step build produced no output "x"'):
        substitute("$(steps.build.outputs.x)", VALUES)
    with pytest.raises(UnresolvedReference, match="only known in finally steps"):
        substitute("$(run.phase)", VALUES)


def test_status_wire_format_is_short_and_round_trips() -> None:
    wire = {
        "phase": "AwaitingApproval",
        "run": 3,
        "observedGeneration": 3,
        "steps": [
            {
                "name": "qa",
                "type": "gate",
                "phase": "Waiting",
                "deadline": "2026-11-30T09:41:11Z",
                "approvals": [
                    {
                        "user": "alice",
                        "groups": ["qa"],
                        "comment": "ok",
                        "at": "2026-11-27T10:02:00Z",
                        "verified": True,
                    }
                ],
            }
        ],
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "reason": "AwaitingApproval",
                "message": "",
                "lastTransitionTime": "2026-11-27T09:41:11Z",
            }
        ],
    }
    assert AppDeploymentStatus.model_validate(wire).to_wire() == wire
    assert AppDeploymentStatus().to_wire() == {"phase": "Pending"}


@pytest.mark.parametrize("expression", ["params.rev\n", "steps.build.outputs.n\n"])
def test_a_reference_with_a_final_newline_is_unknown(expression: str) -> None:
    # `re.match(...$)` took "params.rev\n" for params.rev: the newline vanished silently.
    with pytest.raises(ValueError, match="unknown substitution"):
        parse_reference(expression)
