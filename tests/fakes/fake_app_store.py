"""App Store Connect, as far as phased releases go: ES256 tokens, versions, transitions.

Every request must carry a token signed with the registered P-256 key
(header ``kid`` and ``alg: ES256``, ``aud: appstoreconnect-v1``, the issuer
id, ``exp`` at most 20 minutes after ``iat``), else 401 ``NOT_AUTHORIZED``.
Every answer carries ``X-Rate-Limit: user-hour-lim:N;user-hour-rem:M;``;
past the limit the answer is 429 ``RATE_LIMIT_EXCEEDED``. A phased release
runs on the test's clock (``now``): ``currentDayNumber`` advances each
active day (1, 2, 5, 10, 20, 50, 100% on days 1-7, then COMPLETE), days
paused do not count and draw on a 30-day pause budget, and COMPLETE is
final. A refused transition is 409 with Apple's ``errors[]`` shape; its
wording is the fake's own.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.http_server import FakeHttpServer

AUDIENCE = "appstoreconnect-v1"
MAX_TOKEN_LIFETIME = 20 * 60
PERCENT_BY_DAY = (1, 2, 5, 10, 20, 50, 100)
PAUSE_BUDGET = timedelta(days=30)
DAY = timedelta(days=1)
STATES = ("INACTIVE", "ACTIVE", "PAUSED", "COMPLETE")
TRANSITIONS = {
    ("ACTIVE", "PAUSED"),
    ("PAUSED", "ACTIVE"),
    ("ACTIVE", "COMPLETE"),
    ("PAUSED", "COMPLETE"),
}


@dataclass(frozen=True)
class KeyPair:
    """A test App Store Connect API key: the .p8 (PKCS#8 PEM) and the public half Apple keeps."""

    private_pem: str
    public_pem: str


@functools.cache
def p256_key(name: str = "asc") -> KeyPair:
    """A test P-256 key pair, made once per name (a second name is "someone else's key")."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem)


NOT_AUTHORIZED = (
    "Provide a properly configured and signed bearer token, and make sure that it has not "
    "expired. Learn more about Generating Tokens for API Requests "
    "https://developer.apple.com/go/?id=api-generating-tokens"
)


def apple_error(status: int, code: str, title: str, detail: str) -> web.Response:
    error = {"id": secrets.token_hex(8), "status": str(status), "code": code, "title": title}
    return web.json_response({"errors": [error | {"detail": detail}]}, status=status)


@dataclass
class PhasedRelease:
    """One version's phased release on the fake's clock."""

    id: str
    state: str = "ACTIVE"
    start: datetime | None = None
    paused_before: timedelta = timedelta(0)
    """Pauses that ended."""
    paused_since: datetime | None = None

    def paused_total(self, now: datetime) -> timedelta:
        running = now - self.paused_since if self.paused_since else timedelta(0)
        return self.paused_before + running

    def settle(self, now: datetime) -> None:
        """Apply what the clock did: a pause whose budget ran out resumes, day 7 completes."""
        if self.state == "PAUSED" and self.paused_total(now) >= PAUSE_BUDGET:
            self.paused_before, self.paused_since, self.state = PAUSE_BUDGET, None, "ACTIVE"
        if self.state == "ACTIVE" and self.day(now) >= len(PERCENT_BY_DAY):
            self.state = "COMPLETE"

    def day(self, now: datetime) -> int:
        if self.start is None:
            return 0
        active = now - self.start - self.paused_total(now)
        return int(active / DAY) + 1

    def attributes(self, now: datetime) -> dict[str, Any]:
        return {
            "phasedReleaseState": self.state,
            "startDate": self.start.strftime("%Y-%m-%dT%H:%M:%S.000+0000") if self.start else None,
            "totalPauseDuration": int(self.paused_total(now) / DAY),
            "currentDayNumber": min(self.day(now), len(PERCENT_BY_DAY)) if self.start else None,
        }


@dataclass
class Version:
    id: str
    version_string: str
    platform: str
    phased: PhasedRelease | None = None


@dataclass
class App:
    versions: list[Version] = field(default_factory=list)


class FakeAppStoreConnect(FakeHttpServer):
    """One team's API key; ``add_version`` adds a version in phased release; ``now``: the clock."""

    def __init__(self, key_id: str, issuer_id: str, public_key_pem: str) -> None:
        super().__init__()
        self.key_id = key_id
        self.issuer_id = issuer_id
        self.public_key_pem = public_key_pem
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        self.apps: dict[str, App] = {}
        self.releases: dict[str, PhasedRelease] = {}
        self.patches: list[tuple[str, str]] = []
        """(phased release id, the state asked for) of every PATCH that got past auth."""
        self.refused_tokens: list[str] = []
        self.hourly_limit = 3600
        self.requests_this_hour = 0
        self.retry_after: str | None = None
        """A ``Retry-After`` value sent with 429 (Apple's docs do not promise one)."""

    def add_version(
        self, app_id: str, version: str, state: str = "ACTIVE", *, phased: bool = True
    ) -> PhasedRelease:
        """A version of ``app_id`` in phased release ``state``, started now unless INACTIVE."""
        with self.lock:
            app = self.apps.setdefault(app_id, App())
            number = len(self.releases) + 1
            release = PhasedRelease(id=f"phased-{number}", state=state)
            if state != "INACTIVE":
                release.start = self.now
            if state == "PAUSED":
                release.paused_since = self.now
            app.versions.append(
                Version(f"version-{number}", version, "IOS", release if phased else None)
            )
            self.releases[release.id] = release
            return release

    def advance(self, delta: timedelta) -> None:
        """Move the clock on; phased releases follow."""
        with self.lock:
            self.now += delta
            for release in self.releases.values():
                release.settle(self.now)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1/apps/{app}/appStoreVersions", self._versions),
            web.get("/v1/appStoreVersions/{version}/appStoreVersionPhasedRelease", self._phased),
            web.patch("/v1/appStoreVersionPhasedReleases/{release}", self._patch),
        ]

    def _token_problem(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return "no bearer token"
        token = header[len("Bearer ") :]
        try:
            head = jwt.get_unverified_header(token)
            if head.get("kid") != self.key_id or head.get("alg") != "ES256":
                return "unknown key id or algorithm"
            if head.get("typ") != "JWT":
                return "typ is not JWT"
            claims = jwt.decode(
                token,
                self.public_key_pem,
                algorithms=["ES256"],
                audience=AUDIENCE,
                issuer=self.issuer_id,
                options={"require": ["iss", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as error:
            return f"{type(error).__name__}: {error}"
        if claims["exp"] - claims["iat"] > MAX_TOKEN_LIFETIME or claims["exp"] > time.time() + 1200:
            return "token lives longer than 20 minutes"
        return ""

    async def _answer(self, request: web.Request, work: Any) -> web.StreamResponse:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        with self.lock:
            problem = self._token_problem(request)
            if problem:
                self.refused_tokens.append(problem)
                response = apple_error(
                    401,
                    "NOT_AUTHORIZED",
                    "Authentication credentials are missing or invalid.",
                    NOT_AUTHORIZED,
                )
            elif self.requests_this_hour >= self.hourly_limit:
                response = apple_error(
                    429,
                    "RATE_LIMIT_EXCEEDED",
                    "The request rate limit has been reached.",
                    "We've received too many requests for this API. Please wait and try again "
                    "or slow down your request rate.",
                )
                if self.retry_after is not None:
                    response.headers["Retry-After"] = self.retry_after
            else:
                self.requests_this_hour += 1
                response = work()
            remaining = max(0, self.hourly_limit - self.requests_this_hour)
            response.headers["X-Rate-Limit"] = (
                f"user-hour-lim:{self.hourly_limit};user-hour-rem:{remaining};"
            )
            return response

    async def _versions(self, request: web.Request) -> web.StreamResponse:
        def work() -> web.Response:
            app = self.apps.get(request.match_info["app"])
            if app is None:
                return apple_error(
                    404,
                    "NOT_FOUND",
                    "The specified resource does not exist",
                    f"There is no resource of type 'apps' with id '{request.match_info['app']}'",
                )
            wanted = request.query.get("filter[versionString]")
            platform = request.query.get("filter[platform]")
            data = [
                {
                    "type": "appStoreVersions",
                    "id": version.id,
                    "attributes": {
                        "versionString": version.version_string,
                        "platform": version.platform,
                    },
                }
                for version in app.versions
                if (wanted is None or version.version_string == wanted)
                and (platform is None or version.platform == platform)
            ]
            return web.json_response({"data": data, "links": {"self": str(request.url)}})

        return await self._answer(request, work)

    def _find(self, version_id: str) -> Version | None:
        return next((v for a in self.apps.values() for v in a.versions if v.id == version_id), None)

    def _resource(self, release: PhasedRelease) -> dict[str, Any]:
        return {
            "type": "appStoreVersionPhasedReleases",
            "id": release.id,
            "attributes": release.attributes(self.now),
        }

    async def _phased(self, request: web.Request) -> web.StreamResponse:
        def work() -> web.Response:
            version = self._find(request.match_info["version"])
            if version is None:
                return apple_error(
                    404,
                    "NOT_FOUND",
                    "The specified resource does not exist",
                    "There is no resource of type 'appStoreVersions' with id "
                    f"'{request.match_info['version']}'",
                )
            data = self._resource(version.phased) if version.phased else None
            return web.json_response({"data": data, "links": {"self": str(request.url)}})

        return await self._answer(request, work)

    async def _patch(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        release_id = request.match_info["release"]

        def work() -> web.Response:
            release = self.releases.get(release_id)
            if release is None:
                return apple_error(
                    404,
                    "NOT_FOUND",
                    "The specified resource does not exist",
                    "There is no resource of type 'appStoreVersionPhasedReleases' with id "
                    f"'{release_id}'",
                )
            data = body.get("data") if isinstance(body, dict) else None
            if (
                not isinstance(data, dict)
                or data.get("type") != "appStoreVersionPhasedReleases"
                or data.get("id") != release_id
            ):
                return apple_error(
                    409,
                    "ENTITY_ERROR.INCLUDED.INVALID_ID",
                    "The provided entity id is invalid",
                    "The data.type and data.id must name this appStoreVersionPhasedRelease.",
                )
            wanted = (data.get("attributes") or {}).get("phasedReleaseState")
            self.patches.append((release_id, str(wanted)))
            if wanted not in STATES:
                return apple_error(
                    409,
                    "ENTITY_ERROR.ATTRIBUTE.INVALID",
                    "An attribute value is invalid.",
                    f"'{wanted}' is not a valid value for the attribute 'phasedReleaseState'.",
                )
            problem = self._transition(release, str(wanted))
            if problem:
                return apple_error(
                    409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.", problem
                )
            return web.json_response(
                {"data": self._resource(release), "links": {"self": str(request.url)}}
            )

        return await self._answer(request, work)

    def _transition(self, release: PhasedRelease, wanted: str) -> str:
        release.settle(self.now)
        if (release.state, wanted) not in TRANSITIONS:
            return f"The phased release cannot go from {release.state} to {wanted}."
        if wanted == "PAUSED":
            if release.paused_total(self.now) >= PAUSE_BUDGET:
                return "The phased release has used its 30 days of pause."
            release.paused_since = self.now
        elif release.paused_since is not None:
            release.paused_before += self.now - release.paused_since
            release.paused_since = None
        release.state = wanted
        return ""
