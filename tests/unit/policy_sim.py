"""Releases and ReleasePolicies for the planner's policy tests (``test_planner_policies*``)."""

from __future__ import annotations

from typing import Any

from appdeploy.api.policy import ReleasePolicy, ReleasePolicySpec
from appdeploy.api.status import Condition
from appdeploy.engine import CreateJob, PolicyFacts
from tests.unit.harness import Simulation

SECRET = "asc-api-key"
POLICY = "production-store"


def upload(needs: list[str]) -> dict[str, Any]:
    """A run step that reads the protected Secret."""
    return {
        "name": "upload",
        "needs": needs,
        "run": {"image": "u", "envFrom": [{"secretRef": {"name": SECRET}}]},
    }


def gated(**gate: Any) -> dict[str, Any]:
    """build -> compliance (gate) -> upload (protected); build -> notes (unprotected)."""
    approvers = gate.pop("approvers", {"groups": ["compliance"]})
    return {
        "app": "shop",
        "version": "1.0.0",
        "steps": [
            {"name": "build", "run": {"image": "b"}},
            {"name": "compliance", "needs": ["build"], "gate": {"approvers": approvers, **gate}},
            upload(["compliance"]),
            {"name": "notes", "needs": ["build"], "run": {"image": "n"}},
        ],
    }


def ungated() -> dict[str, Any]:
    """build -> upload (protected, no gate upstream); build -> notes -> compliance (too late)."""
    return {
        "app": "shop",
        "version": "1.0.0",
        "steps": [
            {"name": "build", "run": {"image": "b"}},
            upload(["build"]),
            {"name": "notes", "needs": ["build"], "run": {"image": "n"}},
            {
                "name": "compliance",
                "needs": ["notes"],
                "gate": {"approvers": {"groups": ["compliance"]}},
            },
        ],
    }


def policy(name: str = POLICY, generation: int = 1, **spec: Any) -> ReleasePolicy:
    """A policy protecting the Secret and requiring gate compliance (override with ``spec``)."""
    body: dict[str, Any] = {
        "protect": {"secretNames": [SECRET]},
        "requireGates": [{"name": "compliance", "approverGroups": ["compliance"]}],
        **spec,
    }
    return ReleasePolicy(name, ReleasePolicySpec.model_validate(body), generation)


def facts(*policies: ReleasePolicy, unknown: str = "") -> PolicyFacts:
    """What the operator's PolicyCache would say."""
    return PolicyFacts(applicable=policies, unknown=unknown)


def condition(sim: Simulation, kind: str) -> Condition:
    """The release's condition of that type."""
    return next(c for c in sim.model.conditions if c.type == kind)


def created(sim: Simulation) -> list[str]:
    """Steps a CreateJob was planned for, in order."""
    return [create.step for create in sim.created if isinstance(create, CreateJob)]


def events(sim: Simulation, reason: str) -> list[str]:
    """Messages of the Events with that reason."""
    return [event.message for event in sim.events if event.reason == reason]
