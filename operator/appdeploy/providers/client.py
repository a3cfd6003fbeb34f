"""The HTTP plumbing every provider shares: one timeout, and failures as plain sentences.

A provider's answer is judged by the planner, so each failure must say what
went wrong in words a release manager can act on (``Sentry answered HTTP 401
Unauthorized: Invalid token``), and never repeat a credential: messages name
the service and its address, never request headers. Each failure also says
whether the same request may work later (``retryable``): the store actions
report that to the planner; a measurement does not need it.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx

from appdeploy.providers.result import ProviderError, shorten

DEFAULT_TIMEOUT = 30.0
"""Seconds for connecting and for each read; a Job's measurement should not hang."""


def open_client(timeout: float) -> httpx.Client:
    """A client that gives up after ``timeout`` seconds and follows no redirects.

    Redirects are not followed because they would carry the Authorization
    header to wherever the answer points.
    """
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)


def send(
    client: httpx.Client, service: str, method: str, url: str, **options: Any
) -> httpx.Response:
    """One request; a timeout or a connection failure becomes a ProviderError."""
    try:
        return client.request(method, url, **options)
    except httpx.TimeoutException:
        seconds = client.timeout.read
        raise ProviderError(
            f"{service} did not answer within {seconds:g}s ({origin(url)})", retryable=True
        ) from None
    except httpx.HTTPError as error:
        raise ProviderError(
            f"could not reach {service} at {origin(url)}: {error}", retryable=True
        ) from None


def origin(url: str) -> str:
    """``https://sentry.io`` of a longer URL: enough to say where, without a query string."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"


def read_json(response: httpx.Response, service: str) -> Any:
    """The answer's JSON body, or a ProviderError that quotes the start of what came instead."""
    try:
        return response.json()
    except ValueError:
        raise ProviderError(
            f"{service} answered HTTP {response.status_code} with something that is not JSON: "
            f"{shorten(response.text.strip(), 200)!r}"
        ) from None


def fail_unless_success(
    response: httpx.Response, service: str, explain: Callable[[Any], str] | None = None
) -> None:
    """Raise ProviderError for any answer but 2xx, with the service's own explanation.

    ``explain`` picks the human part out of the service's JSON error body
    (each service has its own shape); a 429 also says when to come back.
    Retryable: 429 and 5xx; any other refusal would be the same next time.
    """
    if response.is_success:
        return
    message = f"{service} answered HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            wait = f"{retry_after}s" if retry_after.isdigit() else retry_after
            message += f" (rate limited; retry after {wait})"
        else:
            message += " (rate limited)"
    reason = ""
    try:
        body = response.json()
    except ValueError:
        reason = response.text.strip()
    else:
        reason = explain(body) if explain else ""
        if not reason:
            reason = response.text.strip()
    if reason:
        message += ": " + shorten(reason, 300)
    status = response.status_code
    raise ProviderError(
        message,
        retryable=status == 429 or status >= 500,
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
    )


def retry_after_seconds(header: str | None, now: float | None = None) -> str:
    """The ``Retry-After`` header as whole seconds: it may be seconds or an HTTP date."""
    if not header:
        return ""
    text = header.strip()
    if text.isdigit():
        return text
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return ""
    wait = when.timestamp() - (time.time() if now is None else now)
    return str(max(0, round(wait)))
