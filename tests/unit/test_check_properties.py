"""Invariants of check steps in the planner, over random measurements, crashes and decisions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from appdeploy.api.status import StepPhase
from appdeploy.engine import CreateJob, JobState, Settings
from tests.unit.harness import Simulation

RESULTS = {
    "pass": {"value": "0.999", "sample": "5000"},
    "fail": {"value": "0.95", "sample": "5000"},
    "between": {"value": "0.992", "sample": "5000"},
    "no-data": {"sample": "0", "note": "no data"},
    "error": {"error": "HTTP 503"},
}

events = st.lists(
    st.one_of(
        st.tuples(st.just("result"), st.sampled_from(sorted(RESULTS))),
        st.tuples(st.just("job-fails"), st.just("")),
        st.tuples(st.just("crash"), st.just("")),
        st.tuples(st.just("time"), st.sampled_from(["1s", "30m", "1h", "3h"])),
        st.tuples(st.just("approve"), st.just("")),
        st.tuples(st.just("reject"), st.just("")),
    ),
    max_size=30,
)
limits = st.fixed_dictionaries(
    {
        "count": st.integers(1, 5),
        "failureLimit": st.integers(0, 2),
        "consecutiveErrorLimit": st.integers(0, 3),
        "ask": st.booleans(),
    }
)


def simulation(fields: dict[str, Any]) -> Simulation:
    check: dict[str, Any] = {
        "provider": {"prometheus": {"address": "http://127.0.0.1:9090", "query": "q"}},
        "successCondition": {"min": 0.995},
        "failureCondition": {"max": 0.99},
        "initialDelay": "5m",
        "interval": "1h",
        "count": fields["count"],
        "failureLimit": fields["failureLimit"],
        "consecutiveErrorLimit": fields["consecutiveErrorLimit"],
    }
    if fields["ask"]:
        check["onInconclusive"] = {"gate": {"approvers": {"groups": ["rm"]}, "timeout": "2h"}}
    spec = {"app": "shop", "version": "1", "steps": [{"name": "health", "check": check}]}
    sim = Simulation(spec, settings=Settings(provider_image="img"))
    sim.reconcile()
    return sim


@settings(max_examples=150, deadline=None)
@given(limits, events)
def test_check_invariants_hold_whatever_happens(
    fields: dict[str, Any], happenings: list[tuple[str, str]]
) -> None:
    sim = simulation(fields)
    for kind, detail in happenings:
        before = sim.step("health")
        active = [j for j in sim.jobs.values() if j.state is JobState.ACTIVE]
        if kind == "result" and active:
            sim.complete("health", json.dumps(RESULTS[detail]))
        elif kind == "job-fails" and active:
            sim.fail("health", exit_code=1, message="crashed")
        elif kind == "crash":
            # The operator planned and created Jobs, then lost its status write.
            saved = sim.status
            sim.reconcile()
            sim.status = saved
            sim.reconcile()
        elif kind == "time":
            sim.advance(timedelta(seconds={"1s": 1, "30m": 1800, "1h": 3600, "3h": 10800}[detail]))
        elif kind in ("approve", "reject"):
            decide = sim.approve if kind == "approve" else sim.reject
            decide("health", "rm@example.com", ("rm",))
            after = sim.step("health")
            if before.phase is not StepPhase.WAITING:
                # Decisions count only while the check waits for a person.
                assert after.approvals == before.approvals
                assert after.rejection == before.rejection
        health = sim.step("health")
        counters = health.counters
        if health.phase is StepPhase.SUCCEEDED:
            assert counters is not None
            assert counters.failed <= fields["failureLimit"]
            approved = bool(health.approvals)
            if not approved:
                # Without a person's decision, a pass needs a Successful measurement,
                # and errors never make one.
                assert counters.successful >= 1 and counters.inconclusive == 0
    created = [c.attempt for c in sim.created if isinstance(c, CreateJob)]
    assert len(created) == len(set(created)), "two Jobs for one measurement"
    assert all(1 <= n <= fields["count"] for n in created)
