"""Blocking API calls from the delivery tasks, on threads of delivery's own.

The kubernetes client is synchronous. Delivery runs on the operator's event
loop beside the reconcile workers, so its API calls go to a thread pool of
its own: a burst of deliveries never queues behind (or ahead of) the
reconciles in the loop's default executor.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Blocking:
    """Runs blocking calls on a dedicated pool of threads."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="appdeploy-delivery")

    async def __call__(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call(*args, **kwargs)`` on a delivery thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(call, *args, **kwargs))

    def close(self) -> None:
        """Stop the threads (calls in progress finish)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
