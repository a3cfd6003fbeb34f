"""A fake Sentry release-health API: ``GET /api/0/organizations/{org}/sessions/``.

Also ``GET /api/0/projects/{org}/{slug}/``, which gives a project's numeric id.

Answers in Sentry's shape, ``{"start", "end", "intervals", "groups": [{"by",
"totals", "series"}]}``: without ``groupBy`` one group whose ``by`` is empty,
its rate null when the release has no sessions. Refuses as Sentry does, with
``{"detail": …}``: 401 without or with a wrong token, 403 for a token
without access to the project, 404 for another organization, 400 for a
project that is not a number or an unknown field, 429 with ``Retry-After``
when told to throttle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer

PERIOD = re.compile(r"^([0-9]+)([smhdw])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
RELEASE_QUERY = re.compile(r'^release:"([^"]+)"$')
FIELDS = (
    "sum(session)",
    "count_unique(user)",
    "crash_free_rate(session)",
    "crash_free_rate(user)",
    "crash_rate(session)",
    "crash_rate(user)",
)


@dataclass
class ReleaseHealth:
    """What the SDKs of one release in one environment reported."""

    sessions: int
    crashed_sessions: int
    users: int
    crashed_users: int

    def total(self, field: str) -> float | int | None:
        counts = {
            "sum(session)": self.sessions,
            "count_unique(user)": self.users,
        }
        if field in counts:
            return counts[field]
        kind = "session" if field.endswith("(session)") else "user"
        total, crashed = (
            (self.sessions, self.crashed_sessions)
            if kind == "session"
            else (self.users, self.crashed_users)
        )
        if not total:
            return None
        crash_rate = crashed / total
        return crash_rate if field.startswith("crash_rate") else 1 - crash_rate


class FakeSentry(FakeHttpServer):
    def __init__(
        self, token: str, org: str = "acme", projects: dict[str, int] | None = None
    ) -> None:
        super().__init__()
        self.token = token
        self.org = org
        self.slugs = dict(projects or {"shop-android": 42})
        """The projects the token may read, slug -> id."""
        self.projects = set(self.slugs.values())
        self.health: dict[tuple[int, str, str], ReleaseHealth] = {}
        self.requests: list[list[tuple[str, str]]] = []
        """Each request's query string, as (name, value) pairs in order."""

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/0/organizations/{org}/sessions/", self._sessions),
            web.get("/api/0/projects/{org}/{slug}/", self._project),
        ]

    def report(self, project: int, environment: str, release: str, health: ReleaseHealth) -> None:
        """The release's sessions, as its SDKs would have sent them."""
        self.health[(project, environment, release)] = health

    def throttle_next(self, retry_after: int = 30) -> None:
        self.fail_next(
            status=429,
            headers={"Retry-After": str(retry_after)},
            body={
                "detail": "You are attempting to use this endpoint too frequently. "
                "Limit is 40 requests in 1 seconds"
            },
        )

    async def _sessions(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        with self.lock:
            self.requests.append(list(request.query.items()))
        return self._answer(request.query)

    async def _project(self, request: web.Request) -> web.StreamResponse:
        # GET /api/0/projects/{org}/{slug}/: the project's details, its id a string.
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        slug = request.match_info["slug"]
        if slug not in self.slugs:
            return _detail(404, "The requested resource does not exist")
        return web.json_response({"id": str(self.slugs[slug]), "slug": slug, "name": slug})

    async def _refusal(self, request: web.Request) -> web.StreamResponse | None:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        authorization = request.headers.get("Authorization", "")
        if not authorization:
            return _detail(401, "Authentication credentials were not provided.")
        if authorization != f"Bearer {self.token}":
            return _detail(401, "Invalid token")
        if request.match_info["org"] != self.org:
            return _detail(404, "The requested resource does not exist")
        return None

    def _answer(self, query: Any) -> web.Response:
        fields = query.getall("field", [])
        if not fields:
            return _detail(400, 'Request is missing a "field"')
        for field in fields:
            if field not in FIELDS:
                return _detail(400, f'Invalid field: "{field}"')
        try:
            projects = [int(value) for value in query.getall("project", [])]
        except ValueError:
            return _detail(400, "Invalid project parameter. Values must be numbers.")
        if any(project not in self.projects for project in projects):
            return _detail(403, "You do not have permission to perform this action.")
        period = PERIOD.match(query.get("statsPeriod", "90d"))
        if period is None:
            return _detail(400, "Invalid statsPeriod")
        match = RELEASE_QUERY.match(query.get("query", ""))
        environments = query.getall("environment", [])
        reports = [
            health
            for (project, environment, release), health in self.health.items()
            if (not projects or project in projects)
            and (not environments or environment in environments)
            and (match is None or release == match.group(1))
        ]
        merged = ReleaseHealth(
            sum(r.sessions for r in reports),
            sum(r.crashed_sessions for r in reports),
            sum(r.users for r in reports),
            sum(r.crashed_users for r in reports),
        )
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        hours = max(1, int(period.group(1)) * UNITS[period.group(2)] // 3600)
        intervals = [end - timedelta(hours=hours - index) for index in range(hours)]
        totals = {field: merged.total(field) for field in fields}
        series = {field: [0] * (hours - 1) + [totals[field]] for field in fields}
        return web.json_response(
            {
                "start": _iso(intervals[0]),
                "end": _iso(end),
                "intervals": [_iso(moment) for moment in intervals],
                "groups": [{"by": {}, "totals": totals, "series": series}],
                "query": query.get("query", ""),
            }
        )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _detail(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)
