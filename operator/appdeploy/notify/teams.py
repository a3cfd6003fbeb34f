"""Microsoft Teams transport: an Adaptive Card POSTed to an incoming-webhook (workflow) URL.

Teams answers with no message id and cannot be asked what it received, so a
resend after a crash may post twice; a channel that must not repeat itself
sets ``delivery: AtMostOnce``.
"""

from __future__ import annotations

import json

from appdeploy.notify.http_post import (
    DEFAULT_CONNECT_RETRIES,
    DEFAULT_TIMEOUT,
    http_client,
    post_json,
)
from appdeploy.notify.render import teams_mentions
from appdeploy.notify.transport import Message

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"


def teams_card(message: Message) -> dict[str, object]:
    """The webhook body: one message holding one Adaptive Card."""
    record = message.record
    mentioned, entities = teams_mentions(record.mentions, message.directory)
    body: list[dict[str, object]] = [
        {"type": "TextBlock", "text": record.title, "weight": "Bolder", "wrap": True}
    ]
    if mentioned:
        body.append({"type": "TextBlock", "text": f"For: {mentioned}", "wrap": True})
    if record.text:
        body.append({"type": "TextBlock", "text": record.text, "wrap": True})
    body.append(
        {
            "type": "FactSet",
            "facts": [
                {"title": "Release", "value": message.release},
                {"title": "Run", "value": str(record.run)},
                {"title": "Event", "value": str(record.event)},
            ],
        }
    )
    content: dict[str, object] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if entities:
        content["msteams"] = {"entities": entities}
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": content}],
    }


class TeamsSender:
    """Posts cards to one Teams webhook URL."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
    ) -> None:
        self._url = url
        self._client = http_client(timeout=timeout, connect_retries=connect_retries)

    def __repr__(self) -> str:
        return "TeamsSender(<url redacted>)"

    async def send(self, message: Message) -> str:
        """POST the card; Teams gives no id back, so the reference is the record id."""
        await post_json(
            self._client,
            self._url,
            json.dumps(teams_card(message)).encode(),
            provider="teams",
            secrets=[self._url],
        )
        return message.record.id

    async def find_sent(self, message: Message) -> str | None:
        """Teams cannot be asked what it received."""
        return None

    async def close(self) -> None:
        await self._client.aclose()
