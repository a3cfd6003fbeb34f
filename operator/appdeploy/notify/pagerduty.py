"""PagerDuty transport: Events API v2, one incident per gate.

A gate that waits (opened, reminded, escalated) triggers an alert whose
``dedup_key`` is derived from the release, the run and the gate, so every
escalation of that gate lands on ONE incident; anything else about the same
step (decided, failed) resolves it. PagerDuty deduplicates by that key, so a
resend after a crash is harmless: at-least-once is safe.
"""

from __future__ import annotations

import hashlib
import json

from appdeploy.api.notify import NotifyEvent
from appdeploy.notify.http_post import (
    DEFAULT_CONNECT_RETRIES,
    DEFAULT_TIMEOUT,
    http_client,
    post_json,
)
from appdeploy.notify.render import plain_text
from appdeploy.notify.transport import Message

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
TRIGGERS = frozenset(
    {NotifyEvent.GATE_OPENED, NotifyEvent.GATE_REMINDED, NotifyEvent.GATE_ESCALATED}
)
"""Events that page: a person is needed. Every other event resolves."""
SUMMARY_LIMIT = 1024
"""PagerDuty refuses a longer ``payload.summary``."""


def dedup_key(release: str, run: int, step: str) -> str:
    """The incident key of one gate in one run (bounded: PagerDuty allows 255 characters)."""
    digest = hashlib.sha256("\0".join((release, str(run), step)).encode()).hexdigest()[:32]
    return f"appdeploy-{digest}"


def event_body(message: Message, routing_key: str) -> dict[str, object]:
    """The Events v2 request for ``message``: a trigger with a payload, or a resolve."""
    record = message.record
    body: dict[str, object] = {
        "routing_key": routing_key,
        "dedup_key": dedup_key(message.release, record.run, record.step),
    }
    if record.event not in TRIGGERS:
        return {**body, "event_action": "resolve"}
    return {
        **body,
        "event_action": "trigger",
        "payload": {
            "summary": record.title[:SUMMARY_LIMIT],
            "source": message.release,
            "severity": "error" if record.event == NotifyEvent.GATE_ESCALATED else "warning",
            "component": record.step,
            "class": str(record.event),
            "custom_details": {
                "id": record.id,
                "release": message.release,
                "run": record.run,
                "step": record.step,
                "ordinal": record.ordinal,
                "text": plain_text(message),
            },
        },
    }


class PagerDutySender:
    """Triggers and resolves incidents through one integration's routing key."""

    def __init__(
        self,
        routing_key: str,
        *,
        api_url: str = "",
        timeout: float = DEFAULT_TIMEOUT,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
    ) -> None:
        self._routing_key = routing_key
        self._url = api_url or EVENTS_URL
        self._client = http_client(timeout=timeout, connect_retries=connect_retries)

    def __repr__(self) -> str:
        return f"PagerDutySender({self._url})"

    async def send(self, message: Message) -> str:
        """Enqueue the event; the ``dedup_key`` PagerDuty filed it under."""
        body = event_body(message, self._routing_key)
        response = await post_json(
            self._client,
            self._url,
            json.dumps(body).encode(),
            provider="pagerduty",
            secrets=[self._routing_key],
        )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        key = answer.get("dedup_key") if isinstance(answer, dict) else None
        return key if isinstance(key, str) and key else str(body["dedup_key"])

    async def find_sent(self, message: Message) -> str | None:
        """PagerDuty deduplicates by key, so resending is the answer."""
        return None

    async def close(self) -> None:
        await self._client.aclose()
