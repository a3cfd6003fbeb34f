"""The webhook configurations, as manifests (tests apply them; the Helm chart templates them).

Scoping, so that a GitOps sync is never blocked by an operator that is down:

- validate-spec sees creates and updates of AppDeployments, with failurePolicy
  Ignore: the operator validates again (phase Invalid), and a down webhook
  must not block deploys.
- sign-decisions (mutating) and check-decisions see only requests that add,
  change or remove ``approve.``/``reject.appdeploy.dev/`` annotations (or their
  authored ``<author>.approve.appdeploy.dev/`` keys), ``appdeploy.dev/retry``
  or ``appdeploy.dev/cancel`` (matchConditions: these are signed too),
  with failurePolicy Fail: a decision is never stored unsigned or unchecked;
  while the operator is down, approvals wait and everything else goes on.
"""

from __future__ import annotations

from typing import Any

from appdeploy.k8s.labels import GROUP, PLURAL, VERSION

VALIDATE_SPEC = "validate-spec"
SIGN_DECISIONS = "sign-decisions"
CHECK_DECISIONS = "check-decisions"
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


def _client_config(
    path: str, ca_bundle: str, base_url: str | None, service: dict[str, Any] | None
) -> dict[str, Any]:
    if base_url is not None:
        return {"url": f"{base_url.rstrip('/')}/{path}", "caBundle": ca_bundle}
    assert service is not None, "give base_url or service"
    return {"service": {**service, "path": f"/{path}"}, "caBundle": ca_bundle}


def _webhook(
    path: str, client_config: dict[str, Any], *, failure: str, only_decisions: bool
) -> dict[str, Any]:
    hook: dict[str, Any] = {
        "name": f"{path}.{GROUP}",
        "clientConfig": client_config,
        "rules": [
            {
                "apiGroups": [GROUP],
                "apiVersions": [VERSION],
                "resources": [PLURAL],
                "operations": ["CREATE", "UPDATE"],
                "scope": "Namespaced",
            }
        ],
        "failurePolicy": failure,
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "timeoutSeconds": 10,
    }
    if only_decisions:
        hook["matchConditions"] = [{"name": "touches-decisions", "expression": TOUCHES_DECISIONS}]
    return hook


def webhook_configurations(
    ca_bundle: str,
    *,
    base_url: str | None = None,
    service: dict[str, Any] | None = None,
    namespace_selector: dict[str, Any] | None = None,
    name: str = NAME,
) -> list[dict[str, Any]]:
    """Mutating and validating configurations; give a base URL (local) or a Service (in-cluster).

    ``namespace_selector`` limits them to some namespaces (namespaced installs, tests).
    """

    def hook(path: str, failure: str, only_decisions: bool) -> dict[str, Any]:
        config = _client_config(path, ca_bundle, base_url, service)
        webhook = _webhook(path, config, failure=failure, only_decisions=only_decisions)
        if namespace_selector is not None:
            webhook["namespaceSelector"] = namespace_selector
        return webhook

    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [hook(SIGN_DECISIONS, "Fail", True)],
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [
                hook(VALIDATE_SPEC, "Ignore", False),
                hook(CHECK_DECISIONS, "Fail", True),
            ],
        },
    ]
