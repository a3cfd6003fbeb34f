"""The working state of one planning pass: the spec, the status being built, and actions.

Each concern (runs, run steps, gates, human requests, summary) is a module of
functions over this one object, so the planner reads as a short sequence of
steps and every decision has a single home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from appdeploy.api.naming import run_id_for
from appdeploy.api.spec import AppDeploymentSpec, RetryPolicy, Step
from appdeploy.api.status import AppDeploymentStatus, StepPhase, StepStatus
from appdeploy.api.substitutions import Values
from appdeploy.engine.actions import Action, EventType, PostEvent
from appdeploy.engine.inputs import ObservedJob, Release, Settings
from appdeploy.engine.policy_guard import Hold, PolicyGuard
from appdeploy.engine.reasons import Reason


@dataclass
class RunState:
    """Everything one call of ``plan`` reads and writes."""

    release: Release
    spec: AppDeploymentSpec
    status: AppDeploymentStatus
    now: datetime
    settings: Settings
    jobs: dict[tuple[str, int], ObservedJob]
    """Jobs of the current run by (step, attempt)."""
    refused: dict[str, str] = field(default_factory=dict)
    """Job names the API server refused to create in this pass, with its message."""
    actions: list[Action] = field(default_factory=list)
    started: set[tuple[str, int]] = field(default_factory=set)
    """Attempts started in this pass: their Jobs cannot be observed yet."""
    policy: PolicyGuard | None = None
    """What the ReleasePolicies in force allow; None: the operator does not enforce them."""
    held: dict[str, Hold] = field(default_factory=dict)
    """Run steps ReleasePolicies keep from starting in this pass, by name."""

    @property
    def run(self) -> int:
        """The run (generation) being planned."""
        return self.release.generation

    def step(self, name: str) -> StepStatus:
        """Status of a step of the current run."""
        return self.status.step(name)

    def spec_step(self, name: str) -> Step:
        """Spec of a step."""
        return self.spec.step(name)

    def is_finally(self, name: str) -> bool:
        """True for steps listed under ``finally``."""
        return any(step.name == name for step in self.spec.finally_)

    def main_steps(self) -> list[StepStatus]:
        """Status of the DAG's steps, in spec order."""
        return [self.step(step.name) for step in self.spec.steps]

    def finally_steps(self) -> list[StepStatus]:
        """Status of the finally steps, in spec order."""
        return [self.step(step.name) for step in self.spec.finally_]

    def main_failed(self) -> StepStatus | None:
        """The first failed DAG step, if any: the run then starts nothing new."""
        return next((s for s in self.main_steps() if s.phase is StepPhase.FAILED), None)

    def main_done(self) -> bool:
        """True when every DAG step is done, so finally steps may start."""
        return all(step.phase.is_done for step in self.main_steps())

    def main_outcome(self) -> str:
        """The phase the run ends with as far as the DAG is concerned: ``$(run.phase)``."""
        phases = {step.phase for step in self.main_steps()}
        if StepPhase.FAILED in phases:
            return "Failed"
        if StepPhase.CANCELLED in phases:
            return "Cancelled"
        return "Succeeded"

    def retry_policy(self, step: Step) -> RetryPolicy:
        """The step's own retry policy or the release default."""
        return step.retries or self.spec.defaults.retries

    def run_timeout(self, step: Step) -> timedelta:
        """Deadline of one attempt of a run step."""
        return step.timeout or self.spec.defaults.timeout

    def values(self, for_finally: bool) -> Values:
        """What substitutions resolve to now; ``$(run.phase)`` only for finally steps."""
        return Values(
            app=self.spec.app,
            version=self.spec.version,
            params=self.spec.params,
            run_id=run_id_for(self.release.name, self.run),
            run_phase=self.main_outcome() if for_finally else None,
            outputs={step.name: step.outputs for step in self.status.steps if step.outputs},
        )

    def post(self, type_: EventType, reason: Reason, message: str) -> None:
        """Queue an Event on the AppDeployment."""
        self.actions.append(PostEvent(type_, reason, message))

    def warn(self, reason: Reason, message: str) -> None:
        """Queue a Warning Event."""
        self.post(EventType.WARNING, reason, message)
