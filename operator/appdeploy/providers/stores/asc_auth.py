"""An App Store Connect API token: a JWT signed with the team's .p8 key (ES256).

Apple's rules: header ``alg: ES256``, ``kid`` = the key id, ``typ: JWT``;
claims ``iss`` = the issuer id, ``iat``, ``exp`` at most 20 minutes later,
``aud: appstoreconnect-v1``. A token is made per program run, so it never
outlives the Job, and the key never leaves this process.
"""

from __future__ import annotations

from collections.abc import Mapping

import jwt

from appdeploy.providers.stores.results import StoreError

KEY_ID_ENV = "APPDEPLOY_ASC_KEY_ID"
ISSUER_ENV = "APPDEPLOY_ASC_ISSUER_ID"
PRIVATE_KEY_ENV = "APPDEPLOY_ASC_PRIVATE_KEY"
AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFETIME = 15 * 60
"""Seconds: below Apple's 20-minute ceiling, with room for a clock a little ahead."""


def asc_token(environ: Mapping[str, str], now: float) -> str:
    """The bearer token from the credentials in ``environ``; StoreError naming what is missing."""
    missing = [name for name in (KEY_ID_ENV, ISSUER_ENV, PRIVATE_KEY_ENV) if not environ.get(name)]
    if missing:
        raise StoreError(f"not set: {', '.join(missing)}", retryable=False)
    claims = {
        "iss": environ[ISSUER_ENV],
        "iat": int(now),
        "exp": int(now) + TOKEN_LIFETIME,
        "aud": AUDIENCE,
    }
    headers = {"kid": environ[KEY_ID_ENV], "typ": "JWT"}
    try:
        return jwt.encode(claims, environ[PRIVATE_KEY_ENV], algorithm="ES256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise StoreError(
            f"{PRIVATE_KEY_ENV} is not a usable P-256 key in PEM (.p8) form "
            f"({type(error).__name__})",
            retryable=False,
        ) from None
