"""A keyed work queue with client-go semantics, on asyncio, safe from any thread.

A key is queued at most once; a key being processed is not handed to a
second worker, and if it was added meanwhile it is queued again when the
first finishes. So bursts of events coalesce into one reconcile, and a
release is never reconciled twice at the same time. ``add_after`` keeps only
the earliest pending wake-up per key.

kopf runs plain ``def`` handlers in executor threads, so ``add`` is called
from threads other than the loop's. As client-go's queue does, every
operation on the dirty / processing sets holds one lock; waking a waiting
worker (an asyncio future) is handed to the loop with ``call_soon_threadsafe``,
the only asyncio call that may be made from another thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Generic, TypeVar

K = TypeVar("K")


class WorkQueue(Generic[K]):
    """Dirty / processing sets and a FIFO under one lock; workers wait on the loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._timers: dict[K, asyncio.TimerHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach the queue to the loop its workers run in (done by the first ``get``)."""
        with self._lock:
            if self._loop is None:
                self._loop = loop
                self._wakeup = asyncio.Event()

    def add(self, key: K) -> None:
        """Ask for a reconcile of ``key`` as soon as a worker is free; any thread."""
        with self._lock:
            if key in self._dirty:
                return
            self._dirty.add(key)
            if key in self._processing:
                return
            self._ready.append(key)
        self._wake()

    def add_after(self, key: K, delay: float) -> None:
        """Ask for a reconcile in ``delay`` seconds (an earlier pending one wins); any thread."""
        loop = self._loop
        if loop is None:
            loop = asyncio.get_running_loop()
            self.bind(loop)
        if _on_loop(loop):
            self._schedule(key, delay)
        else:
            loop.call_soon_threadsafe(self._schedule, key, delay)

    def _schedule(self, key: K, delay: float) -> None:
        # Loop thread only: timers belong to the loop.
        assert self._loop is not None
        when = self._loop.time() + max(delay, 0.0)
        timer = self._timers.get(key)
        if timer is not None and not timer.cancelled() and timer.when() <= when:
            return
        if timer is not None:
            timer.cancel()
        self._timers[key] = self._loop.call_at(when, self._fire, key)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def _wake(self) -> None:
        loop, wakeup = self._loop, self._wakeup
        if loop is None or wakeup is None:
            return  # no worker has waited yet; the first get() finds the key
        if _on_loop(loop):
            wakeup.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(wakeup.set)

    async def get(self) -> K:
        """The next key to reconcile; marks it as being processed. Loop thread only."""
        self.bind(asyncio.get_running_loop())
        assert self._wakeup is not None
        while True:
            with self._lock:
                if self._ready:
                    key = self._ready.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    if not self._ready:
                        self._wakeup.clear()
                    return key
                self._wakeup.clear()
            await self._wakeup.wait()

    def done(self, key: K) -> None:
        """Mark ``key`` as processed; re-queue it if it was added meanwhile. Any thread."""
        with self._lock:
            self._processing.discard(key)
            if key not in self._dirty:
                return
            self._ready.append(key)
        self._wake()

    def __len__(self) -> int:
        with self._lock:
            return len(self._ready)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
