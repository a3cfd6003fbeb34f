"""A simulated cluster for planner tests: it applies each Plan the way the operator would.

Jobs appear when the plan creates them and change only when a test says so
(``complete``, ``fail``); annotations stay until a plan removes them; time
moves only when a test moves it. Every reconcile is a pure ``plan`` call, so a
story reads like the release it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from appdeploy.api.approvals import Envelope, Target, attest_pairs
from appdeploy.api.status import AppDeploymentStatus, StepStatus
from appdeploy.engine import (
    ChannelState,
    CreateJob,
    DecisionKind,
    DeleteJob,
    JobState,
    Observed,
    ObservedDecision,
    ObservedJob,
    ObservedRequest,
    Plan,
    PolicyFacts,
    PostEvent,
    RefusedJob,
    Release,
    RemoveAnnotation,
    Settings,
    plan,
)
from appdeploy.engine.inputs import ObservedBreakGlass

FIXTURES = Path(__file__).parent.parent / "fixtures"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SIGNING_KEY = b"s" * 32
"""The webhook's key in simulations: verified decisions carry real signatures."""
UID = "uid-1"


def load_spec(name: str) -> dict[str, Any]:
    """The spec of ``tests/fixtures/<name>.yaml``."""
    document = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())
    spec: dict[str, Any] = document["spec"]
    return spec


@dataclass
class Simulation:
    """One AppDeployment and its Jobs, moved forward by ``plan``."""

    spec: dict[str, Any]
    name: str = "rel"
    now: datetime = T0
    settings: Settings = field(default_factory=Settings)
    generation: int = 1
    status: dict[str, Any] | None = None
    jobs: dict[str, ObservedJob] = field(default_factory=dict)
    decisions: dict[str, ObservedDecision] = field(default_factory=dict)
    requests: dict[str, ObservedRequest] = field(default_factory=dict)
    refusing: dict[str, str] = field(default_factory=dict)
    """Job names the API server refuses to create, with its message."""
    created: list[CreateJob] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    events: list[PostEvent] = field(default_factory=list)
    last: Plan | None = None
    channels: dict[str, ChannelState] | None = None
    """The NotificationChannels the operator found, by name; None: it did not look."""
    policies: PolicyFacts | None = None
    """The ReleasePolicies in force as the operator found them; None: not enforced."""
    break_glass: ObservedBreakGlass | None = None

    def __post_init__(self) -> None:
        if self.settings.signing_key is None:
            self.settings = replace(self.settings, signing_key=SIGNING_KEY)

    @classmethod
    def of(cls, fixture: str, **kwargs: Any) -> Simulation:
        """A simulation of a fixture file, already reconciled once."""
        simulation = cls(load_spec(fixture), **kwargs)
        simulation.reconcile()
        return simulation

    # --- the operator's loop ---------------------------------------------------
    def observed(self) -> Observed:
        """What the operator would observe now."""
        return Observed(
            jobs=tuple(self.jobs.values()),
            decisions=tuple(self.decisions.values()),
            retry=self.requests.get("appdeploy.dev/retry"),
            cancel=self.requests.get("appdeploy.dev/cancel"),
            channels=self.channels,
            policies=self.policies,
            break_glass=self.break_glass,
        )

    def plan_now(self) -> Plan:
        """Plan without applying; Jobs the API server refuses are planned around, as the
        reconciler does (one more plan with the refusals observed)."""
        release = Release(self.name, "ns", self.generation, self.spec, self.status, uid=UID)
        result = plan(release, self.observed(), self.now, self.settings)
        refused = tuple(
            RefusedJob(create.name, self.refusing[create.name])
            for create in result.of_type(CreateJob)
            if create.name in self.refusing
        )
        if not refused:
            return result
        observed = replace(self.observed(), refused_jobs=refused)
        return plan(release, observed, self.now, self.settings)

    def reconcile(self) -> Plan:
        """Plan and apply the plan, as the operator does."""
        result = self.plan_now()
        for action in result.actions:
            if isinstance(action, CreateJob):
                assert action.name not in self.jobs, f"Job {action.name} created twice"
                self.created.append(action)
                self.jobs[action.name] = ObservedJob(
                    action.name,
                    action.step,
                    action.run,
                    action.attempt,
                    JobState.ACTIVE,
                    uid=f"uid-{action.name}",
                    created_at=self.now,
                )
                # As apply_plan does: the uid the API server assigned goes into status.
                result.status.step(action.step).job_uid = f"uid-{action.name}"
            elif isinstance(action, DeleteJob):
                self.deleted.append(action.name)
                self.jobs.pop(action.name, None)
            elif isinstance(action, RemoveAnnotation):
                self.decisions.pop(action.key, None)
                self.requests.pop(action.key, None)
            else:
                self.events.append(action)
        self.status = result.wire_status()
        self.last = result
        return result

    # --- the world changing --------------------------------------------------------
    def job_of(self, step: str, attempt: int | None = None) -> ObservedJob:
        """The Job of a step's latest (or given) attempt in the current run."""
        matching = [
            job
            for job in self.jobs.values()
            if job.step == step
            and job.run == self.generation
            and (attempt is None or job.attempt == attempt)
        ]
        assert matching, f"no Job for step {step} attempt {attempt}"
        return max(matching, key=lambda job: job.attempt)

    def complete(self, step: str, outputs: str = "") -> Plan:
        """The step's Job succeeds (with ``outputs`` as its termination message)."""
        job = self.job_of(step)
        self.jobs[job.name] = replace(
            job, state=JobState.SUCCEEDED, finished_at=self.now, termination_message=outputs
        )
        return self.reconcile()

    def fail(self, step: str, exit_code: int = 1, message: str = "boom") -> Plan:
        """The step's Job fails with an exit code and termination message."""
        job = self.job_of(step)
        self.jobs[job.name] = replace(
            job,
            state=JobState.FAILED,
            finished_at=self.now,
            exit_code=exit_code,
            termination_message=message,
            reason="Error",
        )
        return self.reconcile()

    def decide(
        self,
        kind: DecisionKind,
        gate: str,
        user: str,
        groups: tuple[str, ...] = (),
        *,
        comment: str = "",
        verified: bool = True,
        problem: str = "",
        attest: dict[str, str] | None = None,
    ) -> Plan:
        """Someone writes an approve/reject annotation (the webhook signed it if verified)."""
        key = f"{kind}.appdeploy.dev/{gate}"
        self.decisions[key] = (
            self.signed(kind, gate, user, groups, comment, attest=attest)
            if verified and not problem
            else (
                ObservedDecision(
                    key, kind, gate, user, groups, comment, at=self.now, problem=problem
                )
            )
        )
        return self.reconcile()

    def signed(
        self,
        kind: DecisionKind,
        gate: str,
        user: str,
        groups: tuple[str, ...] = (),
        comment: str = "",
        *,
        run: int | None = None,
        attest: dict[str, str] | None = None,
    ) -> ObservedDecision:
        """A decision as the webhook signs it for the current run (or ``run``)."""
        run = run if run is not None else (self.status or {}).get("run")
        pairs = attest_pairs(attest or {})
        envelope = Envelope(
            str(kind), gate, user, groups, comment, self.now, run, attest=pairs
        ).signed(SIGNING_KEY, Target("ns", self.name, UID))
        return ObservedDecision(
            f"{kind}.appdeploy.dev/{gate}",
            kind,
            gate,
            user,
            groups,
            comment,
            at=self.now,
            verified=True,
            run=run,
            signature=envelope.signature,
            attest=pairs,
        )

    def approve(self, gate: str, user: str, groups: tuple[str, ...] = ("qa",), **kw: Any) -> Plan:
        """An approval annotation."""
        return self.decide(DecisionKind.APPROVE, gate, user, groups, **kw)

    def reject(self, gate: str, user: str, groups: tuple[str, ...] = ("qa",), **kw: Any) -> Plan:
        """A rejection annotation."""
        return self.decide(DecisionKind.REJECT, gate, user, groups, **kw)

    def request(self, what: str, value: str) -> Plan:
        """A retry or cancel annotation."""
        key = f"appdeploy.dev/{what}"
        self.requests[key] = ObservedRequest(
            key,
            value,
            user="rm@example.com",
            groups=("release-managers",),
            at=self.now,
            verified=True,
            run=(self.status or {}).get("run"),
        )
        return self.reconcile()

    def advance(self, delta: timedelta) -> Plan:
        """Time passes, then the operator reconciles."""
        self.now += delta
        return self.reconcile()

    def wake(self) -> Plan:
        """Move to the time the last plan asked to be woken at, and reconcile."""
        assert self.last is not None and self.last.requeue_after is not None, "no wakeup asked"
        return self.advance(self.last.requeue_after)

    def change_spec(self, **changes: Any) -> Plan:
        """Commit a new spec (a new generation)."""
        self.spec = {**self.spec, **changes}
        self.generation += 1
        return self.reconcile()

    # --- reading -------------------------------------------------------------------
    @property
    def model(self) -> AppDeploymentStatus:
        """The status as the model."""
        return AppDeploymentStatus.model_validate(self.status)

    @property
    def phase(self) -> str:
        """The run's phase."""
        return str(self.model.phase)

    def step(self, name: str) -> StepStatus:
        """A step's status."""
        return self.model.step(name)

    def phases(self) -> dict[str, str]:
        """Every step's phase by name."""
        return {step.name: str(step.phase) for step in self.model.steps}

    def reasons(self) -> list[str]:
        """Reasons of every Event posted so far."""
        return [event.reason for event in self.events]

    def warnings(self) -> list[str]:
        """Messages of Warning Events posted so far."""
        return [e.message for e in self.events if e.type == "Warning"]
