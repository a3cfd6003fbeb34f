"""appdeploy_release_duration_seconds{app,outcome}: each end of a run is observed once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY

from appdeploy.controller.release_metrics import observe_release
from tests.unit.harness import Simulation

DURATION = "appdeploy_release_duration_seconds"


def _count(**labels: str) -> float:
    return REGISTRY.get_sample_value(f"{DURATION}_count", labels) or 0.0


def _sum(**labels: str) -> float:
    return REGISTRY.get_sample_value(f"{DURATION}_sum", labels) or 0.0


def _release(app: str) -> Simulation:
    spec = {"app": app, "version": "1.0.0", "steps": [{"name": "build", "run": {"image": "b"}}]}
    sim = Simulation(spec)
    _written(sim, sim.reconcile)
    return sim


def _written(sim: Simulation, change: Callable[[], Any]) -> None:
    """One reconcile's write, observed as the reconciler does (status read vs written)."""
    before = sim.status
    change()
    observe_release(before, sim.model, sim.spec)


def test_a_succeeded_run_is_observed_once_with_its_duration() -> None:
    sim = _release("maps")
    sim.now += timedelta(minutes=10)
    _written(sim, lambda: sim.complete("build"))
    assert sim.phase == "Succeeded"
    _written(sim, sim.reconcile)  # later passes of the ended run add nothing
    assert (_count(app="maps", outcome="Succeeded"), _sum(app="maps", outcome="Succeeded")) == (
        1,
        600,
    )


def test_a_failed_run_retried_to_success_is_observed_at_each_end() -> None:
    sim = _release("chat")
    sim.now += timedelta(minutes=5)
    _written(sim, lambda: sim.fail("build"))
    assert sim.phase == "Failed"
    _written(sim, lambda: sim.request("retry", "build"))
    sim.now += timedelta(minutes=5)
    _written(sim, lambda: sim.complete("build"))
    assert sim.phase == "Succeeded"
    assert _count(app="chat", outcome="Failed") == 1
    assert _sum(app="chat", outcome="Failed") == 300
    assert _count(app="chat", outcome="Succeeded") == 1
    assert _sum(app="chat", outcome="Succeeded") == 600  # the whole run, retry included


def test_a_superseded_run_is_observed_when_the_new_spec_starts_a_run() -> None:
    sim = _release("news")
    sim.now += timedelta(minutes=3)
    _written(sim, lambda: sim.change_spec(version="1.0.1"))
    assert sim.model.run == 2
    assert (_count(app="news", outcome="Superseded"), _sum(app="news", outcome="Superseded")) == (
        1,
        180,
    )
    sim.now += timedelta(minutes=1)
    _written(sim, lambda: sim.complete("build"))
    assert _count(app="news", outcome="Succeeded") == 1
    assert _sum(app="news", outcome="Succeeded") == 60  # run 2 only
