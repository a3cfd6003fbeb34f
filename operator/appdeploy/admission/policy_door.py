"""What validate-spec answers about ReleasePolicies (docs/policies.md, "At the door").

The webhook judges a spec with the same ``judge`` the operator and the CLI
use, and turns the verdict into what kubectl prints: Deny violations refuse
the request (403), each naming the policy, the rule and the field; Warn
violations and break-glass overrides become admission warnings (kubectl
prints ``Warning: ...``); Audit violations are admitted silently (the
operator records them in ``status.policies``). When the policies in force are
not known (the operator just started, a policy cannot be read), the spec is
admitted with a warning: the operator judges it again and fails closed, so a
violating release becomes Invalid instead of starting. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.spec_hash import spec_hash
from appdeploy.engine.inputs import ObservedBreakGlass, PolicyFacts
from appdeploy.engine.policy_judgement import judge
from appdeploy.engine.policy_violation import PolicyViolation


@dataclass(frozen=True)
class PolicyAnswer:
    """What the webhook says about the policies: refusals (empty: admit) and warnings."""

    refusals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def violation_text(violation: PolicyViolation) -> str:
    """``ReleasePolicy P (rule R): FIELD: what is wrong`` — one line kubectl prints as is."""
    return f"ReleasePolicy {violation.policy} (rule {violation.rule}): {violation}"


def policy_answer(
    spec: AppDeploymentSpec,
    raw_spec: Mapping[str, Any] | Any,
    facts: PolicyFacts | None,
    break_glass: ObservedBreakGlass | None,
) -> PolicyAnswer:
    """Judge ``spec`` (parsed from ``raw_spec``, as sent) by the policies in ``facts``."""
    if facts is None or facts.unknown:
        why = "the operator has not loaded them yet" if facts is None else facts.unknown
        return PolicyAnswer(
            warnings=(
                f"ReleasePolicies not checked at admission ({why}); the operator will judge "
                "this release and mark it Invalid (reason PolicyViolation) if one denies it",
            )
        )
    judgement = judge(
        spec, facts.applicable, break_glass=break_glass, spec_hash=spec_hash(raw_spec)
    )
    warnings = [violation_text(v) + " (enforcement Warn: admitted)" for v in judgement.warned]
    if judgement.overridden and break_glass is not None:
        groups = ", ".join(break_glass.groups)
        reason = f": {break_glass.reason}" if break_glass.reason else ""
        for name in judgement.overridden:
            warnings.append(
                f"ReleasePolicy {name} overridden by break-glass of {break_glass.user} "
                f"(groups {groups}){reason}; recorded in status.policies"
            )
    return PolicyAnswer(tuple(violation_text(v) for v in judgement.denied), tuple(warnings))
