"""validate-spec at the door: ReleasePolicies and who may use what, as kopf calls the handler.

The policies and the SubjectAccessReviews are given as the operator gives
them (a function of namespace and app; an AccessReview); the stories in
tests/integration/test_policy_admission.py prove the same against the real
API server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kopf
import pytest

from appdeploy.admission.configurations import VALIDATE_SPEC
from appdeploy.admission.references import Access, AccessUnknown, Requester
from appdeploy.admission.webhooks import FORBIDDEN, register_admission
from appdeploy.api.policy import ReleasePolicy, ReleasePolicySpec
from appdeploy.api.spec_hash import spec_hash
from appdeploy.engine.inputs import ObservedBreakGlass, PolicyFacts

COMPLIANCE = {"name": "compliance", "needs": ["build"], "gate": {"approvers": {"groups": ["c"]}}}
UPLOAD = {
    "name": "upload",
    "needs": ["compliance"],
    "run": {"image": "u", "envFrom": [{"secretRef": {"name": "asc-api-key"}}]},
}
SPEC = {
    "app": "shop",
    "version": "1",
    "steps": [{"name": "build", "run": {"image": "b"}}, COMPLIANCE, UPLOAD],
}
NO_GATE = {**SPEC, "steps": [SPEC["steps"][0], {**UPLOAD, "needs": ["build"]}]}


def policy(enforcement: str = "Deny", **fields: Any) -> ReleasePolicy:
    spec = {
        "protect": {"secretNames": ["asc-api-key"], "serviceAccountNames": ["store-publisher"]},
        "requireGates": [{"name": "compliance"}],
        "enforcement": enforcement,
        "breakGlass": {"groups": ["sre-oncall"]},
        **fields,
    }
    return ReleasePolicy("production-store", ReleasePolicySpec.model_validate(spec))


class Reviews:
    """A fake AccessReview: the (verb, name) pairs allowed, and every question asked."""

    def __init__(self, *allowed: tuple[str, str], fail: bool = False) -> None:
        self.allowed = set(allowed)
        self.asked: list[tuple[str, str, str, str, str]] = []
        self.fail = fail

    def __call__(
        self, who: Requester, namespace: str, verb: str, resource: str, name: str
    ) -> Access:
        self.asked.append((who.username, namespace, verb, resource, name))
        if self.fail:
            raise AccessUnknown("connection refused")
        return Access((verb, name) in self.allowed)


def admit(
    spec: Any,
    *,
    facts: PolicyFacts | None,
    old: Any = None,
    reviews: Reviews | None = None,
    glass: ObservedBreakGlass | None = None,
) -> tuple[str, list[str]]:
    """(refusal or "", warnings) of validate-spec for ``spec``, as alice in mobile."""
    registry = kopf.OperatorRegistry()
    register_admission(
        registry,
        signing_key=lambda: b"k" * 32,
        policies=lambda namespace, app: facts,
        break_glass=lambda body: glass,
        access_review=reviews,
    )
    (handler,) = [h for h in registry._webhooks.get_all_handlers() if h.id == VALIDATE_SPEC]
    metadata = {"name": "rel", "namespace": "mobile"}
    userinfo = {"username": "alice", "uid": "u1", "groups": ["dev"], "extra": {"scopes": ["a"]}}
    warnings: list[str] = []
    previous = None if old is None else kopf.Body({"metadata": metadata, "spec": old})
    try:
        handler.fn(
            body=kopf.Body({"metadata": metadata, "spec": spec}),
            old=previous,
            userinfo=userinfo,
            warnings=warnings,
        )
    except kopf.AdmissionError as refused:
        assert refused.code == FORBIDDEN
        return str(refused), warnings
    return "", warnings


def test_a_deny_violation_is_refused_naming_policy_rule_and_field() -> None:
    refusal, _ = admit(NO_GATE, facts=PolicyFacts((policy(),)))
    assert refusal == (
        "ReleasePolicy production-store (rule requireGates): spec.steps: ReleasePolicy "
        "production-store requires a gate step named compliance; add it upstream of the "
        "protected steps; ReleasePolicy production-store (rule protect): spec.steps[1]: upload "
        "uses Secret asc-api-key, protected by ReleasePolicy production-store, and needs gate "
        "compliance upstream"
    )
    assert admit(SPEC, facts=PolicyFacts((policy(),))) == ("", [])


def test_warn_is_admitted_with_warnings_and_audit_silently() -> None:
    refusal, warnings = admit(NO_GATE, facts=PolicyFacts((policy("Warn"),)))
    assert refusal == ""
    assert len(warnings) == 2
    assert warnings[1].startswith("ReleasePolicy production-store (rule protect): spec.steps[1]:")
    assert warnings[1].endswith("(enforcement Warn: admitted)")
    assert admit(NO_GATE, facts=PolicyFacts((policy("Audit"),))) == ("", [])


def test_unknown_policies_admit_with_a_warning_that_the_operator_judges() -> None:
    for facts in (None, PolicyFacts(unknown="the ReleasePolicies have not been listed yet")):
        refusal, [warning] = admit(NO_GATE, facts=facts)
        assert refusal == ""
        assert warning.startswith("ReleasePolicies not checked at admission (")
        assert "the operator will judge this release" in warning


def test_a_verified_break_glass_for_this_spec_admits_naming_who_broke_it() -> None:
    glass = ObservedBreakGlass(
        "carol", ("sre-oncall",), "store outage", spec_hash(NO_GATE), datetime.now(UTC), True
    )
    refusal, [warning] = admit(NO_GATE, facts=PolicyFacts((policy(),)), glass=glass)
    assert refusal == ""
    assert warning.startswith("ReleasePolicy production-store overridden by break-glass of carol")
    other = ObservedBreakGlass("carol", ("sre-oncall",), "", spec_hash(SPEC), None, True)
    assert admit(NO_GATE, facts=PolicyFacts((policy(),)), glass=other)[0] != ""


def test_only_a_changed_spec_is_judged_on_update() -> None:
    assert admit(NO_GATE, old=NO_GATE, facts=PolicyFacts((policy(),))) == ("", [])
    assert admit(NO_GATE, old=SPEC, facts=PolicyFacts((policy(),)))[0] != ""


def test_each_referenced_secret_and_account_is_reviewed_for_the_requester() -> None:
    spec = {**SPEC, "serviceAccountName": "store-publisher"}
    reviews = Reviews(("use", "store-publisher"))
    refusal, _ = admit(spec, facts=PolicyFacts(), reviews=reviews)
    assert refusal == (
        "spec.steps[2].run.envFrom[0].secretRef.name: upload reads Secret asc-api-key, but alice "
        "may not get it (RBAC: no Role or ClusterRole bound to alice grants get on secrets "
        "asc-api-key in namespace mobile)"
    )
    # One question per object and request: the account is asked once for three steps.
    assert reviews.asked == [
        ("alice", "mobile", "use", "serviceaccounts", "store-publisher"),
        ("alice", "mobile", "get", "secrets", "asc-api-key"),
    ]
    allowed = Reviews(("use", "store-publisher"), ("get", "asc-api-key"))
    assert admit(spec, facts=PolicyFacts(), reviews=allowed) == ("", [])


def test_the_default_account_is_not_reviewed_and_a_failed_review_refuses() -> None:
    plain = {"app": "shop", "version": "1", "steps": [{"name": "b", "run": {"image": "b"}}]}
    reviews = Reviews()
    assert admit(plain, facts=PolicyFacts(), reviews=reviews) == ("", [])
    assert admit({**plain, "serviceAccountName": "default"}, facts=None, reviews=reviews)[0] == ""
    assert reviews.asked == []
    refusal, _ = admit(SPEC, facts=PolicyFacts(), reviews=Reviews(fail=True))
    assert refusal.endswith("could not be checked (connection refused); try again")


def test_the_requester_is_reviewed_as_the_api_server_authenticated_them() -> None:
    reviews = Reviews()
    admit({**SPEC, "serviceAccountName": "x"}, facts=PolicyFacts(), reviews=reviews)
    who = Requester.from_userinfo(
        {"username": "alice", "uid": "u1", "groups": ["dev"], "extra": {"scopes": ["a"]}}
    )
    assert who == Requester("alice", ("dev",), "u1", {"scopes": ["a"]})


@pytest.mark.parametrize("facts", [PolicyFacts((policy(),)), None])
def test_policy_and_reference_refusals_are_reported_together(facts: PolicyFacts | None) -> None:
    refusal, _ = admit(NO_GATE, facts=facts, reviews=Reviews())
    assert "upload reads Secret asc-api-key, but alice may not get it" in refusal
    assert ("ReleasePolicy production-store (rule protect)" in refusal) is (facts is not None)


def test_an_account_named_once_for_the_whole_spec_is_refused_once() -> None:
    steps = [{"name": name, "run": {"image": "i"}} for name in ("build", "sign", "ship")]
    spec = {"app": "shop", "version": "1", "steps": steps, "serviceAccountName": "publisher"}
    refusal, _ = admit(spec, facts=PolicyFacts(), reviews=Reviews())
    assert refusal.startswith(
        "spec.serviceAccountName: build, sign and ship run as ServiceAccount publisher, but "
        "alice may not use it (RBAC: "
    )
    assert refusal.count("spec.serviceAccountName") == 1
