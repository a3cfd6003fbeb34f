"""A webhook receiver that checks appdeploy's signature and records each Idempotency-Key.

The signature is verified here from the documented scheme
(docs/notifications.md), not with appdeploy's own code, so a change to the
scheme on one side shows up as a refused delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer

TOLERANCE = 300
"""Seconds a signature's timestamp may differ from the receiver's clock."""


@dataclass(frozen=True)
class Received:
    """One request the sink accepted or refused."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    signature_ok: bool | None
    """None when the sink has no secret to check with."""
    status: int
    """What the sink answered."""
    processed: bool
    """The sink acted on it (a 2xx, or a scripted failure ``after_effect``)."""

    @property
    def idempotency_key(self) -> str:
        return self.headers.get("Idempotency-Key", "")


def expected_signature(secret: str, timestamp: str, raw: bytes) -> str:
    signed = b"v1:" + timestamp.encode() + b":" + raw
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


class FakeWebhookSink(FakeHttpServer):
    """Accepts POSTs anywhere; 401 for a bad signature when it has a ``secret``."""

    def __init__(self, secret: str | None = None, *, answer_id: bool = False) -> None:
        super().__init__()
        self.secret = secret
        self.answer_id = answer_id
        """Answer ``{"id": "sink-<key>"}``, like receivers that file what they get."""
        self.received: list[Received] = []

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/{path:.*}", self._handle)]

    def accepted(self) -> list[Received]:
        """Requests the sink acted on (a refused one is the sender's to retry)."""
        with self.lock:
            return [r for r in self.received if r.processed]

    def delivered_keys(self) -> Counter[str]:
        """How many accepted requests carried each Idempotency-Key."""
        return Counter(r.idempotency_key for r in self.accepted())

    def _verify(self, request: web.Request, raw: bytes) -> bool | None:
        if self.secret is None:
            return None
        timestamp = request.headers.get("X-Appdeploy-Timestamp", "")
        given = request.headers.get("X-Appdeploy-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE:
            return False
        return hmac.compare_digest(given, expected_signature(self.secret, timestamp, raw))

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        failure = self.take_failure()
        await self.pause()
        signature_ok = self._verify(request, raw)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        key = request.headers.get("Idempotency-Key", "")
        if failure is not None:
            response = failure.response()
        elif signature_ok is False:
            response = web.json_response({"error": "bad signature"}, status=401)
        elif self.answer_id:
            response = web.json_response({"id": f"sink-{key}"})
        else:
            response = web.Response(status=204)
        acted = 200 <= response.status < 300 or bool(failure and failure.after_effect)
        processed = acted and signature_ok is not False
        received = Received(
            request.path, dict(request.headers), body, raw, signature_ok, response.status, processed
        )
        with self.lock:
            self.received.append(received)
        return response
