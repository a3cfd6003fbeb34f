"""A service account's access token: an RS256 JWT assertion exchanged at the key's ``token_uri``.

This is Google's documented server-to-server flow (OAuth 2.0 JWT bearer
grant, RFC 7523): the assertion names the account (``iss``), the scope, the
token endpoint (``aud``) and lives one hour at most. The token endpoint comes
from the key file, so a test key points at a fake on 127.0.0.1 and nothing
else needs overriding. The private key never leaves this process.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
import jwt

from appdeploy.providers.stores.results import StoreError

KEY_ENV = "APPDEPLOY_SERVICE_ACCOUNT_JSON"
PLAY_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600
"""Seconds: Google accepts an assertion valid for one hour at most."""


@dataclass(frozen=True)
class ServiceAccountKey:
    """The fields of a service-account JSON key that the token exchange needs."""

    client_email: str
    private_key: str
    private_key_id: str
    token_uri: str

    def __repr__(self) -> str:
        return f"ServiceAccountKey({self.client_email!r}, token_uri={self.token_uri!r})"


def read_key(raw: str | None) -> ServiceAccountKey:
    """The key from its JSON (the Secret's content), or StoreError saying what is missing."""
    if not raw or not raw.strip():
        raise StoreError(f"{KEY_ENV} is not set: the service account's JSON key", retryable=False)
    try:
        data = json.loads(raw)
    except ValueError:
        raise StoreError(f"{KEY_ENV} is not JSON", retryable=False) from None
    if not isinstance(data, dict):
        raise StoreError(f"{KEY_ENV} must be a JSON object", retryable=False)
    missing = [
        name
        for name in ("client_email", "private_key", "token_uri")
        if not isinstance(data.get(name), str) or not data[name]
    ]
    if missing:
        raise StoreError(f"{KEY_ENV}: missing {', '.join(missing)}", retryable=False)
    return ServiceAccountKey(
        client_email=data["client_email"],
        private_key=data["private_key"],
        private_key_id=str(data.get("private_key_id") or ""),
        token_uri=data["token_uri"],
    )


def assertion(key: ServiceAccountKey, scope: str, now: float) -> str:
    """The signed JWT that asks the token endpoint for ``scope``."""
    claims = {
        "iss": key.client_email,
        "scope": scope,
        "aud": key.token_uri,
        "iat": int(now),
        "exp": int(now) + ASSERTION_LIFETIME,
    }
    headers = {"kid": key.private_key_id} if key.private_key_id else None
    try:
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise StoreError(
            f"{KEY_ENV}: private_key is not a usable RSA key ({type(error).__name__})",
            retryable=False,
        ) from None


def access_token(client: httpx.Client, key: ServiceAccountKey, scope: str = PLAY_SCOPE) -> str:
    """A bearer token for ``scope``; StoreError when Google refuses the key or cannot answer."""
    form = {"grant_type": GRANT_TYPE, "assertion": assertion(key, scope, time.time())}
    try:
        response = client.post(key.token_uri, data=form)
    except httpx.HTTPError as error:
        raise StoreError(
            f"token endpoint unreachable: {type(error).__name__}", retryable=True
        ) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise StoreError(f"token endpoint answered {response.status_code}", retryable=True)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        reason = ""
        if isinstance(body, dict):
            reason = ": ".join(
                str(body[field]) for field in ("error", "error_description") if body.get(field)
            )
        raise StoreError(
            f"authentication refused by the token endpoint ({response.status_code}"
            f"{', ' + reason if reason else ''})",
            retryable=False,
        )
    return str(body["access_token"])
