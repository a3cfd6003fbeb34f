"""Where the time went: each moment credited once, machines first, adding up to the elapsed time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appdeploy.api.status import StepStatus
from appdeploy.console.time_share import TimeShare, time_share
from tests.unit.console.bodies import T0, minutes, step


def _steps(*entries: dict[str, object]) -> list[StepStatus]:
    return [StepStatus.model_validate(entry) for entry in entries]


def _share(
    running: float = 0, people: float = 0, soaking: float = 0, other: float = 0
) -> TimeShare:
    return TimeShare(minutes(running), minutes(people), minutes(soaking), minutes(other))


@pytest.mark.parametrize(
    ("bounds", "steps", "expected"),
    [
        pytest.param(
            (0, 0, 100),
            [step("build", "run", "Succeeded", 0, 10), step("qa", "gate", "Succeeded", 10, 70),
             step("soak", "wait", "Succeeded", 70, 95), step("ship", "run", "Succeeded", 95, 100)],
            _share(running=15, people=60, soaking=25),
            id="one after another",
        ),
        pytest.param(
            (0, 0, 60),
            [step("qa", "gate", "Succeeded", 0, 60), step("build", "run", "Succeeded", 0, 20),
             step("soak", "wait", "Succeeded", 10, 40)],
            _share(running=20, soaking=20, people=20),
            id="running beats soaking beats waiting on people",
        ),
        pytest.param(
            (-30, 0, 50),
            [step("build", "run", "Succeeded", 5, 10), step("qa", "gate", "Waiting", 20)],
            _share(running=5, people=30, other=45),
            id="earlier runs, pickup and gaps are other; an open gate waits until the end",
        ),
        pytest.param(
            (0, 0, 30),
            [step("old", "run", "Succeeded", -50, 10), step("later", "run", "Running", 20, 90),
             step("never", "run", "Pending")],
            _share(running=20, other=10),
            id="steps are clipped to the run and the end",
        ),
        pytest.param((0, 0, 0), [step("build", "run", "Running", 0)], _share(), id="not begun"),
        pytest.param((10, 10, 0), [], _share(), id="a clock that went backwards"),
    ],
)  # fmt: skip
def test_time_is_credited_once(
    bounds: tuple[float, float, float], steps: list[dict[str, object]], expected: TimeShare
) -> None:
    started, run_started, end = (T0 + minutes(value) for value in bounds)
    assert time_share(started, run_started, end, _steps(*steps)) == expected


_span = st.tuples(
    st.sampled_from(["run", "gate", "wait"]),
    st.integers(-100, 300),
    st.one_of(st.none(), st.integers(0, 400)),
)


@given(st.integers(0, 100), st.integers(1, 300), st.lists(_span, max_size=8))
def test_the_parts_add_up_to_the_elapsed_time(
    before_run: int, length: int, spans: list[tuple[str, int, int | None]]
) -> None:
    started = T0 - timedelta(minutes=before_run)
    end = T0 + timedelta(minutes=length)
    steps = [
        step(f"s{i}", kind, "Running", start, None if finish is None else max(start, finish))
        for i, (kind, start, finish) in enumerate(spans)
    ]
    share = time_share(started, T0, end, _steps(*steps))
    assert share.total == end - started
    assert share.other >= timedelta(minutes=before_run)
