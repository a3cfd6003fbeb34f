"""The planner mid-run: a policy tightened or unknown holds steps, never the whole run.

A running run is judged again at every pass, by the policy as it is then:
the protected steps that have not started are held (``PolicyBlocked=True``,
saying which and why), unprotected ones go on, running ones are not stopped,
and the hold lifts when the policy is relaxed. A protected step also waits
until its required gates passed by approvals the policy accepts.
"""

from __future__ import annotations

from datetime import timedelta

from appdeploy.api.naming import job_name_for
from appdeploy.api.status import Approval, StepPhase
from appdeploy.engine import DecisionKind, JobState, ObservedJob, Settings
from tests.unit.harness import Simulation
from tests.unit.policy_sim import (
    POLICY,
    condition,
    created,
    events,
    facts,
    gated,
    policy,
    ungated,
    upload,
)

HELD = (
    "upload is held: it uses Secret asc-api-key, protected by ReleasePolicy production-store, "
    "which the spec breaks: spec.steps[1]: upload uses Secret asc-api-key, protected by "
    f"ReleasePolicy {POLICY}, and needs gate compliance upstream"
)


def test_a_policy_created_mid_run_holds_the_protected_step_only() -> None:
    sim = Simulation(ungated(), policies=facts())
    sim.reconcile()
    sim.policies = facts(policy())
    sim.complete("build")
    sim.reconcile()
    assert created(sim) == ["build", "notes"]
    assert sim.phase == "Running" and sim.step("upload").phase == "Pending"
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason, blocked.message) == ("True", "PolicyViolation", HELD)
    assert HELD in sim.model.message
    assert events(sim, "PolicyBlocked") == [HELD]  # once
    assert [r.outcome for r in sim.model.policies] == ["Violated"]
    sim.policies = facts(policy(protect={"secretNames": ["other"]}, generation=2))
    sim.reconcile()
    assert created(sim) == ["build", "notes", "upload"]
    assert condition(sim, "PolicyBlocked").status == "False"
    assert [(r.outcome, r.generation) for r in sim.model.policies] == [("Passed", 2)]


def test_a_running_protected_step_is_not_stopped() -> None:
    sim = Simulation(ungated(), policies=facts())
    sim.reconcile()
    sim.complete("build")
    sim.policies = facts(policy())
    sim.reconcile()
    assert sim.step("upload").phase == "Running"
    assert sim.deleted == []
    sim.complete("upload")
    assert sim.step("upload").phase == "Succeeded"


def test_a_retry_is_held_without_spinning_and_starts_once_relaxed() -> None:
    spec = ungated()
    spec["steps"][1]["retries"] = {"limit": 1, "backoff": "30s"}
    sim = Simulation(spec, policies=facts())
    sim.reconcile()
    sim.complete("build")
    sim.fail("upload")
    assert sim.step("upload").phase == "Retrying"
    sim.policies = facts(policy())
    result = sim.advance(timedelta(minutes=1))
    assert sim.step("upload").phase == "Retrying" and sim.step("upload").attempts == 1
    assert result.requeue_after == timedelta(seconds=60)  # not 0: no busy loop
    assert condition(sim, "PolicyBlocked").status == "True"
    sim.policies = facts()
    sim.reconcile()
    assert sim.step("upload").attempts == 2


def test_unknown_policies_hold_every_run_step_but_gates_open() -> None:
    sim = Simulation(gated(), policies=facts())
    sim.reconcile()
    sim.policies = facts(unknown="the labels of namespace ns are not known")
    sim.complete("build")
    assert sim.phases()["compliance"] == "Waiting"
    assert sim.phases()["notes"] == "Pending" and created(sim) == ["build"]
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason) == ("True", "PoliciesUnknown")
    assert "the labels of namespace ns are not known" in blocked.message
    assert "held: notes" in blocked.message
    sim.policies = facts()
    sim.reconcile()
    assert created(sim) == ["build", "notes"]


def test_conforming_approvals_let_the_protected_step_start() -> None:
    sim = Simulation(gated(), policies=facts(policy()))
    sim.reconcile()
    sim.complete("build")
    sim.approve("compliance", "carol", ("compliance",))
    assert "upload" in created(sim)
    assert condition(sim, "PolicyBlocked").status == "False"


def held_because(sim: Simulation) -> str:
    blocked = condition(sim, "PolicyBlocked")
    assert (blocked.status, blocked.reason) == ("True", "ApprovalsNotConforming")
    assert "upload" not in created(sim) and sim.step("compliance").phase == "Succeeded"
    return blocked.message


def test_unsigned_approvals_do_not_pass_a_required_gate_even_when_trusted() -> None:
    trusting = Settings(trust_unverified_approvals=True)
    sim = Simulation(gated(), policies=facts(policy()), settings=trusting)
    sim.reconcile()
    sim.complete("build")
    sim.approve("compliance", "carol", ("compliance",), verified=False)
    assert held_because(sim) == (
        "upload is held: it uses Secret asc-api-key, protected by ReleasePolicy "
        "production-store, and gate compliance passed with 0 of the 1 signed approvals of "
        "this run from group compliance it needs (unsigned approvals and a pass at the "
        "deadline do not count); cancel the run and retry compliance to decide it again"
    )


def test_an_approver_outside_the_policys_groups_does_not_count() -> None:
    approvers = {"groups": ["compliance"], "users": ["bob"]}
    sim = Simulation(gated(approvers=approvers), policies=facts(policy()))
    sim.reconcile()
    sim.complete("build")
    sim.approve("compliance", "bob", ())
    assert "0 of the 1 signed approvals" in held_because(sim)


def test_a_gate_passed_at_its_deadline_does_not_count() -> None:
    spec = gated(onTimeout="Approve")
    spec["steps"][1]["timeout"] = "1h"
    sim = Simulation(spec, policies=facts(policy()))
    sim.reconcile()
    sim.complete("build")
    sim.complete("notes")
    sim.advance(timedelta(hours=2))
    held_because(sim)


def test_min_required_counts_distinct_signed_people() -> None:
    strict = policy(requireGates=[{"name": "compliance", "minRequired": 2}])
    sim = Simulation(gated(required=2), policies=facts(strict))
    sim.reconcile()
    sim.complete("build")
    sim.approve("compliance", "carol", ("compliance",))
    assert "upload" not in created(sim)
    sim.approve("compliance", "dora", ("compliance",))
    assert "upload" in created(sim)


def written_in(sim: Simulation, gate: str, user: str, groups: tuple[str, ...]) -> None:
    """Someone who may write status adds a signed approval the planner had refused, and
    marks the gate Succeeded: every signature verifies, so the gate stands."""
    signed = sim.signed(DecisionKind.APPROVE, gate, user, groups)
    model = sim.model
    tampered = model.step(gate)
    tampered.approvals.append(
        Approval(user=user, groups=list(groups), at=sim.now, run=1, signature=signed.signature)
    )
    tampered.phase = StepPhase.SUCCEEDED
    tampered.finished_at = sim.now
    sim.status = model.to_wire()
    sim.reconcile()
    assert sim.step(gate).phase == "Succeeded"


def test_a_signed_approval_by_someone_who_decided_a_distinct_gate_does_not_count() -> None:
    spec = gated(distinctFrom=["qa"])
    spec["steps"][1]["needs"] = ["qa"]
    qa = {"name": "qa", "needs": ["build"], "gate": {"approvers": {"groups": ["qa"]}}}
    spec["steps"].insert(1, qa)
    strict = policy(requireGates=[{"name": "compliance", "distinctFrom": ["qa"]}])
    sim = Simulation(spec, policies=facts(strict))
    sim.reconcile()
    sim.complete("build")
    sim.approve("qa", "dora", ("qa", "compliance"))
    sim.approve("compliance", "dora", ("qa", "compliance"))
    assert sim.step("compliance").phase == "Waiting"  # refused: distinctFrom
    written_in(sim, "compliance", "dora", ("qa", "compliance"))
    assert "by people who did not decide qa" in held_because(sim)


def test_a_signed_approval_by_a_service_account_does_not_count_when_forbidden() -> None:
    strict = policy(forbid={"serviceAccountApprovers": True})
    sim = Simulation(gated(), policies=facts(strict))
    sim.reconcile()
    sim.complete("build")
    bot = "system:serviceaccount:ns:bot"
    sim.approve("compliance", bot, ("compliance",))
    assert sim.step("compliance").phase == "Waiting"  # refused: not through a group
    written_in(sim, "compliance", bot, ("compliance",))
    assert "0 of the 1 signed approvals" in held_because(sim)


def test_a_job_created_just_before_a_crash_is_adopted_not_held() -> None:
    sim = Simulation(ungated(), policies=facts())
    sim.reconcile()
    # An operator created upload's Job, then crashed before status said so; then the policy came.
    name = job_name_for("rel", "upload", 1, 1)
    sim.jobs[name] = ObservedJob(name, "upload", 1, 1, JobState.ACTIVE, uid="u", created_at=sim.now)
    sim.policies = facts(policy())
    sim.complete("build")
    assert sim.step("upload").phase == "Running" and sim.step("upload").job == name
    assert created(sim) == ["build", "notes"]
    assert condition(sim, "PolicyBlocked").status == "False"


def test_many_held_steps_are_summed_up() -> None:
    spec = ungated()
    for index in range(6):
        spec["steps"].append({**upload(["build"]), "name": f"upload-{index}"})
    sim = Simulation(spec, policies=facts())
    sim.reconcile()
    sim.policies = facts(policy())
    sim.complete("build")
    message = condition(sim, "PolicyBlocked").message
    assert message.count(" is held: ") == 5
    assert message.endswith("; and 2 more held")
