"""ReleasePolicy evaluation (appdeploy.engine.policies): scope, protected steps, gate rules."""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.api.policy import Enforcement, ReleasePolicy, ReleasePolicySpec
from appdeploy.api.spec import AppDeploymentSpec
from appdeploy.api.validation import parse_spec
from appdeploy.engine.policies import (
    Rule,
    applicable,
    applies,
    protected_steps,
    scope,
    violations,
)

PRODUCTION = {"appdeploy.dev/tier": "production"}


def policy(name: str = "production-store", **fields: Any) -> ReleasePolicy:
    spec: dict[str, Any] = {
        "namespaceSelector": {"matchLabels": PRODUCTION},
        "protect": {"serviceAccountNames": ["store-publisher"], "secretNames": ["asc-api-key"]},
        "requireGates": [{"name": "compliance"}],
        **fields,
    }
    return ReleasePolicy(name, ReleasePolicySpec.model_validate(spec))


def gate(name: str, needs: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    body = {"approvers": {"groups": ["compliance"]}, **fields}
    return {"name": name, "needs": needs or [], "gate": body}


def run(name: str, needs: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    return {"name": name, "needs": needs or [], "run": {"image": "i", **fields}}


def release(*steps: dict[str, Any], **fields: Any) -> AppDeploymentSpec:
    return parse_spec({"app": "shop", "version": "1.0.0", "steps": list(steps), **fields})


UPLOAD = {"envFrom": [{"secretRef": {"name": "asc-api-key"}}]}


def found(spec: AppDeploymentSpec, *policies: ReleasePolicy) -> list[tuple[Rule, str]]:
    return [(v.rule, v.path) for v in violations(spec, list(policies))]


# --- scope -------------------------------------------------------------------


def test_a_policy_applies_by_namespace_labels_and_app_glob() -> None:
    shop_only = policy(apps=["shop-*"])
    assert applies(shop_only, PRODUCTION, "shop-ios")
    assert not applies(shop_only, PRODUCTION, "shop")
    assert not applies(shop_only, {"appdeploy.dev/tier": "staging"}, "shop-ios")
    assert not applies(shop_only, {}, "shop-ios")
    everywhere = policy(namespaceSelector={})
    assert applies(everywhere, {}, "anything")
    assert "selects every namespace" in scope(everywhere, {}, "x").reasons[0]
    assert applicable([shop_only, everywhere], {}, "shop-ios") == [everywhere]


@pytest.mark.parametrize(
    ("operator", "values", "labels", "expected"),
    [
        ("In", ["production", "store"], PRODUCTION, True),
        ("In", ["store"], PRODUCTION, False),
        ("NotIn", ["production"], PRODUCTION, False),
        ("NotIn", ["production"], {}, True),  # Kubernetes: a missing key is "not in"
        ("Exists", [], PRODUCTION, True),
        ("Exists", [], {}, False),
        ("DoesNotExist", [], {}, True),
        ("DoesNotExist", [], PRODUCTION, False),
    ],
)
def test_match_expressions_follow_kubernetes_label_selectors(
    operator: str, values: list[str], labels: dict[str, str], expected: bool
) -> None:
    expression = {"key": "appdeploy.dev/tier", "operator": operator, "values": values}
    selected = policy(namespaceSelector={"matchExpressions": [expression]})
    assert applies(selected, labels, "shop") is expected


# --- protected steps ---------------------------------------------------------


def test_the_issue_message_names_step_secret_policy_and_gate() -> None:
    spec = release(run("build"), run("upload-testflight", ["build"], **UPLOAD))
    (violation,) = [v for v in violations(spec, [policy()]) if v.rule is Rule.PROTECT]
    assert str(violation) == (
        "spec.steps[1]: upload-testflight uses Secret asc-api-key, protected by ReleasePolicy "
        "production-store, and needs gate compliance upstream"
    )
    assert violation.enforcement is Enforcement.DENY and violation.policy == "production-store"


def test_a_protected_step_behind_the_gate_transitively_passes() -> None:
    spec = release(
        run("build"),
        gate("compliance", ["build"], required=1),
        run("sign", ["compliance"]),
        run("upload", ["sign"], **UPLOAD),
    )
    assert found(spec, policy()) == []


def test_a_gate_beside_the_step_is_not_upstream() -> None:
    spec = release(run("build"), gate("compliance", ["build"]), run("upload", ["build"], **UPLOAD))
    assert found(spec, policy()) == [(Rule.PROTECT, "spec.steps[2]")]


@pytest.mark.parametrize(
    ("fields", "spec_fields", "field"),
    [
        ({"serviceAccountName": "store-publisher"}, {}, "spec.steps[0].run.serviceAccountName"),
        ({}, {"serviceAccountName": "store-publisher"}, "spec.serviceAccountName"),
        (UPLOAD, {}, "spec.steps[0].run.envFrom[0].secretRef.name"),
        (
            {
                "env": [
                    {
                        "name": "K",
                        "valueFrom": {"secretKeyRef": {"name": "asc-api-key", "key": "k"}},
                    }
                ]
            },
            {},
            "spec.steps[0].run.env[0].valueFrom.secretKeyRef.name",
        ),
    ],
)
def test_a_step_is_protected_by_what_it_uses(
    fields: dict[str, Any], spec_fields: dict[str, Any], field: str
) -> None:
    spec = release(run("upload", **fields), **spec_fields)
    (protected,) = protected_steps(spec, policy())
    assert [use.path for use in protected.uses] == [field]


def test_the_default_service_account_is_protected_when_named() -> None:
    spec = release(run("build"), gate("compliance"))
    (protected,) = protected_steps(spec, policy(protect={"serviceAccountNames": ["default"]}))
    assert protected.path == "spec.steps[0]" and str(protected.uses[0]) == "ServiceAccount default"


def test_a_config_map_or_another_secret_protects_nothing() -> None:
    spec = release(
        run(
            "build",
            envFrom=[{"configMapRef": {"name": "asc-api-key"}}, {"secretRef": {"name": "x"}}],
        )
    )
    assert protected_steps(spec, policy()) == []


def test_a_protected_finally_step_is_refused_even_with_the_gate_in_steps() -> None:
    finally_ = [run("notify", **UPLOAD)]
    spec = release(gate("compliance"), run("ship", ["compliance"]), **{"finally": finally_})
    (violation,) = violations(spec, [policy()])
    assert (violation.rule, violation.path) == (Rule.PROTECT, "spec.finally[0]")
    assert "runs whatever the outcome" in violation.message


# --- required gates ----------------------------------------------------------


def test_a_missing_required_gate_is_reported_even_without_protected_steps() -> None:
    spec = release(run("build"))
    assert found(spec, policy()) == [(Rule.REQUIRE_GATES, "spec.steps")]


def test_a_run_step_named_like_the_gate_is_not_the_gate() -> None:
    spec = release(run("compliance"), run("upload", ["compliance"], **UPLOAD))
    assert found(spec, policy()) == [
        (Rule.REQUIRE_GATES, "spec.steps[0]"),
        (Rule.PROTECT, "spec.steps[1]"),
    ]


STRICT_GATE = {
    "name": "compliance",
    "approverGroups": ["compliance"],
    "minRequired": 2,
    "distinctFrom": ["qa"],
    "maxTimeout": "72h",
    "onTimeout": "Fail",
}
FORBID_ALL = {"namedApprovers": True, "serviceAccountApprovers": True, "onTimeoutApprove": True}


def strict(**fields: Any) -> ReleasePolicy:
    return policy(requireGates=[STRICT_GATE], forbid=FORBID_ALL, **fields)


def conforming(**changes: Any) -> AppDeploymentSpec:
    body = {"required": 2, "distinctFrom": ["qa"], "onTimeout": "Fail", **changes}
    compliance = {**gate("compliance", ["qa"], **body), "timeout": "72h"}
    return release({"name": "qa", "gate": {"approvers": {"groups": ["qa"]}}}, compliance)


def test_a_conforming_release_passes_the_strict_policy() -> None:
    assert found(conforming(), strict()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"required": 1}, [(Rule.MIN_REQUIRED, "spec.steps[1].gate.required")]),
        ({"distinctFrom": []}, [(Rule.DISTINCT_FROM, "spec.steps[1].gate.distinctFrom")]),
        ({"onTimeout": "Approve"}, [(Rule.ON_TIMEOUT, "spec.steps[1].gate.onTimeout")]),
        (
            {"approvers": {"groups": ["compliance", "qa"]}},
            [(Rule.APPROVER_GROUPS, "spec.steps[1].gate.approvers.groups[1]")],
        ),
        (
            {"approvers": {"users": ["alice", "bob"]}},
            [
                (Rule.APPROVER_GROUPS, "spec.steps[1].gate.approvers.groups"),
                (Rule.NAMED_APPROVERS, "spec.steps[1].gate.approvers.users[0]"),
                (Rule.NAMED_APPROVERS, "spec.steps[1].gate.approvers.users[1]"),
            ],
        ),
        (
            {
                "notify": {
                    "escalate": [
                        {"after": "1h", "addApprovers": {"users": ["bob"], "groups": ["sre"]}}
                    ]
                }
            },
            [
                (
                    Rule.APPROVER_GROUPS,
                    "spec.steps[1].gate.notify.escalate[0].addApprovers.groups[0]",
                ),
                (
                    Rule.NAMED_APPROVERS,
                    "spec.steps[1].gate.notify.escalate[0].addApprovers.users[0]",
                ),
            ],
        ),
        (
            {"notify": {"escalate": [{"after": "1h", "extendDeadline": "1h"}]}},
            [(Rule.MAX_TIMEOUT, "spec.steps[1].timeout")],
        ),
    ],
)
def test_each_floor_and_ceiling_of_a_required_gate(
    changes: dict[str, Any], expected: list[tuple[Rule, str]]
) -> None:
    assert found(conforming(**changes), strict()) == expected


def test_max_timeout_counts_the_default_and_caps_extensions_at_the_timeout() -> None:
    spec = release(gate("compliance"), defaults={"gateTimeout": "48h"})
    capped = {
        "notify": {
            "escalate": [
                {"after": "1h", "extendDeadline": "1d"},
                {"after": "2h", "extendDeadline": "1d"},
            ]
        }
    }
    policy_ = policy(requireGates=[{"name": "compliance", "maxTimeout": "72h"}])
    assert found(spec, policy_) == []
    spec = release(gate("compliance", **capped), defaults={"gateTimeout": "48h"})
    (violation,) = violations(spec, [policy_])
    assert violation.path == "spec.defaults.gateTimeout"
    assert "may wait 4d (2d timeout + 2d extended by escalation)" in violation.message


def test_service_accounts_are_refused_as_approvers_when_only_they_are_forbidden() -> None:
    spec = release(
        gate("compliance", approvers={"users": ["system:serviceaccount:ci:bot", "alice"]})
    )
    policy_ = policy(forbid={"serviceAccountApprovers": True})
    assert found(spec, policy_) == [
        (Rule.SERVICE_ACCOUNT_APPROVERS, "spec.steps[0].gate.approvers.users[0]")
    ]


def test_a_required_gate_must_ask_its_approvers_to_attest_what_the_policy_names() -> None:
    attesting = policy(requireGates=[{"name": "compliance", "attest": ["buildDigest"]}])
    build = run("build")
    lacking = release(build, gate("compliance", ["build"], attest={"notes": "read them"}))
    (violation,) = violations(lacking, [attesting])
    assert (violation.rule, violation.path) == (Rule.ATTEST, "spec.steps[1].gate.attest")
    assert "compliance must ask its approvers to attest buildDigest" in violation.message
    assert "ReleasePolicy production-store" in violation.message
    digest = {"buildDigest": "$(steps.build.outputs.sha)"}
    assert found(release(build, gate("compliance", ["build"], attest=digest)), attesting) == []


def test_on_timeout_approve_is_forbidden_on_required_gates_only() -> None:
    spec = release(gate("compliance", onTimeout="Approve"), gate("qa", onTimeout="Approve"))
    assert found(spec, policy(forbid={"onTimeoutApprove": True})) == [
        (Rule.ON_TIMEOUT_APPROVE, "spec.steps[0].gate.onTimeout")
    ]


def test_each_violation_carries_its_own_policys_enforcement() -> None:
    spec = release(run("upload", **UPLOAD))
    warn, audit = policy("warn", enforcement="Warn"), policy("audit", enforcement="Audit")
    assert {(v.policy, v.enforcement) for v in violations(spec, [warn, audit])} == {
        ("warn", Enforcement.WARN),
        ("audit", Enforcement.AUDIT),
    }


SECRET = {"name": "asc-api-key", "key": "k"}


@pytest.mark.parametrize(
    ("provider", "field"),
    [
        (
            {"sentry": {"org": "o", "project": "p", "release": "r", "tokenSecretRef": SECRET}},
            "spec.steps[0].check.provider.sentry.tokenSecretRef.name",
        ),
        (
            {
                "playVitals": {
                    "packageName": "com.acme.shop",
                    "metricSet": "crashRate",
                    "versionCode": "1",
                    "serviceAccountSecretRef": SECRET,
                }
            },
            "spec.steps[0].check.provider.playVitals.serviceAccountSecretRef.name",
        ),
        (
            {
                "http": {
                    "url": "http://127.0.0.1:1/",
                    "jsonPath": "$.v",
                    "headers": [
                        {"name": "X-Plain", "value": "v"},
                        {"name": "Authorization", "valueFrom": {"secretKeyRef": SECRET}},
                    ],
                }
            },
            "spec.steps[0].check.provider.http.headers[1].valueFrom.secretKeyRef.name",
        ),
    ],
)
def test_a_check_step_uses_the_secrets_its_provider_reads(
    provider: dict[str, Any], field: str
) -> None:
    check = {"provider": provider, "successCondition": {"min": 0.9}}
    spec = release({"name": "health", "check": check}, serviceAccountName="checker")
    (protected,) = protected_steps(spec, policy())
    assert [use.path for use in protected.uses] == [field]
    assert ("protect", "spec.steps[0]") in [(str(r), p) for r, p in found(spec, policy())]
