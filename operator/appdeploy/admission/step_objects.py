"""Who may create step objects: the operator's own webhook for Jobs and pods.

A step's result is read from its Job and that Job's pods, and the Job
controller adopts any pod carrying a Job's ``controller-uid`` label, counts
its success and marks the real Job Complete. So only the operator may
create (or relabel into, or out of) Jobs carrying appdeploy's labels, and
only the Job controller pods carrying them or a Job's ``controller-uid``
label. These are the rules of the chart's ValidatingAdmissionPolicy
(helm/appdeploy/templates/step-objects-policy.yaml), for clusters that have
no ValidatingAdmissionPolicy; the two must say the same
(tests/unit/test_step_objects.py).

Pure functions of the request: labels before and after, and who asks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from appdeploy.k8s.labels import CONTROLLER_UID, GROUP, MANAGED_BY, MANAGER

JOB_CONTROLLER_USERS = (
    "system:serviceaccount:kube-system:job-controller",
    "system:kube-controller-manager",
)
"""Who the Job controller is: its own service account where kube-controller-manager runs
with --use-service-account-credentials, else the controller manager itself."""

_LEGACY_CONTROLLER_UID = "controller-uid"


def claims(labels: Mapping[str, str] | None, resource: str) -> set[str]:
    """The ``key=value`` labels that claim an object is a step's (for ``jobs`` or ``pods``)."""
    claimed = set()
    for key, value in (labels or {}).items():
        ours = key.startswith(f"{GROUP}/") or (key == MANAGED_BY and value == MANAGER)
        job_controllers = resource == "pods" and key in (CONTROLLER_UID, _LEGACY_CONTROLLER_UID)
        if ours or job_controllers:
            claimed.add(f"{key}={value}")
    return claimed


def step_object_refusal(
    resource: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    *,
    username: str,
    operator: str,
    job_controller: Sequence[str] = JOB_CONTROLLER_USERS,
) -> str:
    """Why this create or update of a Job or pod is refused ("" when it is allowed).

    Only a request that adds, changes or removes a claim is judged; anything
    else about step objects (status, annotations, finalizers) is not ours.
    """
    before, after = claims(_labels(old), resource), claims(_labels(new), resource)
    if before == after:
        return ""
    listed = ", ".join(sorted(after))
    if resource == "jobs" and username != operator:
        return (
            f"only the appdeploy operator may create Jobs labelled {listed} "
            "(or add, change or remove such labels)"
        )
    if resource == "pods" and username not in job_controller:
        return (
            f"only the Job controller may create pods labelled {listed} "
            "(or add, change or remove such labels)"
        )
    return ""


def _labels(body: Mapping[str, Any] | None) -> dict[str, str]:
    if not body:
        return {}
    return dict((body.get("metadata") or {}).get("labels") or {})
