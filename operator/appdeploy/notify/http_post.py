"""One JSON POST with httpx, and how its failure is classified (webhook, PagerDuty, Teams).

httpx's transport retries connection failures (``retries=``), which are safe
to repeat because nothing reached the server. Anything that did reach it
(a 5xx, a timeout after sending) is handed back to the delivery worker as a
retryable DeliveryError: the worker owns the backoff and records every
attempt, so a slow provider never holds a worker in a hidden loop.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from appdeploy.notify.redaction import redact
from appdeploy.notify.transport import DeliveryError

DEFAULT_TIMEOUT = 10.0
"""Seconds for one request: a provider slower than this is retried later, not waited on."""
DEFAULT_CONNECT_RETRIES = 2
DETAIL_LIMIT = 200
"""Characters of a provider's error body kept in the message (status is bounded)."""


class HideUrlPaths(logging.Filter):
    """Shortens the URL in httpx's "HTTP Request: POST <url>" log line to scheme, host and port.

    httpx logs every request's full URL at INFO, and a webhook's or a Teams
    channel's URL carries its credential in the path or the query.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            url = args[1]
            port = f":{url.port}" if url.port else ""
            record.args = (args[0], f"{url.scheme}://{url.host}{port}/<redacted>", *args[2:])
        return True


logging.getLogger("httpx").addFilter(HideUrlPaths())


def http_client(
    *, timeout: float = DEFAULT_TIMEOUT, connect_retries: int = DEFAULT_CONNECT_RETRIES
) -> httpx.AsyncClient:
    """A client that retries only connection failures and never follows redirects.

    A redirect would carry the body (and, for PagerDuty, the routing key) to
    an address nobody configured.
    """
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(retries=connect_retries),
        timeout=timeout,
        follow_redirects=False,
    )


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date), or None."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_retryable_status(status: int) -> bool:
    """408, 429 and 5xx may succeed later; any other refusal will be refused again."""
    return status in (408, 429) or status >= 500


def status_error(provider: str, response: httpx.Response, secrets: Sequence[str]) -> DeliveryError:
    """The DeliveryError for a non-2xx answer, in the provider's words, without credentials."""
    detail = " ".join(response.text.split())[:DETAIL_LIMIT]
    reason = f"HTTP {response.status_code}" + (f": {detail}" if detail else "")
    if 300 <= response.status_code < 400:
        reason += " (redirects are not followed: check the URL)"
    return DeliveryError(
        f"{provider}: {redact(reason, secrets)}",
        retryable=is_retryable_status(response.status_code),
        retry_after=retry_after_seconds(response.headers),
    )


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    *,
    provider: str,
    secrets: Sequence[str],
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST ``body`` as JSON; the 2xx response, or DeliveryError.

    httpx's own exceptions are not chained (``from None``): their request
    carries the URL, which for webhooks and Teams is itself the credential.
    """
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    try:
        response = await client.post(url, content=body, headers=all_headers)
    except httpx.InvalidURL:
        raise DeliveryError(f"{provider}: the URL is not a valid URL", retryable=False) from None
    except httpx.UnsupportedProtocol:
        raise DeliveryError(
            f"{provider}: the URL's scheme is not http(s)", retryable=False
        ) from None
    except httpx.TimeoutException as error:
        raise DeliveryError(
            f"{provider}: timed out ({type(error).__name__})", retryable=True
        ) from None
    except httpx.TransportError as error:
        detail = redact(str(error), [url, *secrets])
        raise DeliveryError(
            f"{provider}: {type(error).__name__}: {detail}", retryable=True
        ) from None
    if not response.is_success:
        raise status_error(provider, response, [url, *secrets])
    return response
