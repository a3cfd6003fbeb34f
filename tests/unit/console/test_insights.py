"""Insights: lead times, outcomes and the last N releases, from stored AppDeployments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from appdeploy.console.insights import NO_APP, AppInsights, insights
from appdeploy.console.step_figures import Spread, spread
from tests.unit.console.bodies import T0, minutes, release, run, step
from tests.unit.harness import Simulation

NOW = T0 + timedelta(hours=10)


def _one(*bodies: dict[str, Any], last: int = 10) -> AppInsights:
    (app,) = insights(bodies, NOW, last)
    return app


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            release("a", created=-2, start=0, end=60),
            [("1.0.0", "Succeeded", 1, minutes(62), minutes(62))],
            id="run 1 counts from metadata.creationTimestamp",
        ),
        pytest.param(
            release("a", number=3, start=40, end=100, history=[run(2, "1.0.0", "Failed", 0, 30)]),
            [("1.0.0", "Succeeded", 2, minutes(100), minutes(100))],
            id="runs of one version are one release, from its first run's startedAt",
        ),
        pytest.param(
            release(
                "a", version="1.1.0", number=2, start=70, end=100,
                history=[run(1, "1.0.0", "Succeeded", 0, 60)],
            ),
            [
                ("1.1.0", "Succeeded", 1, minutes(30), minutes(30)),
                ("1.0.0", "Succeeded", 1, minutes(60), minutes(60)),
            ],
            id="a new version is a new release",
        ),
        pytest.param(
            release(
                "a", version="1.1.0", number=2, phase="Running", start=30,
                history=[run(1, "1.0.0", "Superseded", 0, 30)],
            ),
            [
                ("1.1.0", "Running", 1, NOW - T0 - minutes(30), None),
                ("1.0.0", "Superseded", 1, minutes(30), None),
            ],
            id="a superseded version ended without a lead time; a running one counts to now",
        ),
        pytest.param(
            release("a", phase="Failed", start=0, end=45),
            [("1.0.0", "Failed", 1, minutes(45), None)],
            id="failed: no lead time",
        ),
        pytest.param(
            release("a", phase=None, start=None),
            [("1.0.0", "Pending", 1, None, None)],
            id="no status yet: not started",
        ),
        pytest.param(
            release("a", phase="Pending", start=None),
            [("1.0.0", "Pending", 1, None, None)],
            id="a status without startedAt",
        ),
    ],
)  # fmt: skip
def test_each_release_has_its_outcome_runs_and_lead_time(
    body: dict[str, Any], expected: list[tuple[Any, ...]]
) -> None:
    app = _one(body)
    found = [(r.version, r.outcome, r.runs, r.elapsed, r.lead_time) for r in app.releases]
    assert found == expected


def test_the_last_n_releases_of_each_app_newest_first() -> None:
    bodies = [
        release("shop-1", start=0, end=10),
        release("shop-3", phase="Failed", start=200, end=230),
        release("shop-2", start=100, end=160),
        release("maps-1", app="maps", start=50, end=55),
        release("shop-4", phase=None, start=None),  # not started: the newest
    ]
    shop, maps = (insights(bodies, NOW, last=3)[i] for i in (1, 0))
    assert [r.name for r in shop.releases] == ["shop-4", "shop-3", "shop-2"]
    assert shop.outcomes == {"Pending": 1, "Failed": 1, "Succeeded": 1}
    assert shop.lead_time == Spread(1, minutes(60), minutes(60), minutes(60))
    assert (maps.app, [r.name for r in maps.releases]) == ("maps", ["maps-1"])


def test_lead_time_percentiles_over_succeeded_releases() -> None:
    bodies = [release(f"r{i}", start=i * 100, end=i * 100 + i * 10) for i in range(1, 11)]
    bodies.append(release("failed", phase="Failed", start=5000, end=9000))
    app = _one(*bodies, last=20)
    assert app.lead_time == Spread(10, minutes(50), minutes(90), minutes(100))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([5], (1, 5, 5, 5)),
        ([2, 1], (2, 1, 2, 2)),
        ([3, 1, 2], (3, 2, 3, 3)),
        (list(range(1, 101)), (100, 50, 90, 100)),
    ],
)
def test_spread_is_nearest_rank(values: list[int], expected: tuple[int, ...] | None) -> None:
    found = spread(minutes(v) for v in values)
    if expected is None:
        assert found is None
    else:
        count, *durations = expected
        assert found == Spread(count, *(minutes(d) for d in durations))


def test_no_releases_no_apps_and_last_must_be_positive() -> None:
    assert insights([], NOW) == ()
    with pytest.raises(ValueError, match="last must be at least 1"):
        insights([release("a")], NOW, last=0)


def test_an_unreadable_status_or_missing_app_still_lists_the_release() -> None:
    body = release("odd")
    body["status"] = {"phase": "Running", "steps": "not a list"}
    del body["spec"]["app"]
    app = _one(body)
    assert (app.app, app.releases[0].outcome, app.releases[0].started) == (NO_APP, "Pending", None)


def test_a_status_the_operator_wrote_reads_the_same() -> None:
    sim = Simulation.of("linear")
    sim.now += timedelta(minutes=10)
    sim.complete("build", '{"buildNumber": "7"}')
    sim.now += timedelta(hours=2)
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    sim.advance(timedelta(hours=1))  # the soak ends
    sim.now += timedelta(minutes=5)
    sim.complete("ship")
    sim.complete("notify")
    metadata = {"name": "rel", "namespace": "ns", "creationTimestamp": "2026-11-27T08:59:00Z"}
    app = _one({"metadata": metadata, "spec": sim.spec, "status": sim.status})
    (shown,) = app.releases
    assert (shown.outcome, shown.lead_time) == ("Succeeded", timedelta(hours=3, minutes=16))
    assert [(g.gate, g.group, g.waits and g.waits.p50) for g in app.gates] == [
        ("qa", "qa", timedelta(hours=2))
    ]
    assert [(s.step, s.soaks.p50) for s in app.soaks] == [("soak", timedelta(hours=1))]
    assert shown.share is not None
    assert (shown.share.people, shown.share.soaking) == (timedelta(hours=2), timedelta(hours=1))
    assert shown.share.total == shown.lead_time


def test_history_runs_have_no_steps_to_break_down() -> None:
    body = release(
        "a",
        version="2.0.0",
        number=2,
        start=100,
        end=130,
        steps=[step("build", "run", "Succeeded", 100, 130, attempts=1)],
        history=[run(1, "1.0.0", "Succeeded", 0, 60)],
    )
    new, old = _one(body).releases
    assert new.share is not None and new.share.running == minutes(30)
    assert old.share is None
