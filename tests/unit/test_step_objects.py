"""The step-object webhook's rules, as the chart's ValidatingAdmissionPolicy states them.

Each row is a request: which resource, labels before and after, who asks;
and whether (and with which words) it is refused. The policy's messages are
the same, so a refusal reads alike whichever of the two is installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from appdeploy.admission.step_objects import claims, step_object_refusal

OPERATOR = "system:serviceaccount:appdeploy-system:appdeploy"
JOB_CONTROLLER = "system:serviceaccount:kube-system:job-controller"
STEP = {"app.kubernetes.io/managed-by": "appdeploy", "appdeploy.dev/step": "build"}
ADOPTABLE = {"batch.kubernetes.io/controller-uid": "u-1", "job-name": "shop-build-r1-a1"}


def body(labels: dict[str, str] | None) -> dict[str, Any] | None:
    return None if labels is None else {"metadata": {"labels": labels}}


JOBS_REFUSED = "only the appdeploy operator may create Jobs labelled"
PODS_REFUSED = "only the Job controller may create pods labelled"


@pytest.mark.parametrize(
    ("resource", "old", "new", "user", "refusal"),
    [
        ("jobs", None, STEP, OPERATOR, ""),
        ("jobs", None, STEP, "mallory", JOBS_REFUSED),
        ("jobs", None, {"app.kubernetes.io/managed-by": "helm"}, "mallory", ""),
        ("jobs", None, {"team": "a"}, "mallory", ""),
        # relabelled into, or out of, a step's Job
        ("jobs", {"team": "a"}, {**STEP, "team": "a"}, "mallory", JOBS_REFUSED),
        ("jobs", STEP, {}, "mallory", JOBS_REFUSED),
        # the garbage collector orphaning a step Job leaves the labels alone
        ("jobs", STEP, STEP, "system:serviceaccount:kube-system:generic-garbage-collector", ""),
        # a Job's controller-uid is the Job controller's business on Jobs, not a claim
        ("jobs", None, {"batch.kubernetes.io/controller-uid": "u-1"}, "mallory", ""),
        ("pods", None, {**STEP, **ADOPTABLE}, JOB_CONTROLLER, ""),
        ("pods", None, {**STEP, **ADOPTABLE}, "system:kube-controller-manager", ""),
        ("pods", None, ADOPTABLE, "mallory", PODS_REFUSED),
        ("pods", None, {"controller-uid": "u-1"}, "mallory", PODS_REFUSED),
        ("pods", None, STEP, OPERATOR, PODS_REFUSED),
        ("pods", {"app": "mine"}, {"app": "mine", **ADOPTABLE}, "mallory", PODS_REFUSED),
        ("pods", None, {"app": "mine"}, "mallory", ""),
    ],
)
def test_only_the_rightful_creator_changes_step_labels(
    resource: str,
    old: dict[str, str] | None,
    new: dict[str, str],
    user: str,
    refusal: str,
) -> None:
    reason = step_object_refusal(
        resource, body(old), body(new) or {}, username=user, operator=OPERATOR
    )
    assert reason.startswith(refusal) if refusal else reason == ""


def test_the_refusal_lists_the_claimed_labels() -> None:
    reason = step_object_refusal(
        "pods", None, body({**STEP, **ADOPTABLE}) or {}, username="mallory", operator=OPERATOR
    )
    assert reason == (
        "only the Job controller may create pods labelled app.kubernetes.io/managed-by=appdeploy, "
        "appdeploy.dev/step=build, batch.kubernetes.io/controller-uid=u-1 "
        "(or add, change or remove such labels)"
    )
    assert claims({"job-name": "x"}, "pods") == set(), (
        "job-name alone is not what the Job adopts by"
    )
