"""Workers report a reconcile that has run longer than the liveness bound, and only that one."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from appdeploy.controller.queue import WorkQueue
from appdeploy.controller.workers import Workers

KEY = ("ns", "shop")


class SignallingQueue(WorkQueue[tuple[str, str]]):
    """A work queue that says when a worker handed a key back (its reconcile returned)."""

    def __init__(self) -> None:
        super().__init__()
        self.handed_back = asyncio.Event()

    def done(self, key: tuple[str, str]) -> None:
        super().done(key)
        self.handed_back.set()


class BlockingReconciler:
    """Reconciles block until released, like a request to a server that went silent."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def reconcile(self, key: tuple[str, str]) -> timedelta | None:
        self.entered.set()
        self.release.wait(30)
        return None


def test_a_worker_inside_one_reconcile_too_long_is_reported_until_it_returns() -> None:
    async def story() -> None:
        now = [100.0]
        queue = SignallingQueue()
        reconciler = BlockingReconciler()
        workers = Workers(queue, reconciler, count=2, clock=lambda: now[0])  # type: ignore[arg-type]
        workers.start()
        try:
            assert workers.stuck(60) == []
            queue.add(KEY)
            await asyncio.to_thread(reconciler.entered.wait, 10)
            now[0] += 60
            assert workers.stuck(60) == [], "exactly at the bound is still busy, not stuck"
            now[0] += 1
            assert workers.stuck(60) == [(KEY, 61.0)]

            reconciler.release.set()
            await asyncio.wait_for(queue.handed_back.wait(), timeout=10)
            assert workers.stuck(60) == []
        finally:
            reconciler.release.set()
            await workers.stop()

    asyncio.run(story())
