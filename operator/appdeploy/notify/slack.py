"""Slack transport: chat.postMessage with the record id in message metadata, with slack-sdk.

No duplicate post per record: every message carries
``metadata.event_payload.id`` = the record id, so before a record is posted
again after a crash (or after an attempt whose outcome is unknown: a
timeout, a dropped connection, a 5xx), conversations.history (or .replies in
a thread) is searched for that id and the earlier message's ``ts`` is
returned instead of posting twice.

For the same reason the SDK's retry handlers are given only the failures
where Slack certainly did not post: a refused connection and ``ratelimited``
(HTTP 429, whose Retry-After the handler sleeps). A 5xx or a dropped
connection goes back to the delivery worker, which looks before it resends.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from appdeploy.notify.http_post import retry_after_seconds
from appdeploy.notify.redaction import redact
from appdeploy.notify.render import slack_escape, slack_text
from appdeploy.notify.transport import DeliveryError, Message

API_URL = "https://slack.com/api/"
EVENT_TYPE = "appdeploy_notification"
"""``metadata.event_type`` of every message appdeploy posts."""
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
HISTORY_MARGIN = timedelta(minutes=15)
"""Searched before a record's ``createdAt``: the operator's and Slack's clocks may disagree."""
PAGE_SIZE = 200
MAX_PAGES = 10
"""A search reads at most this many pages: Slack's history is rate-limited (Tier 3)."""

TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable"})
"""Error codes worth retrying. Every other ``ok: false`` (invalid_auth, channel_not_found,
not_in_channel, missing_scope, ...) will be refused again: a person must fix the channel."""


def slack_error(method: str, error: SlackApiError, token: str) -> DeliveryError:
    """The DeliveryError for Slack's answer to ``method``: its error code, classified."""
    status = error.response.status_code
    data = error.response.data
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    detail = f"slack {method}: {code or 'no error code'} (HTTP {status})"
    retryable = status == 429 or status >= 500 or code in TRANSIENT
    return DeliveryError(
        redact(detail, [token]),
        retryable=retryable,
        retry_after=retry_after_seconds(error.response.headers) if status == 429 else None,
    )


class SlackSender:
    """Posts records into one Slack conversation as the bot whose token it holds."""

    def __init__(
        self,
        channel: str,
        token: str,
        *,
        api_url: str = "",
        timeout: float = 10.0,
        rate_limit_retries: int = 2,
        connect_retries: int = 2,
    ) -> None:
        self._channel = channel
        self._channel_id = channel if CHANNEL_ID.match(channel) else ""
        self._token = token
        self._client = AsyncWebClient(
            token=token,
            base_url=api_url or API_URL,
            timeout=max(1, round(timeout)),
            retry_handlers=[
                # Only a connection that never opened: nothing was posted.
                AsyncConnectionErrorRetryHandler(
                    max_retry_count=connect_retries, error_types=[aiohttp.ClientConnectorError]
                ),
                AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ],
        )
        self._uncertain: set[str] = set()
        """Records whose last post may or may not have reached Slack."""

    def __repr__(self) -> str:
        return f"SlackSender({self._channel})"

    async def send(self, message: Message) -> str:
        """Post the record (in its thread, updating the message it replaces); its ``ts``."""
        record = message.record
        if record.id in self._uncertain:
            earlier = await self.find_sent(message)
            if earlier is not None:
                self._uncertain.discard(record.id)
                return earlier
        if message.replaces_ref:
            await self._update(message)
        thread_ts = message.thread_ref or message.replaces_ref
        response = await self._call(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=self._channel,
                text=slack_text(message),
                thread_ts=thread_ts or None,
                metadata={"event_type": EVENT_TYPE, "event_payload": self._payload(message)},
                unfurl_links=False,
            ),
            posting=record.id,
        )
        self._uncertain.discard(record.id)
        self._channel_id = self._channel_id or str(response.get("channel", ""))
        return str(response["ts"])

    async def find_sent(self, message: Message) -> str | None:
        """The ``ts`` of a message carrying this record's id, or None.

        Searched from shortly before the record was created, in the thread it
        belongs to when it has one (a reply is not in the channel's history).
        """
        record = message.record
        channel = await self._resolve_channel_id()
        oldest = f"{(record.created_at - HISTORY_MARGIN).timestamp():.6f}"
        thread_ts = message.thread_ref or message.replaces_ref

        search: dict[str, Any] = {
            "channel": channel,
            "oldest": oldest,
            "include_all_metadata": True,
            "limit": PAGE_SIZE,
        }

        def page(cursor: str | None) -> Awaitable[AsyncSlackResponse]:
            if thread_ts:
                return self._client.conversations_replies(ts=thread_ts, cursor=cursor, **search)
            return self._client.conversations_history(cursor=cursor, **search)

        method = "conversations.replies" if thread_ts else "conversations.history"
        async for posted in self._items(method, page, "messages"):
            metadata = posted.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == EVENT_TYPE and payload.get("id") == record.id:
                return str(posted["ts"])
        return None

    async def close(self) -> None:
        """The SDK opens a session per call; nothing stays open."""

    def _payload(self, message: Message) -> dict[str, object]:
        record = message.record
        return {
            "id": record.id,
            "event": str(record.event),
            "release": message.release,
            "run": record.run,
            "step": record.step,
            "ordinal": record.ordinal,
        }

    async def _update(self, message: Message) -> None:
        """Rewrite the replaced message to this record's title (editing is idempotent).

        The metadata names the replaced record again, so a later search for
        that record still finds its message.
        """
        record = message.record
        channel = await self._resolve_channel_id()
        await self._call(
            "chat.update",
            self._client.chat_update(
                channel=channel,
                ts=message.replaces_ref,
                text=f"*{slack_escape(record.title)}*",
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {
                        "id": record.replaces,
                        "release": message.release,
                        "run": record.run,
                        "step": record.step,
                        "updatedBy": record.id,
                    },
                },
            ),
        )

    async def _resolve_channel_id(self) -> str:
        """The conversation id: chat.update and the history calls do not take a name."""
        if self._channel_id:
            return self._channel_id
        name = self._channel.removeprefix("#")

        def page(cursor: str | None) -> Awaitable[AsyncSlackResponse]:
            return self._client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=PAGE_SIZE,
                cursor=cursor,
            )

        async for conversation in self._items("conversations.list", page, "channels"):
            if conversation.get("name") == name:
                self._channel_id = str(conversation["id"])
                return self._channel_id
        raise DeliveryError(
            f"slack: no conversation named {self._channel} that the bot can see",
            retryable=False,
        )

    async def _items(
        self,
        method: str,
        page: Callable[[str | None], Awaitable[AsyncSlackResponse]],
        key: str,
    ) -> AsyncIterator[dict[str, Any]]:
        """The ``key`` items of up to MAX_PAGES pages, following Slack's cursors."""
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            response = await self._call(method, page(cursor))
            for item in response.get(key) or []:
                yield item
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return

    async def _call(
        self, method: str, call: Awaitable[AsyncSlackResponse], *, posting: str = ""
    ) -> AsyncSlackResponse:
        """Await the SDK's ``call``; errors become DeliveryErrors.

        ``posting`` names a record whose post has an unknown outcome when the
        answer is lost (a 5xx, a timeout), so its next send looks before it posts.
        """
        try:
            return await call
        except SlackApiError as error:
            if posting and error.response.status_code >= 500:
                self._uncertain.add(posting)
            raise slack_error(method, error, self._token) from None
        except aiohttp.ClientConnectorError as error:
            raise DeliveryError(
                f"slack {method}: cannot connect ({redact(str(error), [self._token])})",
                retryable=True,
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            if posting:
                self._uncertain.add(posting)
            raise DeliveryError(
                f"slack {method}: {type(error).__name__} (the message may have been posted)",
                retryable=True,
            ) from None
