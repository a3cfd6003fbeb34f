"""A pool of asyncio tasks draining a keyed WorkQueue with an async handler.

Delivery and channel checks run this way (their I/O is async or on threads
of their own); reconciles keep ``workers.Workers``, which runs the
synchronous reconcile on a thread and reports stuck workers to /healthz.
A failed pass is retried per key with the same backoff as a reconcile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from kubernetes.client.exceptions import ApiException

from appdeploy.controller.cache import Key
from appdeploy.controller.queue import WorkQueue

FIRST_ERROR_DELAY = 1.0
MAX_ERROR_DELAY = 300.0
"""Backoff of a key whose pass failed: 1s doubling to 5 minutes (reconciles too)."""

Handler = Callable[[Key], Awaitable[float | None]]
"""One pass over a key; seconds until it must be looked at again, if ever."""


class ErrorBackoff:
    """Per-key backoff after failed passes, and the one log line each failure gets."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self._errors: dict[Key, int] = {}

    def failed(self, key: Key, error: Exception) -> float:
        """Log the failure; the seconds to wait before the key's next pass."""
        failures = self._errors.get(key, 0) + 1
        self._errors[key] = failures
        wait: float = min(FIRST_ERROR_DELAY * 2 ** (failures - 1), MAX_ERROR_DELAY)
        detail = f"{error.status} {error.reason}" if isinstance(error, ApiException) else error
        self.log.error(
            "%s/%s: %s failed (%s); retrying in %.0fs",
            *key,
            self.what,
            detail,
            wait,
            exc_info=not isinstance(error, ApiException),
        )
        return wait

    def succeeded(self, key: Key) -> None:
        """The key's pass went through: its next failure starts the backoff over."""
        self._errors.pop(key, None)


class TaskPool:
    """``count`` tasks taking keys off ``queue`` and passing them to ``handle``."""

    def __init__(self, queue: WorkQueue[Key], handle: Handler, count: int, name: str) -> None:
        self.queue = queue
        self.handle = handle
        self.count = count
        self.name = name
        self.backoff = ErrorBackoff(logging.getLogger(f"appdeploy.{name}"), name)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the tasks in the running loop."""
        # Bound now: watch handlers add keys from other threads before any task waited.
        self.queue.bind(asyncio.get_running_loop())
        self._tasks = [
            asyncio.create_task(self._work(), name=f"appdeploy-{self.name}-{index}")
            for index in range(self.count)
        ]

    async def stop(self) -> None:
        """Cancel the tasks and wait for them."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            key = await self.queue.get()
            try:
                delay = await self.handle(key)
            except Exception as error:  # a pass must never kill its task
                self.queue.done(key)
                self.queue.add_after(key, self.backoff.failed(key, error))
                continue
            self.backoff.succeeded(key)
            self.queue.done(key)
            if delay is not None:
                self.queue.add_after(key, delay)
