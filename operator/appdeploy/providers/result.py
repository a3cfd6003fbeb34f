"""What a measurement program reports: the termination message of docs/rollouts.md.

Three outcomes, kept apart so the planner never mistakes one for another:
a ``value`` (with its ``sample`` when the provider counts one), no value with
a ``note`` saying why (no data, NaN, not fresh yet: Inconclusive), or an
``error`` (the provider failed: never a success).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

MESSAGE_LIMIT = 4096
"""Kubernetes keeps at most 4 KiB of a termination message."""
TEXT_LIMIT = 1000
"""Each free-text field is cut to this many characters first."""
TEXT_FIELDS = {"error", "resolvedQuery", "note"}


class ProviderError(Exception):
    """An outside service failed to answer usefully, and whether asking again may help.

    Both kinds of program raise it: ``provider measure`` writes it as an
    ``error`` measurement (the planner's error limit decides), a store action
    as ``{"error", "retryable"}`` (``StoreError`` is one). ``retryable`` is
    true when the same request may well work later (no answer, 429, 5xx);
    ``retry_after`` is the seconds the service asked for, empty when it did
    not say.
    """

    def __init__(self, message: str, *, retryable: bool = False, retry_after: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class Measurement:
    """One measurement's outcome, before it is written as strings."""

    value: float | None = None
    sample: float | None = None
    resolved_query: str = ""
    note: str = ""
    error: str = ""

    def to_message(self) -> dict[str, str]:
        """The JSON object of strings the planner reads; absent keys are left out.

        Cut to fit the 4 KiB Kubernetes keeps: a message cut by the kubelet
        would not parse, and the measurement would be lost.
        """
        message: dict[str, str] = {}
        if self.error:
            message["error"] = shorten(self.error)
        elif self.value is not None:
            message["value"] = format_number(self.value)
        if self.sample is not None and not self.error:
            message["sample"] = format_number(self.sample)
        if self.resolved_query:
            message["resolvedQuery"] = shorten(self.resolved_query)
        if self.note:
            message["note"] = shorten(self.note)
        while len(json.dumps(message, ensure_ascii=False).encode()) > MESSAGE_LIMIT:
            # JSON escapes and multi-byte characters can still overflow: halve the longest text.
            longest = max(TEXT_FIELDS & message.keys(), key=lambda key: len(message[key]))
            message[longest] = shorten(message[longest], len(message[longest]) // 2)
        return message


def no_value(note: str, resolved_query: str, sample: float | None = None) -> Measurement:
    """Nothing to judge, and why: the planner counts it Inconclusive."""
    return Measurement(sample=sample, resolved_query=resolved_query, note=note)


def shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, marked when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_number(number: float) -> str:
    """A number as the planner reads it: ``1000`` when whole, else the shortest exact form."""
    number = float(number)  # an int has no is_integer() before Python 3.12
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def parse_number(raw: object, what: str) -> float | None:
    """A JSON number or numeric string as a float; None for NaN/±Inf; ProviderError otherwise.

    Prometheus and Google send numbers as strings ("0.9973", "NaN", "+Inf"),
    Sentry and most JSON APIs as numbers. Booleans are not numbers here,
    although Python says they are.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ProviderError(f"{what} is not a number: {shorten(repr(raw), 80)}")
    try:
        number = float(raw)
    except ValueError:
        raise ProviderError(f"{what} is not a number: {shorten(repr(raw), 80)}") from None
    if math.isnan(number) or math.isinf(number):
        return None
    return number
