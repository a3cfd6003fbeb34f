"""Webhook transport: a signed JSON POST carrying the record id as ``Idempotency-Key``.

At-least-once: a resend after a crash carries the same ``Idempotency-Key``
(the record id), so the receiver drops duplicates. The signature follows
Slack's and Stripe's scheme: HMAC-SHA256 over ``v1:<timestamp>:<raw body>``,
so a captured request cannot be replayed later with a new timestamp
(docs/notifications.md, "Transports").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

from appdeploy.api.timestamps import format_timestamp
from appdeploy.notify.http_post import (
    DEFAULT_CONNECT_RETRIES,
    DEFAULT_TIMEOUT,
    http_client,
    post_json,
)
from appdeploy.notify.transport import Message

SIGNATURE_VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``v1:<timestamp>:<body>`` keyed with ``secret``."""
    signed = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_body(message: Message) -> bytes:
    """The JSON document a receiver gets: the record, without delivery bookkeeping."""
    record = message.record
    document = {
        "id": record.id,
        "event": str(record.event),
        "release": message.release,
        "channel": record.channel,
        "run": record.run,
        "step": record.step,
        "ordinal": record.ordinal,
        "title": record.title,
        "text": record.text,
        "mentions": {
            "users": record.mentions.users,
            "groups": record.mentions.groups,
            "exceptUsers": record.mentions.except_users,
        },
        "thread": record.thread,
        "replaces": record.replaces,
        "createdAt": format_timestamp(record.created_at),
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class WebhookSender:
    """POSTs records to one URL, signed when the channel has a signing secret."""

    def __init__(
        self,
        url: str,
        signing_secret: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url
        self._signing_secret = signing_secret
        self._clock = clock
        self._client = http_client(timeout=timeout, connect_retries=connect_retries)

    def __repr__(self) -> str:
        return "WebhookSender(<url redacted>)"

    async def send(self, message: Message) -> str:
        """POST the record; the receiver's ``id`` when it answers one, else the record id."""
        body = webhook_body(message)
        headers = {
            "Idempotency-Key": message.record.id,
            "X-Appdeploy-Event": str(message.record.event),
        }
        if self._signing_secret:
            timestamp = int(self._clock())
            headers["X-Appdeploy-Timestamp"] = str(timestamp)
            headers["X-Appdeploy-Signature"] = signature(self._signing_secret, timestamp, body)
        response = await post_json(
            self._client,
            self._url,
            body,
            provider="webhook",
            secrets=[self._url, self._signing_secret or ""],
            headers=headers,
        )
        try:
            answer = response.json()
        except ValueError:
            return message.record.id
        returned = answer.get("id") if isinstance(answer, dict) else None
        return returned if isinstance(returned, str) and returned else message.record.id

    async def find_sent(self, message: Message) -> str | None:
        """A webhook cannot be asked what it received: the Idempotency-Key makes resending safe."""
        return None

    async def close(self) -> None:
        await self._client.aclose()
