"""The webhook configurations, as manifests (tests apply them; the Helm chart templates them).

Scoping, so that a GitOps sync is never blocked by an operator that is down:

- validate-spec sees creates and updates of AppDeployments, with failurePolicy
  Ignore: the operator validates again (phase Invalid), and a down webhook
  must not block deploys (the chart lets an admin choose Fail instead:
  webhook.validateSpecFailurePolicy).
- sign-decisions (mutating) and check-decisions see only requests that add,
  change or remove ``approve.``/``reject.appdeploy.dev/`` annotations (or their
  authored ``<author>.approve.appdeploy.dev/`` keys), ``appdeploy.dev/retry``
  or ``appdeploy.dev/cancel`` (matchConditions: these are signed too),
  with failurePolicy Fail: a decision is never stored unsigned or unchecked;
  while the operator is down, approvals wait and everything else goes on.
- sign-spec (mutating) sees creates, spec changes and requests that touch
  ``appdeploy.dev/spec-author``, with failurePolicy Ignore: GitOps keeps
  flowing while the operator is down, and the operator then records the run
  as unattributed (docs/security.md, "Attributed changes").
- sign-break-glass (mutating) sees only requests that add, change or remove
  ``appdeploy.dev/break-glass``, with failurePolicy Fail: an override is never
  stored unsigned while the webhook is configured.
- check-step-jobs and check-step-pods (optional: where no
  ValidatingAdmissionPolicy is installed) see only Jobs and pods labelled as
  a step's (before or after the request) that someone other than their
  rightful creator (the operator, the Job controller) creates or updates,
  with failurePolicy Fail: what reaches them is refused unless it leaves
  the labels alone, so a down operator blocks no step pod and no unrelated
  Job's pod, and a forgery is never let in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from appdeploy.admission.step_objects import JOB_CONTROLLER_USERS
from appdeploy.k8s.labels import (
    BREAK_GLASS_ANNOTATION,
    CONTROLLER_UID,
    GROUP,
    MANAGED_BY,
    MANAGER,
    PLURAL,
    SPEC_AUTHOR_ANNOTATION,
    VERSION,
)

VALIDATE_SPEC = "validate-spec"
SIGN_DECISIONS = "sign-decisions"
CHECK_DECISIONS = "check-decisions"
CHECK_STEP_JOBS = "check-step-jobs"
CHECK_STEP_PODS = "check-step-pods"
SIGN_SPEC = "sign-spec"
SIGN_BREAK_GLASS = "sign-break-glass"
NAME = "appdeploy"

IS_DECISION = (
    "(k.startsWith('approve.appdeploy.dev/') || k.startsWith('reject.appdeploy.dev/') || "
    "k.contains('.approve.appdeploy.dev/') || k.contains('.reject.appdeploy.dev/') || "
    "k == 'appdeploy.dev/retry' || k == 'appdeploy.dev/cancel')"
)
"""A human action's key: a decision (as written, or under its author's own key), retry, cancel."""

TOUCHES_DECISIONS = (
    "(has(object.metadata.annotations) && object.metadata.annotations.exists(k, "
    + IS_DECISION
    + " && (oldObject == null || !has(oldObject.metadata.annotations) || "
    "!(k in oldObject.metadata.annotations) || "
    "oldObject.metadata.annotations[k] != object.metadata.annotations[k]))) || "
    "(oldObject != null && has(oldObject.metadata.annotations) && "
    "oldObject.metadata.annotations.exists(k, "
    + IS_DECISION
    + " && (!has(object.metadata.annotations) || !(k in object.metadata.annotations))))"
)
"""Requests that add, change or remove a human action (removing another's decision is refused)."""


def _has_annotation(body: str, key: str) -> str:
    guard = f"has({body}.metadata.annotations)"
    if body == "oldObject":
        guard = f"oldObject != null && {guard}"
    return f"({guard} && '{key}' in {body}.metadata.annotations)"


def touches_annotation(key: str) -> str:
    """CEL: the request adds, changes or removes annotation ``key``."""
    new, old = _has_annotation("object", key), _has_annotation("oldObject", key)
    return (
        f"({new} != {old}) || ({new} && {old} && "
        f"object.metadata.annotations['{key}'] != oldObject.metadata.annotations['{key}'])"
    )


SPEC_CHANGES = (
    "oldObject == null || has(object.spec) != has(oldObject.spec) || "
    "(has(object.spec) && object.spec != oldObject.spec)"
)
"""CEL: a create, or an update whose spec differs (the requests that make a new run)."""


def _carries_claims(body: str, resource: str) -> str:
    labels = f"{body}.metadata.labels"
    claim = f"k.startsWith('{GROUP}/') || (k == '{MANAGED_BY}' && {labels}[k] == '{MANAGER}')"
    if resource == "pods":
        claim += f" || k == '{CONTROLLER_UID}' || k == 'controller-uid'"
    guard = f"has({labels})" if body == "object" else f"{body} != null && has({labels})"
    return f"({guard} && {labels}.exists(k, {claim}))"


def _claimed(resource: str) -> str:
    return f"{_carries_claims('object', resource)} || {_carries_claims('oldObject', resource)}"


def step_job_conditions(operator_user: str) -> dict[str, str]:
    """Only Jobs labelled (before or after) as steps, from anyone but the operator."""
    return {
        "claims-step-labels": _claimed("jobs"),
        "not-the-operator": f"request.userInfo.username != '{operator_user}'",
    }


def step_pod_conditions(job_controller: Sequence[str]) -> dict[str, str]:
    """Only pods labelled as steps' or a Job's, from anyone but the Job controller."""
    users = json.dumps(list(job_controller), separators=(",", ":"))
    return {
        "claims-step-labels": _claimed("pods"),
        "not-the-job-controller": f"!(request.userInfo.username in {users})",
    }


def _client_config(
    path: str, ca_bundle: str, base_url: str | None, service: dict[str, Any] | None
) -> dict[str, Any]:
    if base_url is not None:
        return {"url": f"{base_url.rstrip('/')}/{path}", "caBundle": ca_bundle}
    assert service is not None, "give base_url or service"
    return {"service": {**service, "path": f"/{path}"}, "caBundle": ca_bundle}


def _webhook(
    path: str,
    client_config: dict[str, Any],
    *,
    failure: str,
    rules: list[dict[str, Any]],
    conditions: dict[str, str],
) -> dict[str, Any]:
    hook: dict[str, Any] = {
        "name": f"{path}.{GROUP}",
        "clientConfig": client_config,
        "rules": rules,
        "failurePolicy": failure,
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "timeoutSeconds": 10,
    }
    if conditions:
        hook["matchConditions"] = [
            {"name": name, "expression": expression} for name, expression in conditions.items()
        ]
    return hook


def _rule(group: str, version: str, resource: str) -> dict[str, Any]:
    return {
        "apiGroups": [group],
        "apiVersions": [version],
        "resources": [resource],
        "operations": ["CREATE", "UPDATE"],
        "scope": "Namespaced",
    }


RELEASES = _rule(GROUP, VERSION, PLURAL)
STEP_JOBS = _rule("batch", "*", "jobs")
STEP_PODS = _rule("", "*", "pods")


def webhook_configurations(
    ca_bundle: str,
    *,
    base_url: str | None = None,
    service: dict[str, Any] | None = None,
    namespace_selector: dict[str, Any] | None = None,
    name: str = NAME,
    operator_user: str | None = None,
    job_controller: Sequence[str] = JOB_CONTROLLER_USERS,
) -> list[dict[str, Any]]:
    """Mutating and validating configurations; give a base URL (local) or a Service (in-cluster).

    ``namespace_selector`` limits them to some namespaces (namespaced installs, tests).
    ``operator_user`` (the operator's username) adds the step-object hooks, which
    let only it create Jobs labelled as steps, and only ``job_controller`` such pods.
    """

    def hook(
        path: str,
        failure: str,
        conditions: dict[str, str] | None = None,
        rule: dict[str, Any] = RELEASES,
    ) -> dict[str, Any]:
        config = _client_config(path, ca_bundle, base_url, service)
        webhook = _webhook(path, config, failure=failure, rules=[rule], conditions=conditions or {})
        if namespace_selector is not None:
            webhook["namespaceSelector"] = namespace_selector
        return webhook

    decisions_only = {"touches-decisions": TOUCHES_DECISIONS}
    spec_changes = {
        "changes-spec-or-author": f"{SPEC_CHANGES} || {touches_annotation(SPEC_AUTHOR_ANNOTATION)}"
    }
    break_glass_only = {"touches-break-glass": touches_annotation(BREAK_GLASS_ANNOTATION)}
    step_hooks = []
    if operator_user is not None:
        # Fail closed: only forgeries reach them (matchConditions), so a down
        # operator refuses forgeries and blocks nothing else.
        step_hooks = [
            hook(CHECK_STEP_JOBS, "Fail", step_job_conditions(operator_user), STEP_JOBS),
            hook(CHECK_STEP_PODS, "Fail", step_pod_conditions(job_controller), STEP_PODS),
        ]

    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [
                hook(SIGN_DECISIONS, "Fail", decisions_only),
                # Fails open: GitOps goes on while the operator is down; the run is then
                # recorded as unattributed.
                hook(SIGN_SPEC, "Ignore", spec_changes),
                hook(SIGN_BREAK_GLASS, "Fail", break_glass_only),
            ],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [
                hook(VALIDATE_SPEC, "Ignore"),
                hook(CHECK_DECISIONS, "Fail", decisions_only),
                *step_hooks,
            ],
        },
    ]
