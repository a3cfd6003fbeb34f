"""Break-glass: signed only for a policy's breakGlass.groups, for one spec, read back verified."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from appdeploy.admission.attribution import Caller, ClaimRefused, break_glass_patch
from appdeploy.api.policy import ReleasePolicy, ReleasePolicySpec
from appdeploy.api.spec_hash import spec_hash
from appdeploy.api.validation import parse_spec
from appdeploy.engine.inputs import PolicyFacts
from appdeploy.engine.policy_judgement import judge
from appdeploy.k8s.attribution import MISMATCH, UNSIGNED_BREAK_GLASS, read_break_glass
from appdeploy.k8s.labels import BREAK_GLASS_ANNOTATION

KEY = b"k" * 32
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SAM = Caller("sam", ("sre-oncall", "dev"))
MALLORY = Caller("mallory", ("dev",))
SPEC = {
    "app": "shop",
    "version": "1.0.0",
    "steps": [
        {
            "name": "upload",
            "run": {"image": "i", "envFrom": [{"secretRef": {"name": "asc-api-key"}}]},
        }
    ],
}


def policy(name: str = "production-store", groups: tuple[str, ...] = ("sre-oncall",)) -> Any:
    spec: dict[str, Any] = {
        "protect": {"secretNames": ["asc-api-key"]},
        "requireGates": [{"name": "compliance"}],
        "breakGlass": {"groups": list(groups)},
    }
    if not groups:
        del spec["breakGlass"]
    return ReleasePolicy(name, ReleasePolicySpec.model_validate(spec), generation=1)


FACTS = PolicyFacts(applicable=(policy(),))


def body(value: str | None = None, spec: dict[str, Any] = SPEC, generation: int = 3) -> Any:
    annotations = {} if value is None else {BREAK_GLASS_ANNOTATION: value}
    return {
        "metadata": {
            "name": "rel",
            "namespace": "shop",
            "generation": generation,
            "annotations": annotations,
        },
        "spec": spec,
    }


def sign(old: Any, new: Any, caller: Caller = SAM, facts: PolicyFacts | None = FACTS) -> str:
    patch = break_glass_patch(old, new, caller, key=KEY, now=NOW, facts=facts, operator="op")
    value = patch[BREAK_GLASS_ANNOTATION]
    assert value is not None
    return value


def test_a_member_of_the_policys_groups_gets_a_signed_override_for_the_current_spec() -> None:
    value = sign(body(), body('{"reason": "CVE-2026-1234 hotfix", "user": "ceo"}'))
    claim = json.loads(value)
    assert (claim["user"], claim["groups"], claim["reason"], claim["specHash"]) == (
        "sam",
        ["sre-oncall", "dev"],
        "CVE-2026-1234 hotfix",
        spec_hash(SPEC),
    )
    assert claim["generation"] == 3 and claim["signature"]
    observed = read_break_glass(body(value), KEY)
    assert observed is not None and observed.verified and observed.user == "sam"
    verdict = judge(parse_spec(SPEC), [policy()], break_glass=observed, spec_hash=spec_hash(SPEC))
    assert verdict.overridden == ("production-store",) and not verdict.denied


def test_set_with_a_spec_change_it_covers_the_new_spec_at_the_next_generation() -> None:
    changed = {**SPEC, "version": "1.0.1"}
    value = sign(body(), body("CVE-2026-1234 hotfix", changed))
    stored = body(value, changed, generation=4)
    observed = read_break_glass(stored, KEY)
    assert observed is not None and observed.verified
    assert (observed.reason, observed.spec_hash) == ("CVE-2026-1234 hotfix", spec_hash(changed))


def test_anyone_else_is_refused_with_the_policies_and_groups_that_may() -> None:
    with pytest.raises(ClaimRefused) as refused:
        sign(body(), body("let me"), MALLORY)
    assert (
        "only members of sre-oncall (ReleasePolicy production-store breakGlass.groups) may "
        "break the glass on shop/rel; mallory is in none of these groups"
    ) in str(refused.value)
    two = PolicyFacts(applicable=(policy(), policy("security", ("sec", "ciso"))))
    with pytest.raises(ClaimRefused, match=r"or sec, ciso \(ReleasePolicy security"):
        sign(body(), body("let me"), MALLORY, two)


def test_there_is_no_glass_to_break_without_a_policy_that_allows_it() -> None:
    for facts in (PolicyFacts(), PolicyFacts(applicable=(policy(groups=()),))):
        with pytest.raises(ClaimRefused, match="there is no glass to break"):
            sign(body(), body("why"), SAM, facts)
    with pytest.raises(ClaimRefused, match=r"cannot be known now \(not listed yet\)"):
        sign(body(), body("why"), SAM, PolicyFacts(unknown="not listed yet"))
    with pytest.raises(ClaimRefused, match=r"cannot be known now \(the operator is starting\)"):
        sign(body(), body("why"), SAM, None)


def test_a_reason_is_required_and_kept_plain() -> None:
    with pytest.raises(ClaimRefused, match="say why"):
        sign(body(), body('{"reason": ""}'))
    with pytest.raises(ClaimRefused, match="control character"):
        sign(body(), body("hot\x1bfix"))


def test_removal_is_for_the_operator_and_the_groups_members_anyone_elses_is_undone() -> None:
    signed = body(sign(body(), body("CVE")))
    for caller in (SAM, Caller("op", ())):
        patch = break_glass_patch(
            signed, body(), caller, key=KEY, now=NOW, facts=FACTS, operator="op"
        )
        assert patch == {}
    warnings: list[str] = []
    kept = break_glass_patch(
        signed, body(), MALLORY, key=KEY, now=NOW, facts=FACTS, operator="op", warnings=warnings
    )
    assert kept == {
        BREAK_GLASS_ANNOTATION: signed["metadata"]["annotations"][BREAK_GLASS_ANNOTATION]
    }
    assert warnings == [
        "appdeploy.dev/break-glass kept on shop/rel: only the operator and members of "
        "sre-oncall (ReleasePolicy production-store breakGlass.groups) may remove it; "
        "mallory is in none of these groups"
    ]


def test_an_unchanged_value_is_left_alone_by_anyone() -> None:
    signed = body(sign(body(), body("CVE")))
    assert break_glass_patch(signed, signed, MALLORY, key=KEY, now=NOW, facts=FACTS) == {}


def test_a_tampered_unsigned_or_stale_override_is_read_but_not_verified() -> None:
    value = sign(body(), body("CVE"))
    claim = json.loads(value)
    claim["groups"] = ["sre-oncall", "admins"]
    tampered = read_break_glass(body(json.dumps(claim)), KEY)
    assert tampered is not None and (tampered.verified, tampered.problem) == (False, MISMATCH)
    unsigned = read_break_glass(body('{"user": "sam", "groups": ["sre-oncall"]}'), KEY)
    assert unsigned is not None and unsigned.problem == UNSIGNED_BREAK_GLASS
    plain = read_break_glass(body("CVE hotfix"), KEY)
    assert plain is not None and not plain.verified and plain.reason == "CVE hotfix"
    # The spec changed afterwards (a new generation): the override no longer holds.
    stale = read_break_glass(body(value, {**SPEC, "version": "2"}, generation=4), KEY)
    assert stale is not None and not stale.verified and "signed for another spec" in stale.problem
    assert read_break_glass(body(), KEY) is None
