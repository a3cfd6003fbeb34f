"""A fake Slack Web API: chat.postMessage/.update, conversations.history/.replies/.list, auth.test.

Wire shapes as Slack documents them: every answer is HTTP 200 with
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; rate limiting is
HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``.
Arguments are read from a JSON body, a form body or the query string, the
bearer token is checked, and message metadata is returned only when
``include_all_metadata`` is asked for.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.http_server import FakeHttpServer

BOT_ID = "B0APPDEPLOY"
BOT_USER = "U0APPDEPLOY"


@dataclass
class Posted:
    """A message in the fake workspace."""

    channel: str
    ts: str
    text: str
    thread_ts: str = ""
    metadata: dict[str, Any] | None = None
    edited: bool = False
    updates: list[str] = field(default_factory=list)
    """Texts it had before each chat.update."""

    def wire(self, *, with_metadata: bool) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": self.text,
            "ts": self.ts,
        }
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.edited:
            message["edited"] = {"user": BOT_USER, "ts": self.ts}
        if with_metadata and self.metadata:
            message["metadata"] = self.metadata
        return message


def truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


class FakeSlack(FakeHttpServer):
    """One workspace with the conversations in ``channels`` (id -> name)."""

    def __init__(self, token: str = "xoxb-fake-token", channels: dict[str, str] | None = None):
        super().__init__()
        self.token = token
        self.channels = channels or {"C0MOBILEQA": "mobile-qa"}
        self.messages: list[Posted] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """(method, arguments) of every call, in order."""
        self._last_ts = 0.0

    @property
    def api_url(self) -> str:
        """What SlackTransport.apiUrl is set to."""
        return self.url + "/api/"

    def posts(self, channel: str | None = None) -> list[Posted]:
        """Messages posted (top-level and replies), oldest first."""
        with self.lock:
            return [m for m in self.messages if channel in (None, m.channel)]

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [arguments for name, arguments in self.calls if name == method]

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/api/{method}", self._handle)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        arguments = await self._arguments(request)
        with self.lock:
            self.calls.append((method, arguments))
        failure = self.take_failure()
        await self.pause()
        if failure is not None and not failure.after_effect:
            return failure.response()
        answer = self._authorize(request, arguments) or self._answer(method, arguments)
        if failure is not None:
            return failure.response()
        return web.json_response(answer)

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        arguments: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            arguments.update(await request.json())
        elif request.can_read_body:
            arguments.update(dict(await request.post()))
        for key in ("metadata",):
            if isinstance(arguments.get(key), str):
                arguments[key] = json.loads(arguments[key])
        return arguments

    def _authorize(self, request: web.Request, arguments: dict[str, Any]) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        token = token or str(arguments.get("token", ""))
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        return None

    def _answer(self, method: str, arguments: dict[str, Any]) -> dict[str, Any]:
        handlers = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post,
            "chat.update": self._update,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.list": self._list,
        }
        handler = handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self.lock:
            return handler(arguments)

    def _channel_id(self, value: Any, *, names: bool) -> str | None:
        value = str(value or "")
        if value in self.channels:
            return value
        if names:
            for channel_id, name in self.channels.items():
                if value.removeprefix("#") == name:
                    return channel_id
        return None

    def _next_ts(self) -> str:
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _auth_test(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://appdeploy-fake.slack.com/",
            "team": "appdeploy fake",
            "user": "appdeploy",
            "team_id": "T0APPDEPLOY",
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
        }

    def _post(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(arguments.get("channel"), names=True)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not arguments.get("text") and not arguments.get("blocks"):
            return {"ok": False, "error": "no_text"}
        posted = Posted(
            channel=channel,
            ts=self._next_ts(),
            text=str(arguments.get("text", "")),
            thread_ts=str(arguments.get("thread_ts") or ""),
            metadata=arguments.get("metadata"),
        )
        self.messages.append(posted)
        return {
            "ok": True,
            "channel": channel,
            "ts": posted.ts,
            "message": posted.wire(with_metadata=True),
        }

    def _message_at(self, arguments: dict[str, Any], *, missing: str) -> Posted | str:
        """The message ``channel`` (an id) and ``ts`` name, or Slack's error for its absence."""
        channel = self._channel_id(arguments.get("channel"), names=False)
        if channel is None:
            return "channel_not_found"
        ts = arguments.get("ts")
        found = next((m for m in self.messages if m.channel == channel and m.ts == ts), None)
        return found if found is not None else missing

    def _update(self, arguments: dict[str, Any]) -> dict[str, Any]:
        posted = self._message_at(arguments, missing="message_not_found")
        if isinstance(posted, str):
            return {"ok": False, "error": posted}
        channel = posted.channel
        posted.updates.append(posted.text)
        posted.text = str(arguments.get("text", posted.text))
        posted.edited = True
        if arguments.get("metadata"):
            posted.metadata = arguments["metadata"]
        return {
            "ok": True,
            "channel": channel,
            "ts": posted.ts,
            "text": posted.text,
            "message": posted.wire(with_metadata=True),
        }

    def _page(
        self, key: str, items: list[dict[str, Any]], arguments: dict[str, Any]
    ) -> dict[str, Any]:
        """Slack's cursor pagination: ``limit`` items, ``response_metadata.next_cursor``."""
        start = int(str(arguments.get("cursor") or "0").removeprefix("offset:") or 0)
        limit = int(arguments.get("limit") or 100)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            key: page,
            "has_more": more,
            "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""},
        }

    def _in_window(self, posted: Posted, arguments: dict[str, Any]) -> bool:
        oldest = float(arguments.get("oldest") or 0)
        latest = float(arguments.get("latest") or "inf")
        return oldest < float(posted.ts) <= latest

    def _history(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first (replies live in their thread)."""
        channel = self._channel_id(arguments.get("channel"), names=False)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        with_metadata = truthy(arguments.get("include_all_metadata"))
        found = [
            m.wire(with_metadata=with_metadata)
            for m in reversed(self.messages)
            if m.channel == channel
            and (not m.thread_ts or m.thread_ts == m.ts)
            and self._in_window(m, arguments)
        ]
        return {**self._page("messages", found, arguments), "pin_count": 0}

    def _replies(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The thread's parent, then its replies, oldest first."""
        parent = self._message_at(arguments, missing="thread_not_found")
        if isinstance(parent, str):
            return {"ok": False, "error": parent}
        channel = parent.channel
        with_metadata = truthy(arguments.get("include_all_metadata"))
        thread = [parent] + [
            m for m in self.messages if m.channel == channel and m.thread_ts == parent.ts
        ]
        found = [
            m.wire(with_metadata=with_metadata) for m in thread if self._in_window(m, arguments)
        ]
        return self._page("messages", found, arguments)

    def _list(self, arguments: dict[str, Any]) -> dict[str, Any]:
        channels = [
            {
                "id": channel_id,
                "name": name,
                "is_channel": True,
                "is_member": True,
                "is_archived": False,
            }
            for channel_id, name in self.channels.items()
        ]
        return self._page("channels", channels, arguments)

    def rate_limit_next(self, times: int = 1, retry_after: int = 0) -> None:
        """Answer like Slack's rate limiter: HTTP 429, Retry-After, ``ratelimited``."""
        self.fail_next(
            times,
            status=429,
            body={"ok": False, "error": "ratelimited"},
            headers={"Retry-After": str(retry_after)},
        )

    def error_next(self, error: str, times: int = 1) -> None:
        """Answer ``{"ok": false, "error": error}`` with HTTP 200, as Slack does."""
        self.fail_next(times, status=200, body={"ok": False, "error": error})
