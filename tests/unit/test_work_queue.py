"""The keyed work queue: coalescing, one worker per key, earliest wake-up wins."""

from __future__ import annotations

import asyncio

from appdeploy.controller.queue import WorkQueue


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
