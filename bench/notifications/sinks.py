"""The fake providers of tests/fakes, with every request stamped the moment it arrived.

A delivery's latency ends when the provider *has* the message: the request
arrived (before the fake's ``delay``, its slow answer). The stamps are on the
bench's monotonic clock, like the watch events the records are first seen
in, so no clock skew and no whole-second ``createdAt`` enters the figure.
Receipts are kept per record id (the webhook's ``Idempotency-Key``, the id in
Slack's message metadata), so duplicates are counted, not inferred.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from tests.fakes import FakeSlack, FakeWebhookSink

from bench.notifications.shape import SIGNING_SECRET, SLACK_CHANNEL_ID, SLACK_TOKEN

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
POST_MESSAGE = "chat.postMessage"


@dataclass(frozen=True)
class Receipt:
    """One request that carried a record id."""

    arrived: float
    """Monotonic, when the request reached the fake (before its delay)."""
    arrived_wall: float
    """time.time() then, to compare with the record's createdAt."""
    accepted: bool
    """The fake took it (2xx; for Slack ``ok: true``)."""


class Receipts:
    """Receipts by record id, and calls by method; any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_id: dict[str, list[Receipt]] = {}
        self.calls: Counter[str] = Counter()

    def add(self, method: str, record_id: str, receipt: Receipt | None) -> None:
        with self._lock:
            self.calls[method] += 1
            if record_id and receipt is not None:
                self.by_id.setdefault(record_id, []).append(receipt)

    def snapshot(self) -> tuple[dict[str, list[Receipt]], Counter[str]]:
        with self._lock:
            return {k: list(v) for k, v in self.by_id.items()}, Counter(self.calls)


def _webhook_id(request: web.Request, raw: bytes) -> tuple[str, str]:
    return "POST", request.headers.get("Idempotency-Key", "")


def _slack_id(request: web.Request, raw: bytes) -> tuple[str, str]:
    """(method, the record id of a chat.postMessage), from a JSON or a form body."""
    method = request.match_info.get("method", "")
    if method != POST_MESSAGE:
        return method, ""
    try:
        arguments: dict[str, Any] = (
            json.loads(raw)
            if request.content_type == "application/json"
            else dict(parse_qsl(raw.decode()))
        )
    except ValueError:
        return method, ""
    metadata = arguments.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    return method, str((metadata.get("event_payload") or {}).get("id") or "")


def _accepted(response: web.StreamResponse) -> bool:
    if not 200 <= response.status < 300:
        return False
    body = getattr(response, "body", None)
    if isinstance(body, bytes) and body.startswith(b"{"):
        return json.loads(body).get("ok", True) is not False
    return True


def _stamped(
    routes: list[web.RouteDef],
    receipts: Receipts,
    identify: Callable[[web.Request, bytes], tuple[str, str]],
) -> list[web.RouteDef]:
    """The fake's routes, each handler stamping its requests first (aiohttp caches the body)."""

    def wrap(handler: Handler) -> Handler:
        async def stamped(request: web.Request) -> web.StreamResponse:
            arrived, arrived_wall = time.monotonic(), time.time()
            method, record_id = identify(request, await request.read())
            response = await handler(request)
            receipts.add(method, record_id, Receipt(arrived, arrived_wall, _accepted(response)))
            return response

        return stamped

    return [web.route(r.method, r.path, wrap(r.handler), **r.kwargs) for r in routes]


class StampedWebhookSink(FakeWebhookSink):
    """FakeWebhookSink (checks the signature) whose requests are stamped by Idempotency-Key."""

    def __init__(self, delay: float) -> None:
        super().__init__(SIGNING_SECRET)
        self.delay = delay
        self.receipts = Receipts()

    def routes(self) -> list[web.RouteDef]:
        return _stamped(super().routes(), self.receipts, _webhook_id)


class StampedSlack(FakeSlack):
    """FakeSlack whose chat.postMessage calls are stamped by the record id in their metadata."""

    def __init__(self, delay: float) -> None:
        super().__init__(SLACK_TOKEN, {SLACK_CHANNEL_ID: "bench"})
        self.delay = delay
        self.receipts = Receipts()

    def routes(self) -> list[web.RouteDef]:
        return _stamped(super().routes(), self.receipts, _slack_id)
