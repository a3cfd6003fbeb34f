"""A fake Play Developer Reporting API (v1beta1): crash and ANR metric sets of one app.

``GET /v1beta1/apps/{package}/{set}MetricSet`` answers ``freshnessInfo``
(DAILY data reaches ``fresh_until``, exclusive, in America/Los_Angeles);
``POST …:query`` answers ``{"rows": [{"aggregationPeriod", "startTime",
"dimensions": [{"dimension": "versionCode", "int64Value"}], "metrics":
[{"metric", "decimalValue": {"value"}}]}]}``. It checks what the real API
checks: a bearer token from the fake OAuth endpoint with the reporting
scope (401/403 otherwise, in Google's error shape), DAILY times as whole
days in America/Los_Angeles, an end no later than the freshness, known
metrics and dimensions, a ``versionCode = N`` filter.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.http_server import FakeHttpServer

SCOPE = "https://www.googleapis.com/auth/playdeveloperreporting"
METRICS = {
    "crashRate": {"crashRate", "userPerceivedCrashRate", "distinctUsers"},
    "anrRate": {"anrRate", "userPerceivedAnrRate", "distinctUsers"},
}
DIMENSIONS = {"versionCode", "apiLevel", "deviceModel", "countryCode"}


class FakePlayReporting(FakeHttpServer):
    def __init__(self, oauth: FakeGoogleOAuth, package: str = "com.example.shop") -> None:
        super().__init__()
        self.oauth = oauth
        self.package = package
        self.fresh_until: date | None = None
        """The exclusive end of the DAILY data; None: no DAILY data at all yet."""
        self.days: dict[tuple[str, date, str], dict[str, str]] = {}
        """``(metric set, day, version code)`` -> metric values as decimal strings."""
        self.queries: list[dict[str, Any]] = []

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v1beta1/apps/{package}/{name}", self._metric_set),
            web.post("/v1beta1/apps/{package}/{name}", self._query),
        ]

    def record(self, metric_set: str, day: date, version_code: str, **values: str) -> None:
        """What Play computed for ``version_code`` on ``day`` (e.g. userPerceivedCrashRate)."""
        self.days[(metric_set, day, version_code)] = dict(values)

    async def _metric_set(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        metric_set = self._set_name(request.match_info["name"])
        if metric_set is None:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        freshnesses = []
        if self.fresh_until is not None:
            end = self.fresh_until
            freshnesses.append(
                {
                    "aggregationPeriod": "DAILY",
                    "latestEndTime": {
                        "year": end.year,
                        "month": end.month,
                        "day": end.day,
                        "timeZone": {"id": "America/Los_Angeles"},
                    },
                }
            )
        name = f"apps/{self.package}/{metric_set}MetricSet"
        return web.json_response({"name": name, "freshnessInfo": {"freshnesses": freshnesses}})

    async def _query(self, request: web.Request) -> web.StreamResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        name = request.match_info["name"]
        metric_set = (
            self._set_name(name.removesuffix(":query")) if name.endswith(":query") else None
        )
        if metric_set is None:
            return _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        body = await request.json()
        with self.lock:
            self.queries.append(body)
        problem = self._invalid(metric_set, body)
        if problem:
            return _google_error(400, "INVALID_ARGUMENT", problem)
        start = _day(body["timelineSpec"]["startTime"])
        end = _day(body["timelineSpec"]["endTime"])
        wanted = body["filter"].split("=")[1].strip()
        rows = []
        day = start
        while day < end:
            values = self.days.get((metric_set, day, wanted))
            if values is not None:
                rows.append(_row(day, wanted, values, body["metrics"]))
            day += timedelta(days=1)
        return web.json_response({"rows": rows} if rows else {})

    async def _refusal(self, request: web.Request) -> web.Response | None:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        authorization = request.headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or not self.oauth.scopes_of(token):
            return _google_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            )
        if SCOPE not in self.oauth.scopes_of(token):
            return _google_error(
                403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."
            )
        if request.match_info["package"] != self.package:
            return _google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        return None

    def _set_name(self, name: str) -> str | None:
        metric_set = name.removesuffix("MetricSet")
        return metric_set if name.endswith("MetricSet") and metric_set in METRICS else None

    def _invalid(self, metric_set: str, body: Any) -> str:
        spec = body.get("timelineSpec") or {}
        if spec.get("aggregationPeriod") != "DAILY":
            return "Only DAILY aggregation is supported for this metric set."
        for key in ("startTime", "endTime"):
            moment = spec.get(key) or {}
            if (moment.get("timeZone") or {}).get("id") != "America/Los_Angeles":
                return f"timeline_spec.{key}: DAILY requires time zone America/Los_Angeles."
            if any(moment.get(part) for part in ("hours", "minutes", "seconds", "nanos")):
                return f"timeline_spec.{key}: DAILY times must be whole days."
        start, end = _day(spec["startTime"]), _day(spec["endTime"])
        if start >= end:
            return "timeline_spec: start_time must be before end_time."
        if self.fresh_until is None or end > self.fresh_until:
            return "timeline_spec.end_time is later than the latest available data."
        unknown = set(body.get("metrics") or []) - METRICS[metric_set]
        if unknown or not body.get("metrics"):
            return f"Unknown metrics: {sorted(unknown)}"
        if set(body.get("dimensions") or []) - DIMENSIONS:
            return "Unknown dimensions."
        parts = str(body.get("filter", "")).split("=")
        if len(parts) != 2 or parts[0].strip() != "versionCode" or not parts[1].strip().isdigit():
            return f"Invalid filter: {body.get('filter')!r}"
        return ""


def _row(
    day: date, version_code: str, values: dict[str, str], metrics: list[str]
) -> dict[str, Any]:
    return {
        "aggregationPeriod": "DAILY",
        "startTime": {
            "year": day.year,
            "month": day.month,
            "day": day.day,
            "timeZone": {"id": "America/Los_Angeles"},
        },
        "dimensions": [{"dimension": "versionCode", "int64Value": version_code}],
        "metrics": [
            {"metric": metric, "decimalValue": {"value": values[metric]}}
            for metric in metrics
            if metric in values
        ],
    }


def _day(moment: dict[str, Any]) -> date:
    return date(int(moment["year"]), int(moment["month"]), int(moment["day"]))


def _google_error(code: int, status: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message, "status": status}}, status=code
    )
