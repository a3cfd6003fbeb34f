"""Google Play's Publishing API v3 and Google's OAuth token endpoint, as far as staged rollouts go.

The token endpoint is google_oauth's ``TokenEndpoint`` served at this fake's
``/token`` (the service account's RS256 assertion checked with the test
key's public half: signature, ``iss``, ``aud`` = this endpoint, a lifetime
of one hour at most; ``invalid_grant`` otherwise); the API then wants a
token it issued that grants the androidpublisher scope (401, 403). Edits
are snapshots of a package's tracks; a track update is validated like Play
does (status values, ``userFraction`` only with
inProgress/halted and strictly between 0 and 1, "HALTED release must have
fraction", ``releaseToHaltNotFound``, version codes that were uploaded); a
commit replaces the live tracks and deletes every other open edit of the
package, so committing one of those answers "This Edit has been deleted."
Wording the references do not give (the in-review refusal) is the fake's own.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.google_oauth import ServiceAccountKey, TokenEndpoint
from tests.fakes.http_server import Failure, FakeHttpServer

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
STATUSES = ("draft", "inProgress", "halted", "completed")
STANDARD_TRACKS = ("production", "beta", "alpha", "internal")


def google_error(status: int, message: str, reason: str = "badRequest", *, grpc: str = "") -> Any:
    domain = "androidpublisher" if reason not in ("badRequest", "notFound") else "global"
    grpc = grpc or {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND"}.get(
        status, "FAILED_PRECONDITION"
    )
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            "status": grpc,
        }
    }
    return web.json_response(body, status=status)


class Refused(Exception):
    """A request the fake refuses, with the answer it gives."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


@dataclass
class Edit:
    id: str
    tracks: dict[str, list[dict[str, Any]]]
    state: str = "open"
    """open | committed | deleted (by a newer commit, or DELETE)."""


@dataclass
class App:
    tracks: dict[str, list[dict[str, Any]]]
    uploaded: set[str]
    in_review: bool = False
    cancelled_reviews: int = 0
    edits: dict[str, Edit] = field(default_factory=dict)


@dataclass(frozen=True)
class Commit:
    package: str
    edit_id: str
    changes_in_review_behavior: str


class FakePlay(FakeHttpServer):
    """One Play Console account: ``add_app`` sets a package's tracks; ``commits``: what landed."""

    def __init__(self, *accounts: ServiceAccountKey) -> None:
        super().__init__()
        self.oauth = TokenEndpoint(*accounts)
        self.apps: dict[str, App] = {}
        self.commits: list[Commit] = []
        self.deleted_edits: list[str] = []
        self.race_next_edit = False
        """Another writer commits just after the next edit is created, so that edit is deleted."""
        self._ids = itertools.count(1)
        self._route_failures: dict[str, deque[Failure]] = {}

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def refused_assertions(self) -> list[str]:
        """Why the token endpoint refused each exchange it refused (Google's description)."""
        return list(self.oauth.refusals)

    def add_app(self, package: str, releases: dict[str, list[dict[str, Any]]]) -> None:
        """A package whose tracks hold ``releases``; their version codes count as uploaded."""
        tracks = {name: [] for name in STANDARD_TRACKS} | copy.deepcopy(releases)
        codes = {str(c) for rs in releases.values() for r in rs for c in r.get("versionCodes", [])}
        with self.lock:
            self.apps[package] = App(tracks=tracks, uploaded=codes)

    def live_release(self, package: str, track: str, codes: list[str]) -> dict[str, Any]:
        """The committed release with exactly ``codes`` (what users get)."""
        with self.lock:
            for release in self.apps[package].tracks[track]:
                if sorted(release["versionCodes"]) == sorted(codes):
                    return copy.deepcopy(release)
        raise KeyError(codes)

    def fail_on(
        self, route: str, status: int, body: Any = None, *, after_effect: bool = False
    ) -> None:
        """Answer the next request to ``route`` (token, create, get, update, commit, delete)."""
        with self.lock:
            self._route_failures.setdefault(route, deque()).append(
                Failure(status, body, {}, after_effect)
            )

    def _failure(self, route: str) -> Failure | None:
        base = self.take_failure()
        with self.lock:
            queue = self._route_failures.get(route)
            return base or (queue.popleft() if queue else None)

    def routes(self) -> list[web.RouteDef]:
        root = "/androidpublisher/v3/applications/{package}/edits"
        return [
            web.post("/token", self._token),
            web.post(root, self._create),
            web.get(root + "/{edit}/tracks/{track}", self._get_track),
            web.put(root + "/{edit}/tracks/{track}", self._update_track),
            web.post(root + "/{edit}:commit", self._commit),
            web.delete(root + "/{edit}", self._delete),
        ]

    async def _token(self, request: web.Request) -> web.StreamResponse:
        failure = self._failure("token")
        if failure is not None:
            return failure.response()
        return await self.oauth.exchange(request, self.token_uri)

    def _authorize(self, request: web.Request) -> App:
        header = request.headers.get("Authorization", "")
        scopes = self.oauth.scopes_of(header.removeprefix("Bearer "))
        if not header.startswith("Bearer ") or not scopes:
            raise Refused(
                google_error(
                    401,
                    "Request had invalid authentication credentials. "
                    "Expected OAuth 2 access token.",
                    "unauthorized",
                )
            )
        if SCOPE not in scopes:
            raise Refused(
                google_error(
                    403,
                    "Request had insufficient authentication scopes.",
                    "insufficientPermissions",
                    grpc="PERMISSION_DENIED",
                )
            )
        package = request.match_info["package"]
        app = self.apps.get(package)
        if app is None:
            raise Refused(google_error(404, f"Package not found: {package}.", "notFound"))
        return app

    def _edit(self, app: App, edit_id: str, *, for_commit: bool = False) -> Edit:
        edit = app.edits.get(edit_id)
        if edit is None:
            raise Refused(google_error(404, "This Edit does not exist.", "notFound"))
        if edit.state == "deleted":
            raise Refused(
                google_error(400, "This Edit has been deleted.", grpc="FAILED_PRECONDITION")
            )
        if edit.state == "committed":
            raise Refused(
                google_error(
                    400,
                    "This edit has already been successfully committed, please create a new Edit.",
                    grpc="FAILED_PRECONDITION",
                )
            )
        return edit

    async def _handle(self, route: str, request: web.Request, work: Any) -> web.StreamResponse:
        failure = self._failure(route)
        await self.pause()
        if failure is not None and not failure.after_effect:
            return failure.response()
        try:
            with self.lock:
                response = work(self._authorize(request))
        except Refused as refused:
            return refused.response
        return failure.response() if failure is not None else response

    async def _create(self, request: web.Request) -> web.StreamResponse:
        def work(app: App) -> web.Response:
            edit = Edit(id=f"{next(self._ids):020d}", tracks=copy.deepcopy(app.tracks))
            app.edits[edit.id] = edit
            if self.race_next_edit:
                # Someone else (the Console, a duplicated Job) commits right after we opened ours.
                self.race_next_edit = False
                edit.state = "deleted"
                self.commits.append(Commit(request.match_info["package"], "someone-else", ""))
            return web.json_response(
                {"id": edit.id, "expiryTimeSeconds": str(int(time.time()) + 3600)}
            )

        return await self._handle("create", request, work)

    async def _get_track(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["track"]

        def work(app: App) -> web.Response:
            edit = self._edit(app, request.match_info["edit"])
            if name not in edit.tracks:
                raise Refused(google_error(404, f"Track not found: {name}.", "notFound"))
            return web.json_response({"track": name, "releases": edit.tracks[name]})

        return await self._handle("get", request, work)

    async def _update_track(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["track"]
        body = await request.json()

        def work(app: App) -> web.Response:
            edit = self._edit(app, request.match_info["edit"])
            if name not in edit.tracks:
                raise Refused(google_error(404, f"Track not found: {name}.", "notFound"))
            releases = validate_releases(body, name, app, app.tracks[name])
            edit.tracks[name] = releases
            return web.json_response({"track": name, "releases": releases})

        return await self._handle("update", request, work)

    async def _commit(self, request: web.Request) -> web.StreamResponse:
        edit_id = request.match_info["edit"].removesuffix(":commit")
        behavior = request.query.get("changesInReviewBehavior", "")
        package = request.match_info["package"]

        def work(app: App) -> web.Response:
            edit = self._edit(app, edit_id)
            if app.in_review:
                if behavior == "ERROR_IF_IN_REVIEW":
                    raise Refused(
                        google_error(
                            400,
                            "Changes are currently in review and changesInReviewBehavior is "
                            "ERROR_IF_IN_REVIEW: the edit was not committed.",
                            grpc="FAILED_PRECONDITION",
                        )
                    )
                app.in_review = False
                app.cancelled_reviews += 1
            app.tracks = keep_latest_completed(edit.tracks)
            edit.state = "committed"
            for other in app.edits.values():
                if other.state == "open":
                    other.state = "deleted"
            self.commits.append(Commit(package, edit.id, behavior))
            return web.json_response({"id": edit.id})

        return await self._handle("commit", request, work)

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        def work(app: App) -> web.Response:
            edit = self._edit(app, request.match_info["edit"])
            edit.state = "deleted"
            self.deleted_edits.append(edit.id)
            return web.Response(status=204)

        return await self._handle("delete", request, work)


def validate_releases(
    body: Any, name: str, app: App, live: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The releases of a track update, or Refused with Play's answer."""
    if not isinstance(body, dict) or body.get("track", name) != name:
        raise Refused(google_error(400, "Track name in the body does not match the URL."))
    releases = body.get("releases")
    if not isinstance(releases, list):
        raise Refused(google_error(400, "Invalid value at 'track.releases'."))
    for release in releases:
        check_release(release, app, live)
    return copy.deepcopy(releases)


def check_release(release: Any, app: App, live: list[dict[str, Any]]) -> None:
    status = release.get("status") if isinstance(release, dict) else None
    if status not in STATUSES:
        raise Refused(google_error(400, f"Invalid value at 'track.releases[].status' ({status})."))
    codes = [str(code) for code in release.get("versionCodes") or []]
    if not codes and status != "draft":
        raise Refused(google_error(400, "Release must have version codes."))
    for code in codes:
        if code not in app.uploaded:
            raise Refused(
                google_error(400, f"Version code {code} has not been uploaded.", "apkNotFound")
            )
    fraction = release.get("userFraction")
    if fraction is not None:
        if status not in ("inProgress", "halted"):
            raise Refused(
                google_error(
                    400,
                    "Invalid request - userFraction may only be set for inProgress or halted "
                    "releases.",
                )
            )
        if not isinstance(fraction, int | float) or not 0 < fraction < 1:
            raise Refused(google_error(400, "Invalid request - userFraction must be in (0, 1)."))
    if status == "halted":
        was = next((r for r in live if sorted(r.get("versionCodes", [])) == sorted(codes)), None)
        if was is None or was.get("status") not in ("inProgress", "halted"):
            raise Refused(
                google_error(
                    400,
                    "Cannot halt release, no matching in progress release found.",
                    "releaseToHaltNotFound",
                )
            )
        if fraction is None:
            raise Refused(google_error(400, "Invalid request - HALTED release must have fraction."))
    if status == "inProgress" and fraction is None:
        raise Refused(
            google_error(400, "Invalid request - IN_PROGRESS release must have fraction.")
        )


def keep_latest_completed(
    tracks: dict[str, list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """A track keeps one completed release: the newest (highest version code) replaces the rest."""
    kept: dict[str, list[dict[str, Any]]] = {}
    for name, releases in tracks.items():
        completed = [r for r in releases if r.get("status") == "completed"]
        newest = max(completed, key=lambda r: max(int(c) for c in r["versionCodes"]), default=None)
        kept[name] = [r for r in releases if r.get("status") != "completed" or r is newest]
    return copy.deepcopy(kept)
