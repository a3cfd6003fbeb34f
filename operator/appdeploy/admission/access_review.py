"""SubjectAccessReviews: may this user do that? (the reference check of validate-spec).

One review per question, answered by the API server's authorizers (RBAC and
any webhook authorizer), never cached: a grant revoked a second ago counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from appdeploy.admission.references import Access, AccessUnknown, Requester


class SubjectAccessReviews:
    """``AccessReview`` through an API client (which may not exist yet while starting)."""

    def __init__(
        self, api_client: Callable[[], client.ApiClient | None], timeout: tuple[float, float]
    ) -> None:
        self._api_client = api_client
        self._timeout = timeout

    def __call__(
        self, requester: Requester, namespace: str, verb: str, resource: str, name: str
    ) -> Access:
        api_client = self._api_client()
        if api_client is None:
            raise AccessUnknown("the operator is still starting")
        body: dict[str, Any] = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": requester.username,
                "groups": list(requester.groups),
                "uid": requester.uid,
                "extra": {key: list(values) for key, values in requester.extra.items()},
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": verb,
                    "group": "",
                    "resource": resource,
                    "name": name,
                },
            },
        }
        try:
            review = client.AuthorizationV1Api(api_client).create_subject_access_review(
                body,  # type: ignore[arg-type]
                _request_timeout=self._timeout,
            )
        except (ApiException, HTTPError) as error:
            raise AccessUnknown(f"SubjectAccessReview failed: {error}") from None
        plain: dict[str, Any] = api_client.sanitize_for_serialization(review)  # type: ignore[no-untyped-call]
        status = plain.get("status") or {}
        reason = str(status.get("reason") or status.get("evaluationError") or "")
        return Access(bool(status.get("allowed")) and not status.get("denied"), reason)
