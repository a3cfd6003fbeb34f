"""Google service-account credentials: the OAuth 2.0 JWT bearer flow (RFC 7523).

The key file (``APPDEPLOY_SERVICE_ACCOUNT_JSON``, as downloaded from Google
Cloud) holds ``client_email``, an RSA ``private_key`` and the ``token_uri``.
The program signs a short assertion with RS256 (``iss`` the account, ``scope``
the API, ``aud`` the token endpoint, valid one hour) and exchanges it there
for an access token, so the key itself never leaves the Job. Nothing here
puts the key, the assertion or the token into a message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from appdeploy.providers.client import fail_unless_success, read_json, send
from appdeploy.providers.result import ProviderError

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600
"""Google accepts assertions valid for at most an hour."""
SERVICE = "Google's token endpoint"


class BadServiceAccount(ValueError):
    """The key file is not one Google would accept; the message names the key, never its value."""


@dataclass(frozen=True)
class ServiceAccount:
    """What the flow needs from a service account's JSON key file."""

    client_email: str
    private_key: RSAPrivateKey
    private_key_id: str | None
    token_uri: str


def parse_service_account(text: str, source: str) -> ServiceAccount:
    """The account in a JSON key file; BadServiceAccount names what is missing or wrong."""
    try:
        document = json.loads(text)
    except ValueError:
        raise BadServiceAccount(f"{source} is not JSON (a service account key file is)") from None
    if not isinstance(document, dict):
        raise BadServiceAccount(f"{source} is not a JSON object")
    for key in ("client_email", "private_key", "token_uri"):
        if not isinstance(document.get(key), str) or not document[key]:
            raise BadServiceAccount(f"{source}: {key} is missing (is this a service account key?)")
    try:
        private_key = load_pem_private_key(document["private_key"].encode(), password=None)
    except (ValueError, TypeError):
        raise BadServiceAccount(f"{source}: private_key is not an unencrypted PEM key") from None
    if not isinstance(private_key, RSAPrivateKey):
        raise BadServiceAccount(f"{source}: private_key is not an RSA key")
    key_id = document.get("private_key_id")
    return ServiceAccount(
        client_email=document["client_email"],
        private_key=private_key,
        private_key_id=key_id if isinstance(key_id, str) and key_id else None,
        token_uri=document["token_uri"],
    )


def signed_assertion(account: ServiceAccount, scope: str, audience: str, now: int) -> str:
    """The RS256 JWT the token endpoint exchanges: ``iss``, ``scope``, ``aud``, ``iat``, ``exp``."""
    claims = {
        "iss": account.client_email,
        "scope": scope,
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
    }
    headers = {"kid": account.private_key_id} if account.private_key_id else None
    return jwt.encode(claims, account.private_key, algorithm="RS256", headers=headers)


def access_token(
    client: httpx.Client, account: ServiceAccount, scope: str, token_uri: str | None = None
) -> str:
    """An access token for ``scope``; ProviderError with Google's reason when refused.

    ``token_uri`` overrides the key file's (tests); the assertion's audience is
    always the endpoint it is sent to, so it is worthless anywhere else.
    """
    endpoint = token_uri or account.token_uri
    assertion = signed_assertion(account, scope, endpoint, int(time.time()))
    response = send(
        client,
        SERVICE,
        "POST",
        endpoint,
        data={"grant_type": JWT_BEARER_GRANT, "assertion": assertion},
    )
    fail_unless_success(response, SERVICE, _oauth_error)
    body = read_json(response, SERVICE)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ProviderError(f"{SERVICE} answered without an access_token")
    return token


def google_error(body: Any) -> str:
    """The reason in a Google API error: ``{"error": {"code", "message", "status"}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    return f"{error.get('status', '')} {error.get('message', '')}".strip()


def _oauth_error(body: Any) -> str:
    # The token endpoint speaks RFC 6749: {"error": "invalid_grant", "error_description": ...}.
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return ""
    return f"{body['error']}: {body.get('error_description', '')}".rstrip(": ")
