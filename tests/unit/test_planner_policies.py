"""The planner at the start of a run: ReleasePolicies refuse, record, warn, or wait.

A new run a Deny policy refuses is Invalid (reason PolicyViolation), with no
Job; Warn and Audit runs go on with their verdict in ``status.policies``; a
verified break-glass lets a refused run start, once announced; and while the
policies cannot be known, no new run starts at all.
"""

from __future__ import annotations

from datetime import timedelta

from appdeploy.api.spec_hash import spec_hash
from appdeploy.engine.inputs import ObservedBreakGlass
from tests.unit.harness import T0, Simulation
from tests.unit.policy_sim import POLICY, condition, created, events, facts, gated, policy, ungated

VIOLATION = (
    "spec.steps[1]: upload uses Secret asc-api-key, protected by ReleasePolicy "
    "production-store, and needs gate compliance upstream"
)


def test_a_run_a_deny_policy_refuses_is_invalid_and_creates_nothing() -> None:
    sim = Simulation(ungated(), policies=facts(policy()))
    sim.reconcile()
    sim.reconcile()
    status = sim.model
    assert sim.phase == "Invalid"
    assert status.message == VIOLATION
    stalled = condition(sim, "Stalled")
    assert (stalled.status, stalled.reason, stalled.message) == (
        "True",
        "PolicyViolation",
        VIOLATION,
    )
    assert events(sim, "PolicyViolation") == [VIOLATION]  # once, not at every pass
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason) == ("True", "PolicyViolation")
    assert blocked.message == f"run 1 does not start: {VIOLATION}"
    assert created(sim) == []
    assert [(r.policy, r.outcome, r.enforcement) for r in status.policies] == [
        (POLICY, "Violated", "Deny")
    ]
    assert status.policies[0].violations == [VIOLATION]


def test_without_enforcement_the_same_release_runs() -> None:
    sim = Simulation(ungated())
    sim.reconcile()
    assert created(sim) == ["build"]
    assert sim.model.policies == []
    assert all(c.type != "PolicyBlocked" for c in sim.model.conditions)


def test_a_relaxed_policy_lets_the_refused_release_start() -> None:
    sim = Simulation(ungated(), policies=facts(policy()))
    sim.reconcile()
    sim.policies = facts()
    sim.reconcile()
    assert sim.phase == "Running"
    assert created(sim) == ["build"]
    assert sim.model.policies == []
    assert condition(sim, "PolicyBlocked").status == "False"  # kept, so the lift shows


def test_a_release_no_policy_ever_covered_has_no_policy_condition() -> None:
    sim = Simulation(ungated(), policies=facts())
    sim.reconcile()
    assert created(sim) == ["build"]
    assert all(c.type != "PolicyBlocked" for c in sim.model.conditions)


def test_a_conforming_release_records_passed() -> None:
    sim = Simulation(gated(), policies=facts(policy()))
    sim.reconcile()
    assert created(sim) == ["build"]
    assert [(r.policy, r.outcome) for r in sim.model.policies] == [(POLICY, "Passed")]
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason) == ("False", "NotBlocked")


def test_warn_runs_records_and_warns_once() -> None:
    sim = Simulation(ungated(), policies=facts(policy(enforcement="Warn")))
    sim.reconcile()
    sim.complete("build")
    assert created(sim) == ["build", "upload", "notes"]
    assert [(r.outcome, r.enforcement) for r in sim.model.policies] == [("Violated", "Warn")]
    assert events(sim, "PolicyViolation") == [
        f"ReleasePolicy {POLICY} (Warn) is violated, and the run goes on: {VIOLATION}"
    ]


def test_audit_runs_and_records_without_an_event() -> None:
    sim = Simulation(ungated(), policies=facts(policy(enforcement="Audit")))
    sim.reconcile()
    sim.complete("build")
    assert created(sim) == ["build", "upload", "notes"]
    assert [(r.outcome, r.enforcement) for r in sim.model.policies] == [("Violated", "Audit")]
    assert events(sim, "PolicyViolation") == []


def glass(spec: dict[str, object], groups: tuple[str, ...] = ("sre-oncall",)) -> ObservedBreakGlass:
    return ObservedBreakGlass(
        user="sam", groups=groups, reason="store outage", spec_hash=spec_hash(spec), at=T0,
        verified=True,
    )  # fmt: skip


def test_a_verified_break_glass_starts_the_run_and_is_announced_once() -> None:
    spec = ungated()
    guarded = policy(breakGlass={"groups": ["sre-oncall"]})
    sim = Simulation(spec, policies=facts(guarded), break_glass=glass(spec))
    sim.reconcile()
    sim.complete("build")
    assert created(sim) == ["build", "upload", "notes"]
    result = sim.model.policies[0]
    assert result.outcome == "Overridden"
    assert result.break_glass is not None and result.break_glass.user == "sam"
    assert events(sim, "BreakGlass") == [
        f"break-glass by sam (sre-oncall) overrides ReleasePolicy {POLICY}: store outage"
    ]


def test_a_break_glass_by_someone_else_overrides_nothing() -> None:
    spec = ungated()
    guarded = policy(breakGlass={"groups": ["sre-oncall"]})
    sim = Simulation(spec, policies=facts(guarded), break_glass=glass(spec, ("dev",)))
    sim.reconcile()
    assert sim.phase == "Invalid"
    assert events(sim, "BreakGlass") == []


def test_unknown_policies_start_no_run_and_say_why() -> None:
    sim = Simulation(
        gated(), policies=facts(unknown="the ReleasePolicies have not been listed yet")
    )
    result = sim.reconcile()
    sim.reconcile()
    assert created(sim) == []
    assert sim.model.run is None and sim.phase == "Pending"
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason) == ("True", "PoliciesUnknown")
    assert "the ReleasePolicies have not been listed yet" in blocked.message
    assert events(sim, "PolicyBlocked") == [blocked.message]
    assert result.requeue_after == timedelta(seconds=60)
    sim.policies = facts(policy())
    sim.reconcile()
    assert sim.model.run == 1 and created(sim) == ["build"]
    assert condition(sim, "PolicyBlocked").status == "False"


def test_a_new_spec_with_unknown_policies_leaves_the_previous_run_as_it_was() -> None:
    sim = Simulation(gated(), policies=facts())
    sim.reconcile()
    sim.policies = facts(unknown="ReleasePolicy x cannot be read: spec.enforcement: bad")
    sim.change_spec(version="1.0.1")
    assert sim.model.run == 1 and sim.step("build").phase == "Running"
    assert sim.deleted == []
    assert "run 2 has not started" in sim.model.message


def test_a_refused_spec_leaves_the_run_before_it_its_own_verdicts() -> None:
    # status.policies is the record of a run that ran, and moves with it to history.
    sim = Simulation(gated(), policies=facts(policy()))
    sim.reconcile()
    assert [(r.policy, r.outcome) for r in sim.model.policies] == [(POLICY, "Passed")]
    sim.spec, sim.generation = ungated(), sim.generation + 1
    sim.reconcile()
    assert sim.phase == "Invalid" and sim.model.message == VIOLATION
    assert [(r.policy, r.outcome) for r in sim.model.policies] == [(POLICY, "Passed")]
    sim.spec, sim.generation = {**gated(), "version": "2.0.0"}, sim.generation + 1
    sim.reconcile()
    (earlier,) = sim.model.history
    assert earlier.run == 1
    assert [(r.policy, r.outcome) for r in earlier.policies] == [(POLICY, "Passed")]
