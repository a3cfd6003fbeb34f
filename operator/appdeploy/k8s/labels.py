"""Labels and annotation keys the operator owns (all under ``appdeploy.dev``)."""

from __future__ import annotations

GROUP = "appdeploy.dev"
VERSION = "v1alpha1"
PLURAL = "appdeployments"
KIND = "AppDeployment"
API_VERSION = f"{GROUP}/{VERSION}"

DEPLOYMENT = "appdeploy.dev/deployment"
STEP = "appdeploy.dev/step"
RUN = "appdeploy.dev/run"
ATTEMPT = "appdeploy.dev/attempt"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "appdeploy"

APPROVE_PREFIX = "approve.appdeploy.dev/"
REJECT_PREFIX = "reject.appdeploy.dev/"
RETRY_ANNOTATION = "appdeploy.dev/retry"
CANCEL_ANNOTATION = "appdeploy.dev/cancel"
SPEC_AUTHOR_ANNOTATION = "appdeploy.dev/spec-author"
"""Who wrote the spec: written by the mutating webhook alone (docs/security.md)."""
BREAK_GLASS_ANNOTATION = "appdeploy.dev/break-glass"
"""A person overriding ReleasePolicies for one spec, signed by the webhook (docs/policies.md)."""

STEP_CONTAINER = "step"
# Set by the Job controller on the pods it creates; a Job's selector is its controller-uid.
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
MANAGED_SELECTOR = f"{MANAGED_BY}={MANAGER}"
