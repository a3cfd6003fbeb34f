"""At start, with ``--webhook-configuration NAME``: refuse to run where the webhooks are blind.

Reads the operator's own MutatingWebhookConfiguration and
ValidatingWebhookConfiguration by name, and the watched namespaces' labels,
and stops the operator with the uncovered namespaces named
(appdeploy.admission.coverage says why that matters).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from appdeploy.admission.coverage import NAME_LABEL, coverage_problems


class StartupRefused(RuntimeError):
    """The operator will not start; the message says why and what to change."""


def check_webhook_coverage(
    api_client: client.ApiClient,
    name: str,
    namespaces: tuple[str, ...],
    timeout: tuple[float, float] = (5.0, 30.0),
) -> None:
    """Raise StartupRefused unless the webhooks named ``name`` see every watched namespace."""
    registration = client.AdmissionregistrationV1Api(api_client)
    configurations = []
    for kind, read in (
        ("MutatingWebhookConfiguration", registration.read_mutating_webhook_configuration),
        ("ValidatingWebhookConfiguration", registration.read_validating_webhook_configuration),
    ):
        try:
            found = read(name, _request_timeout=timeout)
        except ApiException as error:
            if error.status == 404:
                raise StartupRefused(
                    f"{kind} {name} (--webhook-configuration) does not exist: install the "
                    "webhooks first, or start without --webhook-configuration"
                ) from None
            raise StartupRefused(
                f"cannot read {kind} {name} (--webhook-configuration): {error.status} "
                f"{error.reason}; the operator needs get on it"
            ) from None
        plain: dict[str, Any] = api_client.sanitize_for_serialization(found)  # type: ignore[no-untyped-call]
        configurations.append(plain)
    watched = _watched_labels(client.CoreV1Api(api_client), namespaces, timeout)
    problems = coverage_problems(configurations, watched)
    if problems:
        raise StartupRefused(
            "the admission webhooks do not see every watched namespace (decisions there "
            "would never be signed, nor forged step objects refused): "
            + "; ".join(problems)
            + "; widen the webhooks' namespaceSelector (chart: webhook.namespaceSelector, "
            "watchNamespaces) or watch fewer namespaces"
        )


def _watched_labels(
    core: client.CoreV1Api, namespaces: tuple[str, ...], timeout: tuple[float, float]
) -> dict[str, dict[str, str]] | None:
    """Each watched namespace's labels; None for the whole cluster."""
    if not namespaces:
        return None
    exact = [ns for ns in namespaces if not set(ns) & set("*?[]!")]
    globs = [ns for ns in namespaces if ns not in exact and not ns.startswith("!")]
    labels: dict[str, dict[str, str]] = {}
    if globs:
        # kopf lists namespaces to expand globs anyway; the check sees the ones that exist now.
        for namespace in core.list_namespace(_request_timeout=timeout).items:
            name, found = _name_and_labels(namespace)
            if any(fnmatch.fnmatchcase(name, glob) for glob in globs):
                labels[name] = found
    for name in exact:
        try:
            labels[name] = _name_and_labels(core.read_namespace(name, _request_timeout=timeout))[1]
        except ApiException:
            # Namespaced RBAC cannot read Namespaces: the API server sets this
            # label on every one, which is what the chart's selector matches.
            labels[name] = {NAME_LABEL: name}
    return labels


def _name_and_labels(namespace: client.V1Namespace) -> tuple[str, dict[str, str]]:
    metadata = namespace.metadata or client.V1ObjectMeta()
    return str(metadata.name or ""), dict(metadata.labels or {})
