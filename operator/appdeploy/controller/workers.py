"""Workers: take keys off the queue, reconcile in a thread, schedule the next look.

A failed reconcile is retried with a per-key exponential backoff (1s doubling
to 5 minutes), so a broken API call never spins and never stops the release
for good.

Each worker records when it entered its current reconcile, so the liveness
probe can tell a worker that is busy from one that is stuck (every API call
has a timeout, so a reconcile far longer than those is a bug or a hang that
only a restart cures).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from appdeploy.controller import metrics
from appdeploy.controller.cache import Key
from appdeploy.controller.queue import WorkQueue
from appdeploy.controller.reconcile import Reconciler
from appdeploy.controller.task_pool import MAX_ERROR_DELAY, ErrorBackoff

__all__ = ["MAX_ERROR_DELAY", "Workers"]

log = logging.getLogger("appdeploy.workers")


class Workers:
    """A pool of asyncio tasks draining one WorkQueue."""

    def __init__(
        self,
        queue: WorkQueue[Key],
        reconciler: Reconciler,
        count: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.reconciler = reconciler
        self.count = count
        self.clock = clock
        self._backoff = ErrorBackoff(log, "reconcile")
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: dict[int, tuple[Key, float]] = {}
        """Worker index -> (key, clock reading when its reconcile began); loop thread only."""

    def start(self) -> None:
        """Start the worker tasks in the running loop."""
        self._tasks = [
            asyncio.create_task(self._work(index), name=f"appdeploy-worker-{index}")
            for index in range(self.count)
        ]

    def stuck(self, limit: float) -> list[tuple[Key, float]]:
        """(key, seconds) of each reconcile that has been running longer than ``limit`` seconds."""
        now = self.clock()
        return sorted(
            (key, now - began) for key, began in self._busy.values() if now - began > limit
        )

    async def stop(self) -> None:
        """Cancel the workers and wait for them."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _work(self, index: int) -> None:
        while True:
            key = await self.queue.get()
            self._busy[index] = (key, self.clock())
            try:
                with metrics.RECONCILE_SECONDS.time():
                    delay = await asyncio.to_thread(self.reconciler.reconcile, key)
            except Exception as error:  # a reconcile must never kill its worker
                metrics.RECONCILES.labels("error").inc()
                self.queue.done(key)
                self.queue.add_after(key, self._backoff.failed(key, error))
                continue
            finally:
                self._busy.pop(index, None)
            self._backoff.succeeded(key)
            self.queue.done(key)
            if delay is not None:
                self.queue.add_after(key, delay.total_seconds())
