"""Durations as release engineers write them: ``90s``, ``30m``, ``72h``, ``7d``, ``1h30m``.

Go-style fractional or negative durations are deliberately not accepted: a
release timeout is a whole number of units, and a single accepted syntax keeps
the CRD pattern, the pydantic type and the admission webhook in agreement.

Each number has at most ``MAX_DIGITS`` digits, so the longest duration is
under 3,000 years: ``now`` plus any duration stays a date Python can hold (a
``9999999d`` gate timeout made the planner raise), and the bound is in the
pattern, so the API server refuses what the models refuse. The text is
matched in full: ``$`` in Python also matches before a final newline, and
Go's (the API server's) does not.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_DIGITS = 6
MAX_LENGTH = len("dhms") * (MAX_DIGITS + 1)
"""The longest text the pattern matches; stated in the schema so CEL rules on it cost little."""
DURATION_PATTERN = "^" + "".join(f"([0-9]{{1,{MAX_DIGITS}}}{unit})?" for unit in "dhms") + "$"
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_PARSER = re.compile(DURATION_PATTERN)


def _quoted(text: str) -> str:
    # JSON quoting shows a newline or a tab as \n, \t, so the message stays one line.
    return json.dumps(text, ensure_ascii=False)


def parse_duration(text: str) -> timedelta:
    """Parse ``1h30m``-style text; raise ValueError naming the accepted forms."""
    match = _PARSER.fullmatch(text)
    if not text or match is None:
        raise ValueError(
            f"invalid duration {_quoted(text)}: use whole numbers (at most {MAX_DIGITS} digits) "
            'with units d, h, m, s in that order, e.g. "90s", "30m", "1h30m", "7d"'
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
    WithJsonSchema(
        {"type": "string", "pattern": DURATION_PATTERN, "minLength": 1, "maxLength": MAX_LENGTH}
    ),
]
"""A timedelta written and read as ``1h30m`` text."""
