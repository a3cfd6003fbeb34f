"""What a store action answers: the store's state as strings, or an error saying if a retry helps.

The planner reads the termination message as a map of strings
(docs/run-semantics.md), so every value is a string here, booleans included
("true"/"false"). Errors are ProviderErrors (StoreError is one), so a failed
token exchange and a store's refusal become the same ``{"error",
"retryable"}``; ``call_store`` is the one way both stores are called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

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


def call_store(
    client: httpx.Client,
    method: str,
    url: str,
    doing: str,
    refusal: Callable[[httpx.Response, str], StoreError],
    **options: Any,
) -> Any:
    """One request to a store: its JSON answer (``{}`` when empty), or the StoreError for it.

    ``doing`` names the step in the error ("update track production"). No
    answer at all (refused, reset, timed out) is retryable: the store may well
    answer next time. A non-2xx answer is the store's to explain: ``refusal``
    applies its rules (Play's, Apple's).
    """
    try:
        response = client.request(method, url, **options)
    except httpx.HTTPError as error:
        raise StoreError(f"no answer on {doing}: {type(error).__name__}", retryable=True) from None
    if not response.is_success:
        raise refusal(response, doing)
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise StoreError(
            f"{doing}: the store answered {response.status_code} with something that is not JSON",
            retryable=True,
        ) from None
