"""A fake Google OAuth 2.0 token endpoint for service accounts (JWT bearer grant, RFC 7523).

``POST /token`` with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``
and ``assertion``: the assertion must be an RS256 JWT signed by the private
key of a known account (checked against its public key), with ``iss`` that
account, ``aud`` this endpoint, a ``scope``, and ``iat``/``exp`` at most an
hour apart around now. Otherwise 400 ``{"error": "invalid_grant",
"error_description": …}`` in Google's words (``invalid_scope`` without a
scope, ``unsupported_grant_type`` for another grant). Issued tokens and their
scopes are kept, so fake Google APIs can check the bearer token they get.

``TokenEndpoint`` is that logic without a server of its own, so a fake
Google API can answer ``/token`` itself (``FakePlay`` does: one address for
a test's key file); ``FakeGoogleOAuth`` serves it alone. ``service_account_key``
makes a key file like the one Google Cloud downloads, for a fresh RSA key
pair: the one test key helper for every Google fake.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from tests.fakes.http_server import FakeHttpServer

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOCK_SKEW = 300
"""Seconds of disagreement between clocks that Google tolerates (about)."""


@dataclass(frozen=True)
class ServiceAccountKey:
    """A service account's RSA key pair, and the key file that carries its private half."""

    client_email: str
    private_key: RSAPrivateKey
    key_id: str

    @property
    def public_key(self) -> RSAPublicKey:
        return self.private_key.public_key()

    def key_file(self, token_uri: str) -> str:
        """The JSON key file, as Google Cloud hands it out."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return json.dumps(
            {
                "type": "service_account",
                "project_id": "shop-releases",
                "private_key_id": self.key_id,
                "private_key": pem,
                "client_email": self.client_email,
                "client_id": "100000000000000000001",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": token_uri,
            }
        )


def service_account_key(
    client_email: str = "releases@shop-releases.iam.gserviceaccount.com",
) -> ServiceAccountKey:
    """A fresh key pair for ``client_email`` (RSA 2048, as Google issues)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ServiceAccountKey(client_email, key, secrets.token_hex(20))


class Refusal(Exception):
    """An assertion the endpoint refuses: RFC 6749's ``error`` and Google's description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class TokenEndpoint:
    """Google's token endpoint, to mount at ``/token`` of any fake: verifies, issues, remembers."""

    def __init__(self, *accounts: ServiceAccountKey) -> None:
        self.lock = threading.Lock()
        self.public_keys = {account.client_email: account.public_key for account in accounts}
        self.tokens: dict[str, set[str]] = {}
        """Issued access tokens and the scopes each grants."""
        self.assertions: list[dict[str, Any]] = []
        """The verified claims of each accepted assertion."""
        self.headers: list[dict[str, Any]] = []
        """The JOSE header of each accepted assertion (``kid`` names the key that signed it)."""
        self.refusals: list[str] = []
        """The ``error_description`` of each refused exchange, in order."""

    def scopes_of(self, token: str) -> set[str]:
        """The scopes ``token`` grants (none for a token this endpoint never issued)."""
        with self.lock:
            return set(self.tokens.get(token, set()))

    async def exchange(self, request: web.Request, audience: str) -> web.Response:
        """Answer one ``POST /token``; ``audience`` is the endpoint's own URL."""
        form = await request.post()
        try:
            if form.get("grant_type") != JWT_BEARER_GRANT:
                raise Refusal(
                    "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type')}"
                )
            assertion = str(form.get("assertion", ""))
            claims = self._verified_claims(assertion, audience)
            scopes = set(str(claims.get("scope", "")).split())
            if not scopes:
                raise Refusal("invalid_scope", "Invalid oauth scope or ID token audience provided.")
        except Refusal as refusal:
            with self.lock:
                self.refusals.append(refusal.description)
            body = {"error": refusal.error, "error_description": refusal.description}
            return web.json_response(body, status=400)
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = scopes
            self.assertions.append(claims)
            self.headers.append(jwt.get_unverified_header(assertion))
        return web.json_response(
            {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        )

    def _verified_claims(self, assertion: str, audience: str) -> dict[str, Any]:
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise Refusal("invalid_grant", "Invalid JWT: not a JWT.") from None
        public_key = self.public_keys.get(str(unverified.get("iss")))
        if public_key is None or header.get("alg") != "RS256":
            raise Refusal("invalid_grant", "Invalid JWT Signature.")
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                audience=audience,
                leeway=CLOCK_SKEW,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.InvalidSignatureError:
            raise Refusal("invalid_grant", "Invalid JWT Signature.") from None
        except jwt.InvalidAudienceError:
            raise Refusal("invalid_grant", "Invalid JWT: Failed audience check.") from None
        except jwt.PyJWTError as error:
            raise Refusal("invalid_grant", f"Invalid JWT: {error}") from None
        now = time.time()
        if claims["exp"] - claims["iat"] > 3600 or claims["iat"] > now + CLOCK_SKEW:
            raise Refusal(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        return claims


class FakeGoogleOAuth(FakeHttpServer):
    """The token endpoint on its own server: ``token_uri`` goes into a test's key file."""

    def __init__(self, *accounts: ServiceAccountKey) -> None:
        super().__init__()
        self.endpoint = TokenEndpoint(*accounts)
        self.tokens = self.endpoint.tokens
        self.assertions = self.endpoint.assertions

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/token", self._token)]

    def scopes_of(self, token: str) -> set[str]:
        """The scopes ``token`` grants (none for a token this endpoint never issued)."""
        return self.endpoint.scopes_of(token)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        return await self.endpoint.exchange(request, self.token_uri)
