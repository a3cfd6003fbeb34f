"""A fake PagerDuty Events API v2: ``POST /v2/enqueue``, incidents kept by ``dedup_key``.

Answers as PagerDuty does: 202 ``{"status": "success", "message": "Event
processed", "dedup_key": ...}``; 400 ``{"status": "invalid event", ...}`` for
a body it cannot take; 429 when told to throttle (``throttle_next``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
STATUS_AFTER = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}


@dataclass
class Incident:
    """What PagerDuty made of the events with one dedup_key."""

    dedup_key: str
    status: str
    events: list[dict[str, Any]] = field(default_factory=list)


def invalid_reasons(event: Any, routing_key: str) -> list[str]:
    if not isinstance(event, dict):
        return ["Event object is not a JSON object"]
    errors = []
    if event.get("routing_key") != routing_key:
        errors.append("'routing_key' is invalid")
    if event.get("event_action") not in ACTIONS:
        errors.append("'event_action' is missing or invalid")
    if event.get("event_action") == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*errors, "'payload' is missing or invalid"]
        for name in ("summary", "source"):
            if not isinstance(payload.get(name), str) or not payload[name]:
                errors.append(f"'payload.{name}' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' is missing or invalid")
    elif not event.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve")
    return errors


class FakePagerDuty(FakeHttpServer):
    """One integration, reached with ``routing_key``."""

    def __init__(self, routing_key: str = "R0FAKEROUTINGKEY0000000000000000") -> None:
        super().__init__()
        self.routing_key = routing_key
        self.events: list[dict[str, Any]] = []
        """Accepted events, in order."""
        self.incidents: dict[str, Incident] = {}

    @property
    def events_url(self) -> str:
        """What PagerDutyTransport.apiUrl is set to."""
        return self.url + "/v2/enqueue"

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v2/enqueue", self._enqueue)]

    def throttle_next(self, times: int = 1) -> None:
        self.fail_next(
            times,
            status=429,
            body={
                "status": "throttle event",
                "message": "Requests for this service are "
                "arriving too quickly. Please retry later.",
            },
        )

    async def _enqueue(self, request: web.Request) -> web.StreamResponse:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        try:
            event = json.loads(await request.read())
        except ValueError:
            event = None
        errors = invalid_reasons(event, self.routing_key)
        if errors:
            return web.json_response(
                {"status": "invalid event", "message": "Event object is invalid", "errors": errors},
                status=400,
            )
        key = event.get("dedup_key") or uuid.uuid4().hex
        with self.lock:
            self.events.append(event)
            incident = self.incidents.setdefault(key, Incident(key, "triggered"))
            incident.events.append(event)
            # A trigger after a resolve opens the incident again, as in PagerDuty.
            incident.status = STATUS_AFTER[event["event_action"]]
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": key}, status=202
        )
