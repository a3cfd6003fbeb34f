"""appdeploy_gate_wait_seconds{app,group,outcome} and appdeploy_gate_first_decision_seconds,
from status writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from appdeploy.controller import gate_metrics
from appdeploy.controller.gate_metrics import observe_gates
from appdeploy.controller.label_budget import OTHER, LabelBudget
from tests.unit.harness import Simulation

WAIT = "appdeploy_gate_wait_seconds"


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_count", labels) or 0.0


def _sum(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_sum", labels) or 0.0


def test_a_gate_is_counted_once_when_it_ends_and_once_at_its_first_decision() -> None:
    sim = Simulation.of("notify")
    sim.complete("build")
    approved = {"app": "shop", "group": "qa", "outcome": "Approved"}
    waits, firsts = _count(WAIT, **approved), _count("appdeploy_gate_first_decision_seconds")
    wait_sum = _sum(WAIT, **approved)
    first_sum = _sum("appdeploy_gate_first_decision_seconds")
    before = sim.status
    sim.now += timedelta(minutes=30)
    sim.approve("qa-signoff", "alice")
    observe_gates(before, sim.model, sim.spec)
    assert _count("appdeploy_gate_first_decision_seconds") == firsts + 1
    assert _sum("appdeploy_gate_first_decision_seconds") - first_sum == 1800
    before = sim.status
    sim.now += timedelta(minutes=30)
    sim.approve("qa-signoff", "carol", ())
    observe_gates(before, sim.model, sim.spec)
    observe_gates(sim.status, sim.model, sim.spec)  # the next write: nothing new
    assert _count("appdeploy_gate_first_decision_seconds") == firsts + 1
    assert _count(WAIT, **approved) == waits + 1
    assert _sum(WAIT, **approved) - wait_sum == 3600


def test_a_rejected_gate_is_counted_as_rejected() -> None:
    sim = Simulation.of("notify")
    sim.complete("build")
    rejected = {"app": "shop", "group": "qa", "outcome": "Rejected"}
    before_count = _count(WAIT, **rejected)
    before = sim.status
    sim.reject("qa-signoff", "alice", comment="crashes")
    observe_gates(before, sim.model, sim.spec)
    assert _count(WAIT, **rejected) == before_count + 1


def test_the_wait_is_credited_to_the_group_of_whoever_decided() -> None:
    # compliance lists [compliance, qa]: approved by someone in qa only, the wait is qa's.
    sim = Simulation.of("gates", name="credit")
    sim.approve("qa", "alice")
    sim.approve("qa", "bob")
    labels = {"app": "shop", "outcome": "Approved"}
    qa, compliance = _count(WAIT, group="qa", **labels), _count(WAIT, group="compliance", **labels)
    before = sim.status
    sim.approve("compliance", "dana", ("qa", "sre"))
    observe_gates(before, sim.model, sim.spec)
    assert _count(WAIT, group="qa", **labels) == qa + 1
    assert _count(WAIT, group="compliance", **labels) == compliance


def test_an_app_and_group_past_the_budget_is_reported_as_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gate_metrics, "GATE_GROUPS", LabelBudget(0))  # the budget is spent
    sim = Simulation.of("notify", name="late")
    sim.complete("build")
    other = {"app": "shop", "group": OTHER, "outcome": "Rejected"}
    before_count = _count(WAIT, **other)
    before = sim.status
    sim.reject("qa-signoff", "alice", comment="crashes")
    gate_metrics.observe_gates(before, sim.model, sim.spec)
    assert _count(WAIT, **other) == before_count + 1


def test_a_label_budget_reports_values_past_it_as_other() -> None:
    budget = LabelBudget(2)
    values = [budget.value(v) for v in ("shop", "maps", "shop", "chat", "maps")]
    assert values == ["shop", "maps", "shop", OTHER, "maps"]
