"""judge: Deny refuses unless a break-glass for this very spec by the right group lifts it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from appdeploy.api.policy import ReleasePolicy, ReleasePolicySpec
from appdeploy.api.status import PolicyOutcome
from appdeploy.api.validation import parse_spec
from appdeploy.engine.inputs import ObservedBreakGlass
from appdeploy.engine.policy_judgement import judge

SPEC = parse_spec(
    {
        "app": "shop",
        "version": "1.0.0",
        "steps": [
            {
                "name": "upload",
                "run": {"image": "i", "envFrom": [{"secretRef": {"name": "asc-api-key"}}]},
            }
        ],
    }
)


def policy(name: str, enforcement: str = "Deny", **fields: Any) -> ReleasePolicy:
    spec = {
        "protect": {"secretNames": ["asc-api-key"]},
        "requireGates": [{"name": "compliance"}],
        "enforcement": enforcement,
        "breakGlass": {"groups": ["sre-oncall"]},
        **fields,
    }
    return ReleasePolicy(name, ReleasePolicySpec.model_validate(spec), generation=4)


def glass(groups: tuple[str, ...] = ("sre-oncall",), **fields: Any) -> ObservedBreakGlass:
    values: dict[str, Any] = {
        "user": "sam",
        "groups": groups,
        "reason": "CVE hotfix",
        "spec_hash": "sha256:aa",
        "at": datetime(2026, 12, 2, tzinfo=UTC),
        "verified": True,
        **fields,
    }
    return ObservedBreakGlass(**values)


def test_each_enforcement_goes_where_its_caller_acts_on_it() -> None:
    verdict = judge(SPEC, [policy("deny"), policy("warn", "Warn"), policy("audit", "Audit")])
    assert {v.policy for v in verdict.denied} == {"deny"}
    assert {v.policy for v in verdict.warned} == {"warn"}
    assert [(r.policy, r.outcome, r.generation) for r in verdict.results] == [
        ("deny", PolicyOutcome.VIOLATED, 4),
        ("warn", PolicyOutcome.VIOLATED, 4),
        ("audit", PolicyOutcome.VIOLATED, 4),
    ]
    assert "needs gate compliance upstream" in verdict.results[0].violations[-1]


def test_a_verified_break_glass_for_this_spec_lifts_deny_and_is_recorded() -> None:
    verdict = judge(SPEC, [policy("deny")], break_glass=glass(), spec_hash="sha256:aa")
    assert verdict.denied == () and verdict.overridden == ("deny",)
    result = verdict.results[0]
    assert result.outcome is PolicyOutcome.OVERRIDDEN
    assert result.break_glass is not None and result.break_glass.user == "sam"
    assert result.violations  # still recorded: the override does not hide what was broken


def test_break_glass_lifts_nothing_when_anything_is_off() -> None:
    for wrong in (
        glass(groups=("developers",)),
        glass(verified=False),
        glass(spec_hash="sha256:bb"),
    ):
        verdict = judge(SPEC, [policy("deny")], break_glass=wrong, spec_hash="sha256:aa")
        assert verdict.denied and verdict.overridden == ()
    no_glass_allowed = policy("strict", breakGlass=None)
    verdict = judge(SPEC, [no_glass_allowed], break_glass=glass(), spec_hash="sha256:aa")
    assert verdict.denied


def test_a_conforming_spec_passes() -> None:
    relaxed = policy("deny", protect={})
    spec = parse_spec(
        {
            "app": "shop",
            "version": "1.0.0",
            "steps": [{"name": "compliance", "gate": {"approvers": {"groups": ["c"]}}}],
        }
    )
    verdict = judge(spec, [relaxed])
    assert verdict.results[0].outcome is PolicyOutcome.PASSED and not verdict.denied
