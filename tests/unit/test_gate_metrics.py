"""appdeploy_gate_wait_seconds and appdeploy_gate_first_decision_seconds, from status writes."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from appdeploy.controller.gate_metrics import observe_gates
from tests.unit.harness import Simulation


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_count", labels) or 0.0


def _sum(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_sum", labels) or 0.0


def test_a_gate_is_counted_once_when_it_ends_and_once_at_its_first_decision() -> None:
    sim = Simulation.of("notify")
    sim.complete("build")
    waits, firsts = (
        _count("appdeploy_gate_wait_seconds", outcome="Approved"),
        _count("appdeploy_gate_first_decision_seconds"),
    )
    first_sum = _sum("appdeploy_gate_first_decision_seconds")
    before = sim.status
    sim.now += timedelta(minutes=30)
    sim.approve("qa-signoff", "alice")
    observe_gates(before, sim.model)
    assert _count("appdeploy_gate_first_decision_seconds") == firsts + 1
    assert _sum("appdeploy_gate_first_decision_seconds") - first_sum == 1800
    before = sim.status
    sim.now += timedelta(minutes=30)
    sim.approve("qa-signoff", "carol", ())
    observe_gates(before, sim.model)
    observe_gates(sim.status, sim.model)  # the next write: nothing new
    assert _count("appdeploy_gate_first_decision_seconds") == firsts + 1
    assert _count("appdeploy_gate_wait_seconds", outcome="Approved") == waits + 1


def test_a_rejected_gate_is_counted_as_rejected() -> None:
    sim = Simulation.of("notify")
    sim.complete("build")
    rejected = _count("appdeploy_gate_wait_seconds", outcome="Rejected")
    before = sim.status
    sim.reject("qa-signoff", "alice", comment="crashes")
    observe_gates(before, sim.model)
    assert _count("appdeploy_gate_wait_seconds", outcome="Rejected") == rejected + 1
