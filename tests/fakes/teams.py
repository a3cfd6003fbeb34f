"""A fake Microsoft Teams workflow webhook: takes a message holding Adaptive Cards.

Answers 202 with an empty body for a message it can show, as Teams
workflows do, and 400 for anything else.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
WEBHOOK_PATH = "/workflows/0fake/triggers/manual/paths/invoke"


def card_problem(document: Any) -> str:
    """Why Teams would refuse ``document``, or ""."""
    if not isinstance(document, dict) or document.get("type") != "message":
        return "the body must be a message"
    attachments = document.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "a message needs attachments"
    for attachment in attachments:
        if attachment.get("contentType") != ADAPTIVE_CARD:
            return "attachments must be Adaptive Cards"
        content = attachment.get("content") or {}
        if content.get("type") != "AdaptiveCard" or not isinstance(content.get("body"), list):
            return "an Adaptive Card needs type AdaptiveCard and a body"
    return ""


class FakeTeams(FakeHttpServer):
    """One incoming webhook whose URL (with its signature in the query) is ``webhook_url``."""

    def __init__(self, signature: str = "sig0fake0teams0signature") -> None:
        super().__init__()
        self.signature = signature
        self.cards: list[dict[str, Any]] = []
        """The ``content`` of every card received."""

    @property
    def webhook_url(self) -> str:
        return f"{self.url}{WEBHOOK_PATH}?api-version=1&sig={self.signature}"

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._handle)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        failure = self.take_failure()
        await self.pause()
        if failure is not None:
            return failure.response()
        if request.query.get("sig") != self.signature:
            return web.json_response(
                {"error": {"code": "DirectApiAuthorizationRequired"}}, status=401
            )
        try:
            document = json.loads(await request.read())
        except ValueError:
            document = None
        problem = card_problem(document)
        if problem:
            return web.json_response(
                {"error": {"code": "InvalidRequestContent", "message": problem}}, status=400
            )
        with self.lock:
            self.cards += [attachment["content"] for attachment in document["attachments"]]
        return web.Response(status=202)
