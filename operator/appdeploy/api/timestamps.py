"""Timestamps as Kubernetes writes them: UTC, whole seconds, ``2026-11-27T09:00:00Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


def utc_seconds(value: datetime) -> datetime:
    """The same instant in UTC, truncated to whole seconds (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
"""The last moment a datetime (and an RFC 3339 timestamp) can hold."""


def later(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, or ``LATEST`` past it: a deadline far off never overflows the clock.

    Every duration is bounded (appdeploy.api.durations), but deadlines add up over
    retries and runs, and ``now`` is whatever the caller passes in.
    """
    try:
        return min(moment + delta, LATEST)
    except OverflowError:
        return LATEST


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, as in metav1.Time."""
    return utc_seconds(value).strftime("%Y-%m-%dT%H:%M:%SZ")


Timestamp = Annotated[
    datetime,
    AfterValidator(utc_seconds),
    PlainSerializer(format_timestamp, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
