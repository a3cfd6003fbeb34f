"""What the ReleasePolicies in force conclude about one spec: the webhook and the planner ask here.

``judge`` turns the violations (``appdeploy.engine.policies``) into what each
caller acts on: the Deny violations that refuse or hold the release, the Warn
ones to show, and one ``PolicyResult`` per policy for ``status.policies``. A
verified break-glass override lifts a policy's Deny violations when it was
signed for exactly this spec (its hash) by a member of that policy's
``breakGlass.groups``; anyone else's, or one for another spec, lifts nothing.
Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from appdeploy.api.policy import Enforcement, ReleasePolicy
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.status import (
    POLICY_VIOLATIONS_LIMIT,
    BreakGlassRecord,
    PolicyOutcome,
    PolicyResult,
)
from appdeploy.engine.inputs import ObservedBreakGlass
from appdeploy.engine.policies import PolicyViolation, violations


@dataclass(frozen=True)
class Judgement:
    """The policies' verdict on one spec."""

    results: tuple[PolicyResult, ...]
    """One per policy in force, in the order given."""
    denied: tuple[PolicyViolation, ...]
    """Deny violations no override lifts: the webhook refuses, the operator holds."""
    warned: tuple[PolicyViolation, ...]
    """Warn violations: shown, never refused."""
    overridden: tuple[str, ...]
    """The policies whose Deny violations a verified break-glass lifted."""


def break_glass_covers(
    policy: ReleasePolicy, break_glass: ObservedBreakGlass | None, spec_hash: str
) -> bool:
    """True when ``break_glass`` lifts ``policy`` for the spec with ``spec_hash``."""
    allowed = policy.spec.break_glass
    return (
        break_glass is not None
        and break_glass.verified
        and allowed is not None
        and break_glass.spec_hash == spec_hash
        and bool(set(break_glass.groups) & set(allowed.groups))
    )


def judge(
    spec: AppDeploymentSpec,
    policies: Sequence[ReleasePolicy],
    *,
    break_glass: ObservedBreakGlass | None = None,
    spec_hash: str = "",
) -> Judgement:
    """Judge ``spec`` by ``policies`` (those in force: see ``PolicyCache.facts``)."""
    results: list[PolicyResult] = []
    denied: list[PolicyViolation] = []
    warned: list[PolicyViolation] = []
    overridden: list[str] = []
    for policy in policies:
        found = violations(spec, [policy])
        enforcement = policy.spec.enforcement
        outcome = PolicyOutcome.VIOLATED if found else PolicyOutcome.PASSED
        record: BreakGlassRecord | None = None
        if found and enforcement is Enforcement.DENY:
            if break_glass is not None and break_glass_covers(policy, break_glass, spec_hash):
                outcome = PolicyOutcome.OVERRIDDEN
                overridden.append(policy.name)
                record = BreakGlassRecord(
                    user=break_glass.user,
                    groups=list(break_glass.groups),
                    reason=break_glass.reason,
                    at=break_glass.at,
                    verified=True,
                )
            else:
                denied.extend(found)
        elif found and enforcement is Enforcement.WARN:
            warned.extend(found)
        results.append(
            PolicyResult(
                policy=policy.name,
                generation=policy.generation,
                enforcement=str(enforcement),
                outcome=outcome,
                violations=[str(v) for v in found[:POLICY_VIOLATIONS_LIMIT]],
                break_glass=record,
            )
        )
    return Judgement(tuple(results), tuple(denied), tuple(warned), tuple(overridden))
