"""Durations as release engineers write them: ``90s``, ``30m``, ``72h``, ``7d``, ``1h30m``.

Go-style fractional or negative durations are deliberately not accepted: a
release timeout is a whole number of units, and a single accepted syntax keeps
the CRD pattern, the pydantic type and the admission webhook in agreement.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

DURATION_PATTERN = r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_PARSER = re.compile(DURATION_PATTERN)


def parse_duration(text: str) -> timedelta:
    """Parse ``1h30m``-style text; raise ValueError naming the accepted forms."""
    match = _PARSER.match(text)
    if not text or match is None:
        raise ValueError(
            f'invalid duration "{text}": use a whole number with units d, h, m, s '
            'in that order, e.g. "90s", "30m", "1h30m", "7d"'
        )
    seconds = 0
    for (unit, size), group in zip(_UNITS, match.groups(), strict=True):
        if group is not None:
            seconds += int(group.removesuffix(unit)) * size
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The canonical text of a duration (``5400s`` -> ``1h30m``); ``0s`` for zero."""
    remaining = int(value.total_seconds())
    if remaining <= 0:
        return "0s"
    parts = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, timedelta):
        return value
    raise ValueError(f'invalid duration {value!r}: expected a string such as "30m"')


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "minLength": 1}),
]
"""A timedelta written and read as ``1h30m`` text."""
