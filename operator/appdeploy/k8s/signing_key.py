"""The HMAC key that signs approvals: read from a Secret, created when absent.

The admission webhook signs with it and the reconciler verifies with it, so
both must see the same key; keeping it in a Secret lets a restarted operator
(or a chart-supplied key) keep verifying approvals signed before.
"""

from __future__ import annotations

import base64
import secrets

from kubernetes import client
from kubernetes.client.exceptions import ApiException

DATA_KEY = "key"
KEY_BYTES = 32


def load_or_create_key(
    api_client: client.ApiClient,
    namespace: str,
    name: str,
    timeout: tuple[float, float] | None = None,
) -> bytes:
    """The key in Secret namespace/name; a new random one is stored if the Secret is absent.

    ``timeout`` is (connect, read) seconds per request, as in k8s/cluster.py.
    """
    core = client.CoreV1Api(api_client)
    try:
        secret = core.read_namespaced_secret(name, namespace, _request_timeout=timeout)
    except ApiException as error:
        if error.status != 404:
            raise
        fresh = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
        body = {
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "appdeploy"}},
            "type": "Opaque",
            "data": {DATA_KEY: fresh},
        }
        try:
            core.create_namespaced_secret(
                namespace,
                body,  # type: ignore[arg-type]
                _request_timeout=timeout,
            )
        except ApiException as race:
            if race.status != 409:
                raise
        secret = core.read_namespaced_secret(name, namespace, _request_timeout=timeout)
    data = (secret.data or {}).get(DATA_KEY)
    if not data:
        raise ValueError(f"Secret {namespace}/{name} has no data key {DATA_KEY!r}")
    key = base64.b64decode(data)
    if len(key) < 16:
        raise ValueError(f"Secret {namespace}/{name}: the key must be at least 16 bytes")
    return key
