"""Google service-account credentials: the OAuth 2.0 JWT bearer flow (RFC 7523).

One implementation for every Google API a Job calls: Play vitals (the
Reporting API) and the Play store actions (the Publishing API). The key
file (``APPDEPLOY_SERVICE_ACCOUNT_JSON``, as downloaded from Google Cloud)
holds ``client_email``, an RSA ``private_key`` (and its ``private_key_id``,
sent as the ``kid`` header) and the ``token_uri``. The program signs a short
assertion with RS256 (``iss`` the account, ``scope`` the API, ``aud`` the
token endpoint it is sent to, valid one hour) and exchanges it there for an
access token, so the key itself never leaves the Job. Nothing here puts the
key, the assertion or the token into a message.

A key file Google would not accept is a BadServiceAccount (the Job was given
the wrong thing: each program reports it its own way); a token endpoint that
refuses or fails is a ProviderError whose ``retryable`` says whether asking
again may help (no answer, 429, 5xx: yes; a refusal such as
``invalid_grant``: no).
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

KEY_ENV = "APPDEPLOY_SERVICE_ACCOUNT_JSON"
"""Where a Job finds the key file (from the namespace's Secret)."""
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
    """The account in a JSON key file; BadServiceAccount names what is missing or wrong.

    ``source`` is where the text came from (the env var), for the message.
    """
    if not text or not text.strip():
        raise BadServiceAccount(f"{source} is not set: the service account's JSON key file")
    try:
        document = json.loads(text)
    except ValueError:
        raise BadServiceAccount(f"{source} is not JSON (a service account key file is)") from None
    if not isinstance(document, dict):
        raise BadServiceAccount(f"{source} is not a JSON object (a service account key file is)")
    missing = [
        key
        for key in ("client_email", "private_key", "token_uri")
        if not isinstance(document.get(key), str) or not document[key]
    ]
    if missing:
        raise BadServiceAccount(f"{source}: missing {', '.join(missing)}")
    unusable = f"{source}: private_key is not a usable RSA key (an unencrypted PEM key is)"
    try:
        private_key = load_pem_private_key(document["private_key"].encode(), password=None)
    except (ValueError, TypeError):
        raise BadServiceAccount(unusable) from None
    if not isinstance(private_key, RSAPrivateKey):
        raise BadServiceAccount(unusable)
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
    Retryable when the endpoint did not answer, or answered 429 or 5xx.
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
