"""The keyed work queue: coalescing, one worker per key, earliest wake-up wins."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import types
from collections.abc import Generator

from appdeploy.controller.queue import WorkQueue

WAKE_TIMEOUT = 5.0


@types.coroutine
def yield_to_the_loop() -> Generator[None, None, None]:
    """Give the loop one turn (what a reconcile's first await does)."""
    yield


def test_bursts_coalesce_and_a_key_is_never_handed_out_twice_at_once() -> None:
    async def story() -> None:
        queue: WorkQueue[str] = WorkQueue()
        for _ in range(5):
            queue.add("a")
        queue.add("b")
        assert len(queue) == 2
        first = await queue.get()
        assert first == "a"
        queue.add("a")  # changed while being processed
        assert await queue.get() == "b"
        assert len(queue) == 0, "a is not handed to a second worker"
        queue.done("a")
        assert await queue.get() == "a", "re-queued once the first pass is done"

    asyncio.run(story())


def test_add_after_keeps_the_earliest_wakeup() -> None:
    async def story() -> None:
        queue: WorkQueue[str] = WorkQueue()
        loop = asyncio.get_running_loop()
        queue.add_after("a", 30)
        queue.add_after("a", 0.01)
        queue.add_after("a", 60)
        start = loop.time()
        assert await asyncio.wait_for(queue.get(), timeout=5) == "a"
        assert loop.time() - start < 5

    asyncio.run(story())


def test_many_threads_adding_at_once_lose_no_key_and_never_overlap() -> None:
    """kopf calls ``add`` from its executor threads while workers run on the loop.

    In asyncio's debug mode a loop-only call from another thread raises; the
    queue must hand wake-ups to the loop instead. Every key added after its
    last reconcile began must be reconciled again (no lost wake-up), and no key
    is ever held by two workers at once.
    """
    keys = [f"release-{index}" for index in range(6)]
    threads_count, adds_per_thread = 16, 300

    async def story() -> tuple[
        dict[str, int], list[str], dict[str, int], dict[str, int], list[str]
    ]:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        queue: WorkQueue[str] = WorkQueue()
        holding: set[str] = set()
        overlaps: list[str] = []
        added_at: dict[str, int] = {}  # last add's sequence number, per key
        started_at: dict[str, int] = {}  # sequence number seen when its last reconcile began
        counter = itertools.count(1)
        lock = threading.Lock()
        reconciles: dict[str, int] = dict.fromkeys(keys, 0)
        errors: list[str] = []
        settled = asyncio.Event()
        producing = True

        def check_settled() -> None:
            if (
                not producing
                and not len(queue)
                and not holding
                and not any(added_at[key] > started_at.get(key, 0) for key in added_at)
            ):
                settled.set()

        def producer(seed: int) -> None:
            chooser = random.Random(seed)
            for _ in range(adds_per_thread):
                key = chooser.choice(keys)
                with lock:
                    added_at[key] = next(counter)
                try:
                    queue.add(key)
                except Exception as error:  # a thread's exception would otherwise vanish
                    errors.append(repr(error))

        async def worker() -> None:
            while True:
                key = await queue.get()
                if key in holding:
                    overlaps.append(key)
                holding.add(key)
                with lock:
                    started_at[key] = next(counter)
                reconciles[key] += 1
                await yield_to_the_loop()  # other workers and wake-ups run while it holds the key
                holding.discard(key)
                queue.done(key)
                check_settled()

        workers = [asyncio.create_task(worker()) for _ in range(8)]  # more than keys: some wait
        threads = [threading.Thread(target=producer, args=(seed,)) for seed in range(threads_count)]
        for thread in threads:
            thread.start()
        await asyncio.to_thread(lambda: [thread.join() for thread in threads])
        producing = False
        check_settled()  # perhaps every key was reconciled already
        await asyncio.wait_for(settled.wait(), timeout=10)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        return reconciles, overlaps, added_at, started_at, errors

    # Not asyncio.run: a worker whose wake-up was lost can never be cancelled, and
    # asyncio.run would wait for it forever instead of reporting the failure.
    loop = asyncio.new_event_loop()
    try:
        reconciles, overlaps, added_at, started_at, errors = loop.run_until_complete(story())
    finally:
        loop.close()
    assert errors[:3] == [], "add() from a thread raised"
    assert overlaps == [], "a key was reconciled by two workers at once"
    lost = [key for key in added_at if added_at[key] > started_at.get(key, 0)]
    assert lost == [], f"added after their last reconcile began, never reconciled again: {lost}"
    assert sum(reconciles.values()) < threads_count * adds_per_thread, "bursts coalesce"


def test_add_after_from_another_thread_fires_on_the_loop() -> None:
    async def story() -> None:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        queue: WorkQueue[str] = WorkQueue()
        queue.bind(loop)
        await asyncio.to_thread(queue.add_after, "a", 0.01)
        assert await asyncio.wait_for(queue.get(), timeout=5) == "a"

    asyncio.run(story())


def test_an_add_from_a_thread_wakes_a_worker_parked_on_an_empty_queue() -> None:
    """The wake-up must reach a loop asleep in select: nothing else would wake it.

    Each round the worker parks on an empty queue; only once it is suspended
    (a callback the loop runs after the worker's step) does the thread add a
    key, then wait for the worker to take it. A wake-up set from the thread
    without waking the loop leaves the worker asleep and the round times out.
    """
    rounds = 20
    parked, taken = threading.Event(), threading.Event()
    problems: list[str] = []

    def producer(queue: WorkQueue[str]) -> None:
        for index in range(rounds):
            if not parked.wait(WAKE_TIMEOUT):
                problems.append(f"round {index}: the worker never parked")
                return
            parked.clear()
            try:
                queue.add(f"key-{index}")
            except Exception as error:  # asyncio's debug mode refuses loop-only calls
                problems.append(f"round {index}: add() raised {error!r}")
                return
            if not taken.wait(WAKE_TIMEOUT):
                problems.append(f"round {index}: the parked worker was never woken")
                return
            taken.clear()

    async def story() -> None:
        loop = asyncio.get_running_loop()
        loop.set_debug(True)
        queue: WorkQueue[str] = WorkQueue()
        queue.bind(loop)
        thread = threading.Thread(target=producer, args=(queue,))
        thread.start()
        for _ in range(rounds):
            loop.call_soon(parked.set)  # runs once this task is suspended in get()
            key = await asyncio.wait_for(queue.get(), timeout=3 * WAKE_TIMEOUT)
            queue.done(key)
            taken.set()
        await asyncio.to_thread(thread.join)

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(story())
    except TimeoutError:
        pass  # the producer says which round was lost
    finally:
        loop.close()
    assert problems == []
