"""The releases list: newest first, what each waits on, filters."""

from __future__ import annotations

from datetime import timedelta

from appdeploy.console.releases_view import filtered, release_rows
from tests.unit.console.stories import body_of, gates_waiting
from tests.unit.harness import Simulation


def test_rows_say_phase_and_what_each_waits_on_newest_first() -> None:
    waiting = body_of(gates_waiting())
    fresh = Simulation.of("linear")
    fresh.name = "fresh"
    fresh.reconcile()
    newer = body_of(fresh)
    newer["metadata"]["creationTimestamp"] = "2026-11-27T09:30:00Z"
    rows = release_rows([waiting, newer], gates_waiting().now + timedelta(hours=2))
    assert [(r.name, r.phase, r.age) for r in rows] == [
        ("fresh", "Running", "1h30m"),
        ("rel", "AwaitingApproval", "2h"),
    ]
    assert rows[1].waiting_on.startswith("qa: 0 of 2 approvals")


def test_filters_by_app_and_phase() -> None:
    rows = release_rows([body_of(gates_waiting())], gates_waiting().now)
    assert filtered(rows, "", "") == rows
    assert filtered(rows, "shop", "AwaitingApproval") == rows
    assert filtered(rows, "other", "") == [] and filtered(rows, "", "Failed") == []
