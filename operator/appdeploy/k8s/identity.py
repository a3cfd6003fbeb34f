"""Who the operator is, as the API server authenticates it (SelfSubjectReview).

The decision webhook lets only the operator remove other people's pending
decisions (it consumes them); it must know its own username, whatever
credentials it runs with (a ServiceAccount token in the cluster, a kubeconfig
in tests).
"""

from __future__ import annotations

from typing import Any

from kubernetes import client


def own_username(api_client: client.ApiClient, timeout: tuple[float, float] = (5.0, 30.0)) -> str:
    """The authenticated username of ``api_client``'s credentials."""
    review = client.AuthenticationV1Api(api_client).create_self_subject_review(
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},  # type: ignore[arg-type]
        _request_timeout=timeout,
    )
    plain: dict[str, Any] = api_client.sanitize_for_serialization(review)  # type: ignore[no-untyped-call]
    return str(((plain.get("status") or {}).get("userInfo") or {}).get("username") or "")
