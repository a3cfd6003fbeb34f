"""What a store action answers: the store's state as strings, or an error saying if a retry helps.

The planner reads the termination message as a map of strings
(docs/run-semantics.md), so every value is a string here, booleans included
("true"/"false").
"""

from __future__ import annotations

from appdeploy.providers.result import ProviderError

StoreResult = dict[str, str]

MAX_MESSAGE = 400
"""Characters of a store's error message kept: the termination message holds 4 KiB in all."""


class StoreError(ProviderError):
    """The store refused or failed; ``retryable`` (required here) says whether a retry may work."""

    def __init__(self, message: str, *, retryable: bool, retry_after: str = "") -> None:
        super().__init__(message, retryable=retryable, retry_after=retry_after)


def error_result(error: ProviderError) -> StoreResult:
    """The termination message of a failed action: ``error``, ``retryable``, ``retryAfter``."""
    answer = {"error": error.message[:MAX_MESSAGE], "retryable": flag(error.retryable)}
    if error.retry_after:
        answer["retryAfter"] = error.retry_after
    return answer


def flag(value: bool) -> str:
    """A boolean as the termination message carries it."""
    return "true" if value else "false"
