"""Google's error answers, translated into a message and whether the same action may work later.

Google APIs answer ``{"error": {"code", "message", "status", "errors": [{"reason",
"message", "domain"}]}}``. Retryable: 409 (another edit of the package got in
first), 429, 5xx, and an edit that was deleted or expired because a newer
edit of the package was created or committed meanwhile (Play keeps one open
edit per package: 410 ``editDeleted``, or 400 ``FAILED_PRECONDITION`` "This
Edit has been deleted."). Not retryable: 401/403 (the key or its Play
Console permissions), 404 (no such package or track, or the account cannot
see it) and every other 400, such as ``releaseToHaltNotFound`` or "HALTED
release must have fraction", which the same request would get again.
"""

from __future__ import annotations

from typing import Any

import httpx

from appdeploy.providers.client import retry_after_seconds
from appdeploy.providers.stores.results import StoreError

GONE_EDIT_HINTS = ("edit has been deleted", "edit has expired", "please create a new edit")


def _google_error(response: httpx.Response) -> tuple[str, str]:
    """(message, reason) from a Google error body; empty strings when it has none."""
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:200].strip(), ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    message = str(error.get("message") or "")
    reason = ""
    details = error.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        reason = str(details[0].get("reason") or "")
        message = message or str(details[0].get("message") or "")
    return message, reason


def play_error(response: httpx.Response, doing: str) -> StoreError:
    """The StoreError for a non-2xx answer to ``doing`` (e.g. "update track production")."""
    status = response.status_code
    message, reason = _google_error(response)
    said = f"{reason}: {message}" if reason and message else message or reason or "no details"
    text = f"Google Play {status} on {doing}: {said}"
    lowered = message.lower()
    if status in (401, 403):
        return StoreError(
            f"{text} (check the service account's key and its Play Console permissions)",
            retryable=False,
        )
    if status == 404:
        return StoreError(
            f"{text} (no such package or track, or the service account cannot see it)",
            retryable=False,
        )
    if status == 410 or (status == 400 and any(h in lowered for h in GONE_EDIT_HINTS)):
        return StoreError(f"{text} (a newer edit of the package got in first)", retryable=True)
    if status == 409:
        return StoreError(f"{text} (another edit of the package got in first)", retryable=True)
    if status == 429 or status >= 500:
        return StoreError(
            text,
            retryable=True,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    return StoreError(text, retryable=False)
