"""What a store action answers: the store's state as strings, or an error saying if a retry helps.

The planner reads the termination message as a map of strings
(docs/run-semantics.md), so every value is a string here, booleans included
("true"/"false").
"""

from __future__ import annotations

import email.utils
import time

StoreResult = dict[str, str]

MAX_MESSAGE = 400
"""Characters of a store's error message kept: the termination message holds 4 KiB in all."""


class StoreError(Exception):
    """The store refused or failed; ``retryable`` says whether the same action may work later."""

    def __init__(self, message: str, *, retryable: bool, retry_after: str = "") -> None:
        super().__init__(message)
        self.message = message[:MAX_MESSAGE]
        self.retryable = retryable
        self.retry_after = retry_after
        """Seconds the store asked us to wait (429), empty when it did not say."""

    def result(self) -> StoreResult:
        answer = {"error": self.message, "retryable": "true" if self.retryable else "false"}
        if self.retry_after:
            answer["retryAfter"] = self.retry_after
        return answer


def flag(value: bool) -> str:
    """A boolean as the termination message carries it."""
    return "true" if value else "false"


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
