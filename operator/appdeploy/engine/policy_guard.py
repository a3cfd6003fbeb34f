"""What the ReleasePolicies in force allow in one planning pass (``engine/policy_runs``).

Kept apart from the logic so ``RunState`` can carry it without importing the
rules that read the state. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from appdeploy.api.policy import ReleasePolicy
from appdeploy.engine.policy_judgement import Judgement


@dataclass(frozen=True)
class PolicyGuard:
    """The judgement of this pass, or why there is none (the policies are not known)."""

    unknown: str
    """Why the policies in force are not known; then every run step is held."""
    judgement: Judgement | None
    """``judge`` of the current spec by the policies in force; None while unknown."""
    enforced: tuple[ReleasePolicy, ...]
    """The Deny policies no break-glass lifts: their protected steps are guarded."""


@dataclass(frozen=True)
class Hold:
    """Why one run step does not start its next attempt in this pass."""

    reason: str
    """The PolicyBlocked condition's reason (``BlockReason``)."""
    message: str
