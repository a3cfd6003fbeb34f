"""The chart's RBAC for ReleasePolicies and the door (issue #13), rendered.

Policy admins write ReleasePolicies, viewers read them; the operator may ask
SubjectAccessReviews in both modes (the reference check); editing a
namespace no longer makes anyone a release author unless the admin asks for
the old aggregation; validate-spec fails open unless the admin wants a hard
door. The same roles on the real API server: tests/helm/test_user_roles.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helm.chart import one, render
from tests.helm.variants import VARIANTS

ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    names = ("defaults", "namespaced", "hard-door")
    return {name: render(VARIANTS[name]) for name in names}


def rules_of(objects: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = one(objects, "ClusterRole", name)["rules"]
    return rules


@pytest.mark.parametrize("variant", ["defaults", "namespaced"])
def test_policy_admins_write_policies_and_viewers_read_them(
    variant: str, rendered: dict[str, Any]
) -> None:
    objects = rendered[variant]
    assert rules_of(objects, "appdeploy-policy-admin") == [
        {"apiGroups": ["appdeploy.dev"], "resources": ["releasepolicies"], "verbs": ALL_VERBS}
    ]
    assert rules_of(objects, "appdeploy-policy-viewer") == [
        {
            "apiGroups": ["appdeploy.dev"],
            "resources": ["releasepolicies"],
            "verbs": ["get", "list", "watch"],
        }
    ]
    for name in ("appdeploy-policy-admin", "appdeploy-policy-viewer"):
        labels = one(objects, "ClusterRole", name)["metadata"]["labels"]
        assert not any("aggregate" in label for label in labels), "never aggregated"
    # Nobody but a policy admin writes policies: the people's roles never name them.
    for name in ("appdeploy-view", "appdeploy-edit", "appdeploy-approve"):
        for rule in rules_of(objects, name):
            assert "releasepolicies" not in rule["resources"]


@pytest.mark.parametrize("variant", ["defaults", "namespaced"])
def test_the_operator_may_ask_subject_access_reviews_in_both_modes(
    variant: str, rendered: dict[str, Any]
) -> None:
    objects = rendered[variant]
    assert rules_of(objects, "appdeploy-access-review") == [
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["subjectaccessreviews"],
            "verbs": ["create"],
        }
    ]
    binding = one(objects, "ClusterRoleBinding", "appdeploy-access-review")
    account = one(objects, "ServiceAccount")["metadata"]["name"]
    assert [s["name"] for s in binding["subjects"]] == [account]


def test_edit_and_admin_do_not_make_release_authors_by_default(rendered: dict[str, Any]) -> None:
    for name in ("appdeploy-view", "appdeploy-edit"):
        labels = one(rendered["defaults"], "ClusterRole", name)["metadata"]["labels"]
        assert not any(label.startswith("rbac.authorization.k8s.io/aggregate") for label in labels)
    edit = one(rendered["hard-door"], "ClusterRole", "appdeploy-edit")["metadata"]["labels"]
    assert edit["rbac.authorization.k8s.io/aggregate-to-edit"] == "true", "the old behaviour"


def test_validate_spec_fails_open_unless_the_admin_wants_a_hard_door(
    rendered: dict[str, Any],
) -> None:
    def failure(variant: str) -> str:
        webhooks = one(rendered[variant], "ValidatingWebhookConfiguration")["webhooks"]
        (hook,) = [w for w in webhooks if w["name"] == "validate-spec.appdeploy.dev"]
        policy: str = hook["failurePolicy"]
        return policy

    assert failure("defaults") == "Ignore"
    assert failure("hard-door") == "Fail"


def test_the_reference_check_is_on_unless_turned_off(rendered: dict[str, Any]) -> None:
    def args(variant: str) -> list[str]:
        deployment = one(rendered[variant], "Deployment")
        flags: list[str] = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        return flags

    assert "--no-reference-check" not in args("defaults")
    assert "--no-reference-check" in args("hard-door")


def test_the_cel_shape_policy_is_opt_in_and_takes_every_release_policy_as_param() -> None:
    def shapes(values: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            obj
            for obj in render(values)
            if obj["metadata"]["name"] == "appdeploy-release-policy-shapes"
        ]

    assert shapes(VARIANTS["defaults"]) == []
    policy, binding = shapes({**VARIANTS["defaults"], "releasePolicies": {"admissionPolicy": True}})
    assert policy["spec"]["paramKind"] == {
        "apiVersion": "appdeploy.dev/v1alpha1",
        "kind": "ReleasePolicy",
    }
    assert binding["spec"]["paramRef"] == {"selector": {}, "parameterNotFoundAction": "Allow"}
    assert binding["spec"]["validationActions"] == ["Deny"]
