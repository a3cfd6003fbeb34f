"""The admission handlers of one operator, wired to its key, client and caches.

The webhook server may answer before the operator's startup has built the
API client and listed the ReleasePolicies: until then the policies are "not
known" (admitted with a warning, judged again by the operator) and a
SubjectAccessReview cannot be made (refused, fail closed).
"""

from __future__ import annotations

from typing import Any

import kopf
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from appdeploy.admission.access_review import SubjectAccessReviews
from appdeploy.admission.webhooks import register_admission
from appdeploy.controller.channels import ChannelCache
from appdeploy.controller.config import OperatorConfig
from appdeploy.controller.policies import PolicyCache
from appdeploy.engine.inputs import PolicyFacts
from appdeploy.k8s.attribution import read_break_glass
from appdeploy.k8s.cluster import Cluster


def register_webhooks(
    registry: kopf.OperatorRegistry,
    operator_config: OperatorConfig,
    state: dict[str, Any],
    channels: ChannelCache,
    policies: PolicyCache,
) -> None:
    """The admission handlers, reading the key, the client and the caches from ``state``."""
    if not operator_config.approval_key_secret:
        raise ValueError("--webhook-address needs --approval-key-secret (the signing key)")
    timeout = (
        operator_config.api_connect_timeout.total_seconds(),
        operator_config.api_read_timeout.total_seconds(),
    )
    reviews = SubjectAccessReviews(lambda: state.get("api_client"), timeout)

    def policies_in_force(namespace: str, app: str) -> PolicyFacts | None:
        # The webhook may answer before start_components built the client: not known then.
        cluster: Cluster | None = state.get("cluster")
        if cluster is None:
            return None

        def read_namespace(name: str) -> dict[str, Any] | None:
            # A failed read leaves the labels unknown: admitted with a warning, never a 500.
            try:
                return cluster.get_namespace(name)
            except (ApiException, HTTPError):
                return None

        return policies.facts(namespace, app, read_namespace)

    register_admission(
        registry,
        signing_key=lambda: state["key"],
        operator_username=lambda: str(state.get("username") or ""),
        pod_policy=operator_config.pod_policy,
        job_controller=operator_config.job_controller_users,
        channels=channels.names,
        remind_floor=operator_config.remind_floor,
        policies=policies_in_force,
        break_glass=lambda body: read_break_glass(body, state.get("key")),
        access_review=reviews if operator_config.reference_check else None,
    )
