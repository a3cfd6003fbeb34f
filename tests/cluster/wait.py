"""Polling with a deadline, for named conditions (never fixed sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """A named condition did not hold before its deadline."""


def wait_for(
    predicate: Callable[[], T],
    timeout: float,
    what: str,
    *,
    ignore: tuple[type[BaseException], ...] = (),
    interval: float = 0.05,
    max_interval: float = 0.5,
) -> T:
    """Call `predicate` until it returns something truthy and return that.

    Exceptions listed in `ignore` count as "not yet" (e.g. connection refused
    while a server starts); any other exception propagates at once, so a
    predicate can abort the wait by raising. The poll interval starts short,
    because most conditions hold within milliseconds here, and backs off.
    On timeout the error names `what` and the last result or exception.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = predicate()
        except ignore as error:
            last = f"{type(error).__name__}: {error}"
        else:
            if result:
                return result
            last = result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")
        time.sleep(min(interval, remaining))
        interval = min(interval * 2, max_interval)
