"""Fail closed, whatever happens: no protected step gets a Job without conforming approvals.

Random release DAGs under random ReleasePolicies, then random things happen
(Jobs finish or fail, people approve or reject, signed or not, time passes,
the policies change, become unknown, or go away, retry and cancel arrive),
and after every pass each CreateJob is checked against the policies in force
at that pass, by an oracle written here apart from the engine: while the
policies are unknown no Job is created; a step a Deny policy protects gets a
Job only if every gate the policy requires has Succeeded with at least
``minRequired`` distinct approvals whose webhook signature verifies for this
run, from ``approverGroups`` when set, by nobody who decided a
``distinctFrom`` gate, and no service account when ``forbid`` says so.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appdeploy.api.approvals import Envelope, Target
from appdeploy.api.policy import Enforcement, ReleasePolicy, ReleasePolicySpec
from appdeploy.api.status import AppDeploymentStatus, StepPhase
from appdeploy.engine import CreateJob, JobState, Plan, PolicyFacts, Settings
from tests.unit.harness import SIGNING_KEY, UID, Simulation

SECRETS = ["asc-api-key", "play-publisher"]
GATES = ["compliance", "qa"]
BOT = "system:serviceaccount:ns:bot"
PEOPLE = [
    ("carol", ("compliance",)),
    ("dora", ("compliance", "qa")),
    ("erin", ("compliance", "qa")),
    ("alice", ("qa",)),
    ("bob", ()),
    (BOT, ("compliance",)),
]


@st.composite
def releases(draw: st.DrawFn, facts: PolicyFacts) -> dict[str, Any]:
    """Unprotected steps, then the gates, then steps using random Secrets, mostly behind them.

    Each gate mostly meets what the first policy asks of it (groups, required,
    distinctFrom), so that runs often get as far as a protected step.
    """
    wanted = {g.name: g for p in facts.applicable[:1] for g in p.spec.require_gates}
    steps: list[dict[str, Any]] = []

    def needs() -> list[str]:
        earlier = [step["name"] for step in steps]
        return draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2)) if earlier else []

    for index in range(draw(st.integers(0, 2))):
        steps.append(run_step(draw, f"a{index}", needs(), []))
    forbid_bot = any(p.spec.forbid.service_account_approvers for p in facts.applicable[:1])
    for name in GATES:
        if name not in wanted and draw(st.booleans()):
            continue
        required = wanted.get(name)
        groups = [draw(st.sampled_from(["compliance", "qa"]))]
        users = draw(st.lists(st.sampled_from(["bob", BOT]), unique=True))
        if forbid_bot and draw(st.integers(0, 4)):
            users = [user for user in users if user != BOT]
        gate: dict[str, Any] = {
            "approvers": {
                "groups": (required.approver_groups[:1] or groups) if required else groups,
                "users": users,
            },
            "required": max(draw(st.integers(1, 2)), required.min_required if required else 1),
            "onTimeout": draw(st.sampled_from(["Fail", "Fail", "Fail", "Approve"])),
            "distinctFrom": list(required.distinct_from) if required else [],
        }
        steps.append({"name": name, "needs": needs(), "gate": gate, "timeout": "1h"})
    names = {step["name"] for step in steps}
    for step in steps:
        if "gate" in step:
            step["gate"]["distinctFrom"] = [g for g in step["gate"]["distinctFrom"] if g in names]
    gates = [step["name"] for step in steps if "gate" in step]
    for index in range(draw(st.integers(1, 3))):
        secrets = draw(st.lists(st.sampled_from(SECRETS), unique=True, min_size=1, max_size=1))
        behind = gates if draw(st.integers(0, 9)) else []
        steps.append(run_step(draw, f"p{index}", sorted({*needs(), *behind}), secrets))
    return {"app": "shop", "version": "1", "steps": steps}


def run_step(draw: st.DrawFn, name: str, needs: list[str], secrets: list[str]) -> dict[str, Any]:
    run = {"image": "i", "envFrom": [{"secretRef": {"name": s}} for s in secrets]}
    retries = {"limit": draw(st.integers(0, 1)), "backoff": "30s"}
    return {"name": name, "needs": needs, "run": run, "timeout": "1h", "retries": retries}


@st.composite
def policy_facts(draw: st.DrawFn, unknown: bool = True) -> PolicyFacts:
    """None, one or two policies (any enforcement), or unknown; exactly one if not ``unknown``."""
    if unknown and draw(st.integers(0, 3)) == 0:
        return PolicyFacts(unknown="the ReleasePolicies have not been listed yet")
    found = []
    for index in range(draw(st.integers(0, 2)) if unknown else 1):
        required = []
        for name in draw(st.lists(st.sampled_from(GATES), unique=True, min_size=1)):
            others = [gate for gate in GATES if gate != name]
            required.append({
                "name": name,
                "approverGroups": draw(st.sampled_from([[], ["compliance"], ["qa"]])),
                "minRequired": draw(st.integers(1, 2)),
                "distinctFrom": draw(st.lists(st.sampled_from(others), unique=True)),
            })  # fmt: skip
        spec = {
            "protect": {
                "secretNames": draw(st.lists(st.sampled_from(SECRETS), unique=True, min_size=1))
            },
            "requireGates": required,
            "forbid": {"serviceAccountApprovers": draw(st.booleans())},
            "enforcement": draw(st.sampled_from(["Deny", "Deny", "Deny", "Warn", "Audit"])),
        }
        found.append(ReleasePolicy(f"p{index}", ReleasePolicySpec.model_validate(spec), index))
    return PolicyFacts(applicable=tuple(found))


def uses(step: dict[str, Any]) -> set[str]:
    run = step.get("run") or {}
    return {source["secretRef"]["name"] for source in run.get("envFrom", [])}


def signed_for_run(sim: Simulation, gate: str, approval: Any, run: int) -> bool:
    """The oracle's own signature check: the webhook signed exactly this, for this run."""
    envelope = Envelope(
        "approve", gate, approval.user, tuple(approval.groups), approval.comment, approval.at,
        approval.run, approval.signature,
    )  # fmt: skip
    return approval.run == run and envelope.verify(SIGNING_KEY, Target("ns", sim.name, UID))


def conforms(sim: Simulation, status: AppDeploymentStatus, policy: ReleasePolicy) -> bool:
    """Every gate ``policy`` requires passed by enough conforming, signed approvals."""
    names = {step.name for step in status.steps}
    for required in policy.spec.require_gates:
        if required.name not in names:
            return False
        gate = status.step(required.name)
        if gate.phase is not StepPhase.SUCCEEDED:
            return False
        others: set[str] = set()
        for other in required.distinct_from:
            if other in names:
                decided = status.step(other)
                others |= {a.user for a in decided.approvals}
                others |= {decided.rejection.user} if decided.rejection else set()
        people = {
            a.user
            for a in gate.approvals
            if signed_for_run(sim, required.name, a, status.run or 0)
            and a.user not in others
            and (not required.approver_groups or set(a.groups) & set(required.approver_groups))
            and not (policy.spec.forbid.service_account_approvers and a.user == BOT)
        }
        if len(people) < required.min_required:
            return False
    return True


def check(sim: Simulation, result: Plan, facts: PolicyFacts) -> int:
    """Fail on a Job the policies in force forbid; the number of protected Jobs created."""
    creates = result.of_type(CreateJob)
    if facts.unknown:
        assert not creates, f"Jobs created while policies are unknown: {creates}"
        return 0
    by_name = {step["name"]: step for step in sim.spec["steps"]}
    protected = 0
    for create in creates:
        for policy in facts.applicable:
            if policy.spec.enforcement is not Enforcement.DENY:
                continue
            if not uses(by_name[create.step]) & set(policy.spec.protect.secret_names):
                continue
            protected += 1
            assert conforms(sim, result.status, policy), (
                f"{create.step} got a Job under {policy.name} without conforming approvals: "
                f"{result.status.steps}"
            )
    return protected


def happen(sim: Simulation, data: st.DataObject, first: PolicyFacts) -> None:
    kind = data.draw(st.sampled_from(
        ["complete"] * 4 + ["approve"] * 4 + ["fail", "reject", "time", "policies", "retry"]
        + ["cancel"] * data.draw(st.integers(0, 1))
    ))  # fmt: skip
    active = sorted(n for n, job in sim.jobs.items() if job.state is JobState.ACTIVE)
    if kind in ("complete", "fail") and active:
        step = sim.jobs[data.draw(st.sampled_from(active))].step
        if kind == "complete":
            sim.complete(step)
        else:
            sim.fail(step)
    elif kind in ("approve", "reject"):
        user, groups = data.draw(st.sampled_from(PEOPLE))
        waiting = [step.name for step in sim.model.steps if step.phase is StepPhase.WAITING]
        gate = data.draw(st.sampled_from(waiting or GATES))
        signed = data.draw(st.integers(0, 3)) > 0
        sim.decide(kind, gate, user, groups, verified=signed)  # type: ignore[arg-type]
    elif kind == "time":
        sim.advance(data.draw(st.sampled_from([timedelta(seconds=40)] * 3 + [timedelta(hours=2)])))
    elif kind == "policies":
        sim.policies = data.draw(st.one_of(policy_facts(), st.just(first)))
        sim.reconcile()
    elif kind in ("retry", "cancel"):
        sim.request(
            kind, data.draw(st.sampled_from([*GATES, "failed"])) if kind == "retry" else "x"
        )
    else:
        sim.reconcile()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trusted=st.booleans(), data=st.data())
def test_no_protected_step_starts_without_conforming_approvals(
    trusted: bool, data: st.DataObject
) -> None:
    first = data.draw(policy_facts(unknown=False))
    spec = data.draw(releases(first))
    sim = Simulation(spec, policies=first, settings=Settings(trust_unverified_approvals=trusted))
    check(sim, sim.reconcile(), first)
    for _ in range(data.draw(st.integers(1, 40))):
        happen(sim, data, first)
        assert sim.last is not None and sim.policies is not None
        # A policy change is judged by the new policies: they were in force at that pass.
        check(sim, sim.last, sim.policies)
