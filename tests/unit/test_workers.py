"""Workers: per-key error backoff that resets on success, workers that survive any error,
and one reconcile per key at a time while different keys run in parallel.

The reconciler here is a script of outcomes per key (the thing under test is the
worker loop, not reconcile). The queue is the real WorkQueue; it only records
the delays the workers ask for and wakes the key at once, so no test waits for
a backoff to pass.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from appdeploy.controller.cache import Key
from appdeploy.controller.queue import WorkQueue
from appdeploy.controller.workers import MAX_ERROR_DELAY, Workers

A: Key = ("ns", "a")
B: Key = ("ns", "b")
TIMEOUT = 10.0

Outcome = Exception | timedelta | None | Callable[[], None]
"""Raise it, return it, or (a callable) run it in the worker thread and return None."""


class Boom(RuntimeError):
    """A reconcile that failed."""


class RecordingQueue(WorkQueue[Key]):
    """The real queue; ``add_after`` records the delay and wakes the key now."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: dict[Key, list[float]] = defaultdict(list)
        self.done_count = 0
        self._changed = asyncio.Event()

    def add_after(self, key: Key, delay: float) -> None:
        self.delays[key].append(delay)
        self.add(key)

    def done(self, key: Key) -> None:
        super().done(key)
        self.done_count += 1
        self._changed.set()

    async def wait_done(self, count: int) -> None:
        """Until workers have finished ``count`` passes (their bookkeeping included)."""
        while self.done_count < count:
            self._changed.clear()
            await self._changed.wait()


class ScriptedReconciler:
    """Plays each key's outcomes in order; signals once every script has been played."""

    def __init__(self, scripts: dict[Key, list[Outcome]]) -> None:
        self.scripts = {key: list(outcomes) for key, outcomes in scripts.items()}
        self.calls: list[Key] = []
        self.finished = threading.Event()
        self._lock = threading.Lock()

    def reconcile(self, key: Key) -> timedelta | None:
        with self._lock:
            self.calls.append(key)
            outcome = self.scripts[key].pop(0) if self.scripts.get(key) else None
            if not any(self.scripts.values()):
                self.finished.set()
        if isinstance(outcome, Exception):
            raise outcome
        if callable(outcome):
            outcome()
            return None
        return outcome


def run(
    scripts: dict[Key, list[Outcome]], *, workers: int = 2
) -> tuple[RecordingQueue, ScriptedReconciler]:
    """Queue every scripted key once and run the workers until all scripts are played."""
    reconciler = ScriptedReconciler(scripts)

    async def story() -> RecordingQueue:
        queue = RecordingQueue()
        pool = Workers(queue, reconciler, workers)  # type: ignore[arg-type]
        pool.start()
        for key in scripts:
            queue.add(key)
        try:
            played = await asyncio.to_thread(reconciler.finished.wait, TIMEOUT)
            assert played, f"scripts not played in {TIMEOUT}s: {reconciler.scripts}"
            await asyncio.wait_for(queue.wait_done(len(reconciler.calls)), TIMEOUT)
        finally:
            await pool.stop()
        return queue

    return asyncio.run(story()), reconciler


def test_errors_back_off_per_key_doubling_and_reset_after_a_success() -> None:
    queue, _ = run(
        {
            A: [Boom("a"), Boom("a"), Boom("a"), timedelta(0), Boom("a again"), None],
            B: [Boom("b"), None],
        }
    )
    assert queue.delays[A] == [1.0, 2.0, 4.0, 0.0, 1.0], "a success resets the backoff"
    assert queue.delays[B] == [1.0], "each key has its own backoff"


def test_the_error_backoff_is_capped_at_five_minutes() -> None:
    queue, _ = run({A: [*(Boom(str(n)) for n in range(11)), None]})
    assert queue.delays[A] == [1, 2, 4, 8, 16, 32, 64, 128, 256, MAX_ERROR_DELAY, MAX_ERROR_DELAY]
    assert MAX_ERROR_DELAY == 300


def test_a_successful_reconcile_asks_for_its_own_next_look() -> None:
    queue, _ = run({A: [timedelta(minutes=5), None], B: [None]})
    assert queue.delays[A] == [300.0]
    assert B not in queue.delays, "no next look asked, none scheduled"


def test_a_raising_reconcile_never_kills_the_worker() -> None:
    errors: list[Outcome] = [Boom("x"), KeyError("y"), ValueError("z"), AssertionError("w")]
    # One worker: B is reconciled only if that worker survived each of A's errors.
    _, reconciler = run({A: [*errors, None], B: [None]}, workers=1)
    assert reconciler.calls.count(A) == 5
    assert reconciler.calls.count(B) == 1


def test_different_keys_are_reconciled_in_parallel() -> None:
    b_ran = threading.Event()

    def a_waits_for_b() -> None:
        assert b_ran.wait(TIMEOUT), "B never ran while A was being reconciled"

    _, reconciler = run({A: [a_waits_for_b], B: [b_ran.set]}, workers=2)
    assert sorted(reconciler.calls) == [A, B]


# How long a reconcile of A holds still, after A was added again, for a second
# pass of A to (wrongly) start beside it. A bug shows up within milliseconds;
# a correct pool costs this once.
OVERLAP_WINDOW = 0.5


def test_one_key_is_never_reconciled_twice_at_once_and_adds_coalesce() -> None:
    added = threading.Event()
    second_started = threading.Event()
    overlapped: list[bool] = []
    loop_holder: list[asyncio.AbstractEventLoop] = []
    queue_holder: list[RecordingQueue] = []

    def add_five_times() -> None:
        for _ in range(5):
            queue_holder[0].add(A)
        added.set()

    def first_pass() -> None:
        loop_holder[0].call_soon_threadsafe(add_five_times)
        assert added.wait(TIMEOUT)
        overlapped.append(second_started.wait(OVERLAP_WINDOW))

    reconciler = ScriptedReconciler({A: [first_pass, second_started.set]})

    async def story() -> None:
        loop_holder.append(asyncio.get_running_loop())
        queue = RecordingQueue()
        queue_holder.append(queue)
        pool = Workers(queue, reconciler, 4)  # type: ignore[arg-type]
        pool.start()
        queue.add(A)
        try:
            assert await asyncio.to_thread(reconciler.finished.wait, TIMEOUT)
            await asyncio.wait_for(queue.wait_done(2), TIMEOUT)
        finally:
            await pool.stop()

    asyncio.run(story())
    assert overlapped == [False], "a second pass of A started while the first was running"
    assert reconciler.calls == [A, A], "five adds while busy coalesce into one more pass"
